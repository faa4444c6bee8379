-- Queue the next stage of a job attempt: one task, or one per chunk when the stage fans out.
-- $1 job id, $2 attempt, $3 stage, $4 max tries, $5 backoff ms, $6 chunks (null: one task for the whole job)
insert into sluice.tasks (job_id, attempt, stage, max_tries, backoff_ms, chunk)
select $1, $2, $3, $4, $5, chunk
from (select null::int as chunk where $6::int is null
      union all
      select generate_series(0, $6::int - 1)) as chunks
