-- The highest outbox id ever issued (0 before the first event). From the id sequence, not max(id): history retention
-- may have removed every event, and an id a subscriber holds from before that is still one this database issued.
select coalesce(pg_sequence_last_value(pg_get_serial_sequence('sluice.events', 'id')), 0)
