-- Record a claimed task as a running stage; a take-over marks the previous holder's stage row abandoned.
-- $1 task id, $2 job id, $3 attempt, $4 stage, $5 try, $6 worker id, $7 abandoned stage row id (or null), $8 lease token,
-- $9 chunk (or null)
-- The claim does not wait for the disk (synchronous_commit off for this transaction, set below): if a database crash
-- loses it, the task is as it was before, the worker that ran with the lost lease is fenced out at its first write
-- (lease tokens are random, never handed out twice), and the task is claimed again.
with abandoned as (
    update sluice.job_stages set status = 'abandoned', finished_at = now(),
        error_code = 'lease.expired', error_message = 'the worker running this stage stopped renewing its lease; another worker took over'
    where id = $7 and status = 'running'
    returning id
), stage as (
    insert into sluice.job_stages (job_id, attempt, name, try, status, worker_id, chunk)
    values ($2, $3, $4, $5, 'running', $6, $9::int)
    returning id
), task as (
    update sluice.tasks set stage_row_id = (select id from stage) where id = $1 and lease_token = $8
), job as (
    update sluice.jobs set status = case when status = 'queued' then 'running' else status end,
        started_at = coalesce(started_at, now()), updated_at = now()
    where id = $2
)
insert into sluice.events (job_id, type, payload)
select $2, 'stage.started', jsonb_build_object('job_id', $2, 'stage', $4, 'attempt', $3, 'try', $5, 'worker_id', $6, 'chunk', $9::int,
       'took_over', (select count(*) > 0 from abandoned))
from (select set_config('synchronous_commit', 'off', true)) as claim_does_not_wait_for_the_disk
returning (select id from stage)
