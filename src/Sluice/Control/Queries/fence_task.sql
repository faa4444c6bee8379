-- Close a task, only if this worker still holds its lease (fencing). When the lease was lost, raises SL001
-- (sluice.lease_held), which rolls back everything sent with it: it is the first statement of a stage's commit.
-- $1 task id, $2 lease token, $3 new status (done | failed | ready), $4 run after (ms from now, for ready), $5 last error
with fenced as (
    update sluice.tasks
    set status = $3,
        run_after = case when $3 = 'ready' then now() + make_interval(secs => $4 / 1000.0) else run_after end,
        lease_owner = null, lease_expires_at = null,
        last_error = coalesce($5, last_error),
        updated_at = now()
    where id = $1 and lease_token = $2 and status = 'running'
    returning 1
)
select sluice.lease_held(count(*)) from fenced
