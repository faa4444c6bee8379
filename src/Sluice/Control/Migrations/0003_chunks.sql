-- Large files in chunks: a job's transform and load stages may run as one task per chunk, in parallel on any workers.

-- The number of chunks the download stage planned for the current attempt; null when the file is processed whole.
alter table sluice.jobs add column chunks int check (chunks is null or chunks > 1);

-- Which chunk a task or a stage run works on; null for a stage that covers the whole job.
alter table sluice.tasks add column chunk int check (chunk is null or chunk >= 0);
alter table sluice.job_stages add column chunk int check (chunk is null or chunk >= 0);

-- At most one live task per job and chunk: the workflow moves one stage at a time, chunks side by side.
drop index sluice.tasks_one_live_per_job;
create unique index tasks_one_live_per_chunk on sluice.tasks (job_id, coalesce(chunk, -1)) where status in ('ready', 'running');
create index tasks_job_stage on sluice.tasks (job_id, attempt, stage);
