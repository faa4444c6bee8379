-- Add one chunk's reconciliation counts to the job's; null adds nothing. The job row is locked by the caller.
-- $1 job id, $2 read, $3 loaded, $4 rejected, $5 filtered
update sluice.jobs
set rows_read = case when $2::bigint is null then rows_read else coalesce(rows_read, 0) + $2 end,
    rows_loaded = case when $3::bigint is null then rows_loaded else coalesce(rows_loaded, 0) + $3 end,
    rows_rejected = case when $4::bigint is null then rows_rejected else coalesce(rows_rejected, 0) + $4 end,
    rows_filtered = case when $5::bigint is null then rows_filtered else coalesce(rows_filtered, 0) + $5 end,
    updated_at = now()
where id = $1
