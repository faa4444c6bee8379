-- The dashboard's KPI strip and throughput chart. $1 since (start of the operator's day), $2 minutes of throughput.

-- 1. jobs created since $1 by status
select status, count(*) from sluice.jobs where created_at >= $1 group by status;

-- 2. rows of those jobs, and the median time of the ones that ended
select coalesce(sum(rows_read), 0)::bigint, coalesce(sum(rows_loaded), 0)::bigint, coalesce(sum(rows_rejected), 0)::bigint,
       percentile_cont(0.5) within group (order by extract(epoch from finished_at - started_at))
           filter (where finished_at is not null and started_at is not null)
from sluice.jobs where created_at >= $1;

-- 3. per minute of the last $2 minutes: jobs that ended and the rows they loaded
select b.t, count(j.id), coalesce(sum(j.rows_loaded), 0)::bigint
from generate_series(date_trunc('minute', now()) - ($2 - 1) * interval '1 minute', date_trunc('minute', now()), interval '1 minute') as b(t)
left join sluice.jobs j on j.finished_at >= b.t and j.finished_at < b.t + interval '1 minute'
group by b.t order by b.t;
