-- Queue one chunk of a stage whose chunks run one at a time, in order: the chunk after the one committing. Never a
-- second task for a chunk that has one (e.g. loads all queued at once by a Sluice from before ordered loads).
-- $1 job id, $2 attempt, $3 stage, $4 max tries, $5 backoff ms, $6 chunk
insert into sluice.tasks (job_id, attempt, stage, max_tries, backoff_ms, chunk)
select $1, $2, $3, $4, $5, $6
where not exists (select 1 from sluice.tasks where job_id = $1 and attempt = $2 and stage = $3 and chunk = $6)
