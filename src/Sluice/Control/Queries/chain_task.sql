-- Queue the next stage of a job already claimed by the worker that finished the previous one, in the same
-- transaction: no claim round trip, no wake-up latency, and the job's files stay warm on this machine.
-- $1 job id, $2 attempt, $3 stage, $4 max tries, $5 backoff ms, $6 worker id, $7 lease ms, $8 started (ms before now:
-- more than 0 when the express lane already ran the stage and it failed, see TaskQueue.CommitAsync)
with stage as (
    insert into sluice.job_stages (job_id, attempt, name, try, status, worker_id, started_at)
    values ($1, $2, $3, 1, 'running', $6, now() - make_interval(secs => $8 / 1000.0))
    returning id
), task as (
    insert into sluice.tasks (job_id, attempt, stage, max_tries, backoff_ms, status, tries, lease_owner, lease_token,
                              lease_expires_at, stage_row_id)
    select $1, $2, $3, $4, $5, 'running', 1, $6, (floor(random() * 9e18))::bigint + 1,
           now() + make_interval(secs => $7 / 1000.0), id
    from stage
    returning id, lease_token, stage_row_id
), event as (
    insert into sluice.events (job_id, type, payload)
    select $1, 'stage.started', jsonb_build_object('job_id', $1, 'stage', $3, 'attempt', $2, 'try', 1, 'worker_id', $6, 'took_over', false)
)
select id, lease_token, stage_row_id from task
