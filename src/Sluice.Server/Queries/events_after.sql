-- Outbox events after an id, oldest first. $1 after id, $2 limit
select e.id, e.job_id, e.type, e.payload::text, e.created_at
from sluice.events e
where e.id > $1
order by e.id
limit $2
