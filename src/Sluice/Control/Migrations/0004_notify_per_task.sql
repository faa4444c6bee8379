-- One notification per task that becomes ready, carrying its id: PostgreSQL folds identical notifications of one
-- transaction into one, so a commit that queues many tasks (a chunked stage fanning out) must send distinct ones.
-- Each notification wakes one idle worker (Workflows/TaskSignal.cs), not all of them.
create or replace function sluice.notify_task_ready() returns trigger language plpgsql as $$
begin
    perform pg_notify('sluice_tasks', new.id::text);
    return null;
end $$;
