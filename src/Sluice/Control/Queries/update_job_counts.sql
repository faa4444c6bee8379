-- Record reconciliation counts reported by a stage; null leaves a count as it was.
-- $1 job id, $2 read, $3 loaded, $4 rejected, $5 filtered
-- A job that already ended can still have its counts corrected: publish of a split file that failed counts, from the
-- load ledger, the rows of a chunk stopped just after it committed. Its end event (job.failed) then takes the counts
-- the row ends with, in this same statement, so the outbox never tells another story than the job row, the report
-- and the webhook.
with job as (
    update sluice.jobs
    set rows_read = coalesce($2, rows_read), rows_loaded = coalesce($3, rows_loaded),
        rows_rejected = coalesce($4, rows_rejected), rows_filtered = coalesce($5, rows_filtered), updated_at = now()
    where id = $1
    returning id, status, attempt, rows_read, rows_loaded, rows_rejected, rows_filtered
)
update sluice.events e
set payload = jsonb_set(e.payload, '{counts}', jsonb_build_object('read', job.rows_read, 'loaded', job.rows_loaded,
                                                                  'rejected', job.rows_rejected, 'filtered', job.rows_filtered))
from job
where job.status in ('succeeded', 'failed') and e.job_id = job.id and e.type = 'job.' || job.status
  and (e.payload ->> 'attempt')::int = job.attempt
