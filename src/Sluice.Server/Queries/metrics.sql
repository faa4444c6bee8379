-- Everything /metrics shows, in one round trip; one result set per metric family.
-- $1 the histogram's upper bounds in seconds, ascending.

-- 1. jobs by pipeline and status
select pipeline, status, count(*) from sluice.jobs group by pipeline, status order by 1, 2;

-- 2. stage durations: per stage, the cumulative count at or under each bound, then the total count and sum
select s.name, b.le, count(*) filter (where extract(epoch from s.finished_at - s.started_at) <= b.le)
from sluice.job_stages s cross join unnest($1::float8[]) as b(le)
where s.finished_at is not null and s.status in ('succeeded', 'failed', 'retrying')
group by s.name, b.le order by 1, 2;

select name, count(*), coalesce(sum(extract(epoch from finished_at - started_at)), 0)::float8
from sluice.job_stages
where finished_at is not null and status in ('succeeded', 'failed', 'retrying')
group by name order by 1;

-- 3. rows as recorded on the jobs (a replay from transform resets its job's counts until it has run again)
select pipeline, coalesce(sum(rows_read), 0)::bigint, coalesce(sum(rows_loaded), 0)::bigint,
       coalesce(sum(rows_rejected), 0)::bigint, coalesce(sum(rows_filtered), 0)::bigint
from sluice.jobs group by pipeline order by 1;

-- 4. queue depth by stage and state, and the age of the oldest ready task
select stage, status, count(*), coalesce(extract(epoch from now() - min(run_after) filter (where status = 'ready' and run_after <= now())), 0)::float8
from sluice.tasks where status in ('ready', 'running') group by stage, status order by 1, 2;

-- 5. lease take-overs: stage runs another worker took over because their lease expired
select name, count(*) from sluice.job_stages
where status = 'abandoned' and error_code = 'lease.expired' group by name order by 1;

-- 6. the newest outbox event id (how far event subscribers have to read)
select coalesce(max(id), 0) from sluice.events;
