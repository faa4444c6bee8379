-- When the last chunk of a stage is done, queue the stage after it (one task, or one per chunk). Runs in the
-- committing chunk's transaction while it holds the job row lock, so exactly one chunk sees none left.
-- $1 job id, $2 attempt, $3 finished stage, $4 next stage, $5 max tries, $6 backoff ms, $7 chunks of the next stage (or null),
-- $8 true when the next stage runs its chunks one at a time in order: only chunk 0 now, each then queues the next
-- (enqueue_chunk.sql)
insert into sluice.tasks (job_id, attempt, stage, max_tries, backoff_ms, chunk)
select $1, $2, $4, $5, $6, chunk
from (select null::int as chunk where $7::int is null
      union all
      select generate_series(0, case when $8::boolean then 0 else $7::int - 1 end) where $7::int is not null) as chunks
where not exists (select 1 from sluice.tasks
                  where job_id = $1 and attempt = $2 and stage = $3 and status <> 'done')
returning 1
