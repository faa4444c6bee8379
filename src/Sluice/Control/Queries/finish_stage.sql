-- Close a stage row and write its event. $1 stage row id, $2 status, $3 error code, $4 error message, $5 outputs, $6 event type,
-- $7 finished (ms before now: more than 0 when the express lane ran further stages after this one)
with stage as (
    update sluice.job_stages set status = $2, finished_at = now() - make_interval(secs => $7 / 1000.0), error_code = $3, error_message = $4, outputs = $5
    where id = $1
    returning job_id, attempt, name, chunk, try, started_at, finished_at
)
insert into sluice.events (job_id, type, payload)
select job_id, $6, jsonb_build_object('job_id', job_id, 'stage', name, 'attempt', attempt, 'chunk', chunk, 'try', try, 'status', $2,
       'error', case when $3 is null then null else jsonb_build_object('code', $3, 'message', $4) end,
       'duration_ms', round(extract(epoch from finished_at - started_at) * 1000))
from stage
