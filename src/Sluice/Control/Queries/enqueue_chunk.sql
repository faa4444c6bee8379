-- Queue the chunk after the one committing, for a stage whose chunks may run one at a time, in order (load). Never a
-- second task for a chunk that has one: loads queued all at once by the join (side by side) make this a no-op.
-- $1 job id, $2 attempt, $3 stage, $4 max tries, $5 backoff ms, $6 chunk
insert into sluice.tasks (job_id, attempt, stage, max_tries, backoff_ms, chunk)
select $1, $2, $3, $4, $5, $6
where not exists (select 1 from sluice.tasks where job_id = $1 and attempt = $2 and stage = $3 and chunk = $6)
