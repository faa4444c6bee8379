-- Record reconciliation counts reported by a stage; null leaves a count as it was.
-- $1 job id, $2 read, $3 loaded, $4 rejected, $5 filtered
update sluice.jobs
set rows_read = coalesce($2, rows_read), rows_loaded = coalesce($3, rows_loaded),
    rows_rejected = coalesce($4, rows_rejected), rows_filtered = coalesce($5, rows_filtered), updated_at = now()
where id = $1
