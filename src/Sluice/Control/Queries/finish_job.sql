-- End a job attempt as succeeded or failed, with its event. $1 job id, $2 status, $3 error code, $4 error message
-- The end is the clock's time, not the transaction's start: an express lane's commit is opened before its deciding
-- stage runs (TaskQueue.DecidingLane), and the job ends after that stage.
with job as (
    update sluice.jobs set status = $2, finished_at = clock_timestamp(), updated_at = now(), error_code = $3, error_message = $4
    where id = $1
    returning id, pipeline, workflow, attempt, source_bucket, source_key, source_sha256, rows_read, rows_loaded, rows_rejected,
              rows_filtered, created_at, finished_at
)
insert into sluice.events (job_id, type, payload)
select id, 'job.' || $2, jsonb_build_object('job_id', id, 'pipeline', pipeline, 'workflow', workflow, 'status', $2,
       'attempt', attempt, 'source', jsonb_build_object('bucket', source_bucket, 'key', source_key, 'sha256', source_sha256),
       'counts', jsonb_build_object('read', rows_read, 'loaded', rows_loaded, 'rejected', rows_rejected, 'filtered', rows_filtered),
       'error', case when $3 is null then null else jsonb_build_object('code', $3, 'message', $4) end,
       'duration_ms', round(extract(epoch from finished_at - created_at) * 1000))
from job
