-- Extend a lease, only if this worker still holds it (fencing). $1 task id, $2 lease token, $3 lease in ms.
update sluice.tasks
set lease_expires_at = now() + make_interval(secs => $3 / 1000.0)
where id = $1 and lease_token = $2 and status = 'running'
