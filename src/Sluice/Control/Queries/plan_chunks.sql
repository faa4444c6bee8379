-- Record how many chunks the download stage planned for this attempt (null: the file is processed whole).
-- $1 job id, $2 chunks
update sluice.jobs set chunks = $2::int, updated_at = now() where id = $1
