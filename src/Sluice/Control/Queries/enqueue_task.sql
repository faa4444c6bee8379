-- Queue the next stage of a job attempt. $1 job id, $2 attempt, $3 stage, $4 max tries, $5 backoff ms
insert into sluice.tasks (job_id, attempt, stage, max_tries, backoff_ms) values ($1, $2, $3, $4, $5)
