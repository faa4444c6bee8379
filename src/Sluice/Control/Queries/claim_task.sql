-- Claim the next runnable task: a ready one whose time has come, or a running one whose lease expired
-- (its worker died or stalled). SKIP LOCKED lets many workers claim at once without waiting on each other.
-- $1 worker id, $2 lease in milliseconds, $3 only these jobs (or null for any).
-- Lease tokens are random, not from a sequence: a stage commit whose flush is deferred (synchronous_commit off) and
-- then lost in a database crash could otherwise see its token handed out again to another worker after recovery.
with next as (
    select id, status as old_status, stage_row_id as old_stage_row_id
    from sluice.tasks
    where ((status = 'ready' and run_after <= now()) or (status = 'running' and lease_expires_at < now()))
      and ($3::uuid[] is null or job_id = any($3::uuid[]))
    order by run_after, id
    limit 1
    for update skip locked
)
update sluice.tasks t
set status = 'running',
    tries = t.tries + 1,
    lease_owner = $1,
    lease_token = (floor(random() * 9e18))::bigint + 1,
    lease_expires_at = now() + make_interval(secs => $2 / 1000.0),
    updated_at = now()
from next
where t.id = next.id
returning t.id, t.job_id, t.attempt, t.stage, t.tries, t.max_tries, t.backoff_ms, t.lease_token,
          next.old_status, next.old_stage_row_id, t.chunk
