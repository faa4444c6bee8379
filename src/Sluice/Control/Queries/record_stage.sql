-- Record a stage that already ran in the express lane (under the lease of its job's first task, with no task of its
-- own): its row with the times it ran and its started and finished events, in the commit of the whole lane.
-- $1 job id, $2 attempt, $3 stage, $4 worker id, $5 status, $6 error code, $7 error message, $8 outputs,
-- $9 started (ms before now), $10 finished (ms before now), $11 finish event type
with stage as (
    insert into sluice.job_stages (job_id, attempt, name, try, status, worker_id, started_at, finished_at, error_code, error_message, outputs)
    values ($1, $2, $3, 1, $5, $4, now() - make_interval(secs => $9 / 1000.0), now() - make_interval(secs => $10 / 1000.0), $6, $7, $8)
    returning started_at, finished_at
)
insert into sluice.events (job_id, type, payload)
select $1::uuid, 'stage.started'::text, jsonb_build_object('job_id', $1::uuid, 'stage', $3::text, 'attempt', $2::int, 'try', 1, 'worker_id', $4::text, 'chunk', null, 'took_over', false)
union all
select $1::uuid, $11::text, jsonb_build_object('job_id', $1, 'stage', $3, 'attempt', $2, 'chunk', null, 'try', 1, 'status', $5,
       'error', case when $6::text is null then null else jsonb_build_object('code', $6::text, 'message', $7::text) end,
       'duration_ms', round(extract(epoch from finished_at - started_at) * 1000))
from stage
