-- Queue one chunk of a stage whose chunks run one at a time, in order: the chunk after the one committing.
-- $1 job id, $2 attempt, $3 stage, $4 max tries, $5 backoff ms, $6 chunk
insert into sluice.tasks (job_id, attempt, stage, max_tries, backoff_ms, chunk)
values ($1, $2, $3, $4, $5, $6)
