-- A stage's commit is one round trip: its statements go to the server together and run in one implicit transaction,
-- the fence first. A fence that finds the lease gone raises this error, which rolls back the whole batch: a worker
-- that lost its lease commits nothing, as before, without a round trip of its own for the fence.
-- SQLSTATE SL001 is Sluice's own (TaskQueue.LeaseLostState).
create function sluice.lease_held(fenced bigint) returns void language plpgsql as $$
begin
    if fenced = 0 then
        raise exception 'the lease on this task is no longer held (another worker took it over)' using errcode = 'SL001';
    end if;
end $$;
