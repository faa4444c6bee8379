-- A chunk failed the job: the other chunks of this attempt stop. Queued ones are cancelled; running ones lose their
-- lease (their worker's fenced commit then writes nothing) and their stage rows are closed as abandoned.
-- $1 job id, $2 attempt, $3 the failing task's id
with cancelled as (
    update sluice.tasks
    set status = 'cancelled', lease_owner = null, lease_expires_at = null, updated_at = now(),
        last_error = 'another chunk of this job failed'
    where job_id = $1 and attempt = $2 and id <> $3 and status in ('ready', 'running')
    returning stage_row_id, status
)
update sluice.job_stages
set status = 'abandoned', finished_at = now(), error_code = 'job.failed',
    error_message = 'another chunk of this job failed; this chunk was stopped'
where id in (select stage_row_id from cancelled) and status = 'running'
