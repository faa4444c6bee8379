-- A page of job ids, newest first. $1 status, $2 pipeline, $3 created since, $4 before id (the cursor), $5 limit
select id
from sluice.jobs
where ($1::text is null or status = $1)
  and ($2::text is null or pipeline = $2)
  and ($3::timestamptz is null or created_at >= $3)
  and ($4::uuid is null or id < $4)
order by id desc
limit $5
