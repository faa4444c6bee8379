-- What each chunk's transform counted, written as soon as it has read its part of the file (before its stage is
-- recorded). Chunks that load as they transform (streamed loads) wait on these to check the whole file's rejects
-- before any of them commits a row.
create table sluice.chunk_tallies (
    job_id         uuid not null references sluice.jobs (id) on delete cascade,
    attempt        int not null,
    chunk          int not null check (chunk >= 0),
    rows_read      bigint not null,
    rows_rejected  bigint not null,
    primary key (job_id, attempt, chunk)
);
