-- A stage commit is one batch of statements sent in one round trip, which PostgreSQL runs as one implicit transaction.
-- Its first statement fences on the lease; when the worker no longer holds it, this raises, and the whole commit is
-- rolled back (the worker sees SQLSTATE SL001 and reports that it lost the lease).
create function sluice.require_lease(held bigint, task_id bigint) returns void language plpgsql as $$
begin
    if held = 0 then
        raise exception 'task % is no longer held by this worker (lease lost)', task_id using errcode = 'SL001';
    end if;
end $$;
