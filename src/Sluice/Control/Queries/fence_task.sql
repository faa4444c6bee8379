-- Close a task, only if this worker still holds its lease (fencing). Zero rows means the lease was lost.
-- $1 task id, $2 lease token, $3 new status (done | failed | ready), $4 run after (ms from now, for ready), $5 last error
update sluice.tasks
set status = $3,
    run_after = case when $3 = 'ready' then now() + make_interval(secs => $4 / 1000.0) else run_after end,
    lease_owner = null, lease_expires_at = null,
    last_error = coalesce($5, last_error),
    updated_at = now()
where id = $1 and lease_token = $2 and status = 'running'
returning job_id
