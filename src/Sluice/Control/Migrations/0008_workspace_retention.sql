-- Workspace retention: when the files a job left in its workspace (the arrival copy, the load artifact, the rejects)
-- were removed (`sluice workspace prune`, or serve with SLUICE_WORKSPACE_RETENTION). Null while they are there. A
-- replay from a stage after download needs those files, so it is refused once they are gone; a replay from download
-- makes them again and sets this back to null.
alter table sluice.jobs add column workspace_pruned_at timestamptz;

-- The ended jobs whose workspaces are still there, oldest end first: what a prune walks. Small once pruning runs
-- regularly (jobs leave it as they are pruned).
create index jobs_workspace_kept on sluice.jobs (finished_at, id) where workspace_pruned_at is null and finished_at is not null;
