-- Claim the next runnable task: a ready one whose time has come, or a running one whose lease expired (its worker
-- died or stalled), and record it as a running stage, in one statement (one round trip, one implicit transaction).
-- SKIP LOCKED lets many workers claim at once without waiting on each other. A take-over marks the previous
-- holder's stage row abandoned. Returns the task, its new stage row and its job (as the claim leaves it).
-- $1 worker id, $2 lease in milliseconds, $3 only these jobs (or null for any).
-- Lease tokens are random, not from a sequence: a stage commit whose flush is deferred (synchronous_commit off) and
-- then lost in a database crash could otherwise see its token handed out again to another worker after recovery.
-- The claim does not wait for the disk (synchronous_commit off for this transaction, set below): if a database crash
-- loses it, the task is as it was before, the worker that ran with the lost lease is fenced out at its first write
-- (lease tokens are random, never handed out twice), and the task is claimed again.
-- The stage row's id is taken from its sequence by the claim itself, which records it on the task: one statement
-- may change a row only once.
-- A task whose lease expired goes first (it has waited longest), then the ready task due first: each read in order
-- from its own partial index, one row, so a claim costs the same whatever the queue's length (one scan over both
-- kinds read and sorted every queued task: with 1,000 ready, 1.0 ms against 0.3 ms a claim, its transaction included,
-- measured with pgbench).
with next as (
    select * from (
        select id, status as old_status, stage_row_id as old_stage_row_id
        from sluice.tasks
        where status = 'running' and lease_expires_at < now() and ($3::uuid[] is null or job_id = any($3::uuid[]))
        order by lease_expires_at
        limit 1
        for update skip locked) expired
    union all
    select * from (
        select id, status, stage_row_id
        from sluice.tasks
        where status = 'ready' and run_after <= now() and ($3::uuid[] is null or job_id = any($3::uuid[]))
        order by run_after, id
        limit 1
        for update skip locked) due
    limit 1
), claimed as (
    update sluice.tasks t
    set status = 'running',
        tries = t.tries + 1,
        lease_owner = $1,
        lease_token = (floor(random() * 9e18))::bigint + 1,
        lease_expires_at = now() + make_interval(secs => $2 / 1000.0),
        stage_row_id = nextval(pg_get_serial_sequence('sluice.job_stages', 'id')),
        updated_at = now()
    from next
    where t.id = next.id
    returning t.id, t.job_id, t.attempt, t.stage, t.tries, t.max_tries, t.backoff_ms, t.lease_token,
              next.old_status, next.old_stage_row_id, t.chunk, t.stage_row_id
), abandoned as (
    update sluice.job_stages s set status = 'abandoned', finished_at = now(),
        error_code = 'lease.expired', error_message = 'the worker running this stage stopped renewing its lease; another worker took over'
    from claimed c
    where c.old_status = 'running' and s.id = c.old_stage_row_id and s.status = 'running'
    returning s.id
), stage as (
    insert into sluice.job_stages (id, job_id, attempt, name, try, status, worker_id, chunk)
    overriding system value
    select c.stage_row_id, c.job_id, c.attempt, c.stage, c.tries, 'running', $1, c.chunk from claimed c
), job as (
    update sluice.jobs j set status = case when j.status = 'queued' then 'running' else j.status end,
        started_at = coalesce(j.started_at, now()), updated_at = now()
    from claimed c
    where j.id = c.job_id
    -- The columns JobStore reads a job record from, in their order (JobStore.RecordSql).
    returning j.id, j.pipeline, j.workflow, j.source_bucket, j.source_key, j.source_size, j.source_sha256, j.status, j.attempt,
              j.pipeline_yaml, j.pipeline_file, j.workspace, j.chunks
), event as (
    insert into sluice.events (job_id, type, payload)
    select c.job_id, 'stage.started', jsonb_build_object('job_id', c.job_id, 'stage', c.stage, 'attempt', c.attempt, 'try', c.tries,
           'worker_id', $1, 'chunk', c.chunk, 'took_over', (select count(*) > 0 from abandoned))
    from claimed c
)
select c.id, c.job_id, c.attempt, c.stage, c.tries, c.max_tries, c.backoff_ms, c.lease_token, c.old_status, c.old_stage_row_id,
       c.chunk, c.stage_row_id, set_config('synchronous_commit', 'off', true) as claim_does_not_wait_for_the_disk, job.*
from claimed c left join job on job.id = c.job_id
