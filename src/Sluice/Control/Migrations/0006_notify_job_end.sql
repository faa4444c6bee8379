-- One notification when a job ends (succeeded or failed), carrying its id, so whoever waits for it (`sluice run`,
-- `sluice replay`, the demo) learns it at the commit instead of at its next poll; polling remains the fallback
-- (Control/JobEndSignal.cs).
create function sluice.notify_job_end() returns trigger language plpgsql as $$
begin
    perform pg_notify('sluice_jobs', new.id::text);
    return null;
end $$;

create trigger jobs_end_notify after update of status on sluice.jobs
    for each row when (new.status in ('succeeded', 'failed') and old.status is distinct from new.status)
    execute function sluice.notify_job_end();
