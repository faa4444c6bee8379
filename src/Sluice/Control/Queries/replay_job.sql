-- Start a new attempt of an ended job from a given stage: the job is queued again (from notify: keeps its outcome), the attempt recorded with
-- who, why and from where, and the first task of the attempt queued. Nothing happens if the job is still active.
-- $1 job id, $2 from stage, $3 reason, $4 requested by, $5 pipeline yaml (current definition), $6 max tries, $7 backoff ms,
-- $8 chunks of the first stage (null: one task), $9 whether the stage replayed from reads the workspace's files (a stage
-- after download, before notify), $10 whether it makes them again (download). A job whose workspace was pruned replays
-- only from a stage that does not read them (the job row is locked while a prune removes them, so the two never cross).
with job as (
    update sluice.jobs j
    -- A replay from notify sends the outcome again: the job keeps it (status, error, times), as it does while notify
    -- runs after publish decided it. Any other replay runs the job again.
    set attempt = j.attempt + 1,
        status = case when $2 = 'notify' then j.status else 'queued' end,
        error_code = case when $2 = 'notify' then j.error_code end,
        error_message = case when $2 = 'notify' then j.error_message end,
        finished_at = case when $2 = 'notify' then j.finished_at end,
        started_at = case when $2 = 'notify' then j.started_at end,
        updated_at = now(), pipeline_yaml = $5,
        workspace_pruned_at = case when $10 then null else j.workspace_pruned_at end,
        rows_loaded = case when $2 in ('download', 'transform', 'load') then null else rows_loaded end,
        rows_read = case when $2 in ('download', 'transform') then null else rows_read end,
        rows_rejected = case when $2 in ('download', 'transform') then null else rows_rejected end,
        rows_filtered = case when $2 in ('download', 'transform') then null else rows_filtered end
    where j.id = $1 and j.status in ('succeeded', 'failed') and (j.workspace_pruned_at is null or not $9)
      and not exists (select 1 from sluice.tasks t where t.job_id = j.id and t.status in ('ready', 'running'))
    returning j.id, j.attempt, j.pipeline
), attempt as (
    insert into sluice.job_attempts (job_id, attempt, from_stage, reason, requested_by)
    select id, attempt, $2, $3, $4 from job
), task as (
    insert into sluice.tasks (job_id, attempt, stage, max_tries, backoff_ms, chunk)
    select id, attempt, $2, $6, $7, chunk
    from job, (select null::int as chunk where $8::int is null
               union all
               select generate_series(0, $8::int - 1)) as chunks
), event as (
    insert into sluice.events (job_id, type, payload)
    select id, 'job.replayed', jsonb_build_object('job_id', id, 'pipeline', pipeline, 'attempt', attempt, 'from_stage', $2,
           'reason', $3, 'requested_by', $4) from job
)
select attempt from job
