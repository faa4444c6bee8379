-- Receive: record a job for a newly arrived object, unless this exact content already arrived under this key.
-- $1 id, $2 pipeline, $3 workflow, $4 bucket, $5 key, $6 size, $7 sha256, $8 pipeline yaml, $9 pipeline file,
-- $10 workspace, $11 requested by, $12 first stage, $13 max tries, $14 backoff ms
with job as (
    insert into sluice.jobs (id, pipeline, workflow, source_bucket, source_key, source_size, source_sha256,
                             pipeline_yaml, pipeline_file, workspace)
    values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
    on conflict (source_bucket, source_key, source_sha256) do nothing
    returning id
), attempt as (
    insert into sluice.job_attempts (job_id, attempt, from_stage, reason, requested_by)
    select id, 1, 'receive', 'arrival', $11 from job
), stage as (
    insert into sluice.job_stages (job_id, attempt, name, status, worker_id, finished_at, outputs)
    select id, 1, 'receive', 'succeeded', $11, now(),
           jsonb_build_object('bucket', $4, 'key', $5, 'size', $6, 'sha256', $7) from job
), task as (
    insert into sluice.tasks (job_id, attempt, stage, max_tries, backoff_ms)
    select id, 1, $12, $13, $14 from job
), events as (
    insert into sluice.events (job_id, type, payload)
    select id, e.type, jsonb_build_object('job_id', id, 'pipeline', $2, 'workflow', $3, 'stage', e.stage,
           'source', jsonb_build_object('bucket', $4, 'key', $5, 'size', $6, 'sha256', $7))
    from job, (values ('job.created', null), ('stage.succeeded', 'receive')) as e(type, stage)
)
select id, true as created from job
union all
select id, false from sluice.jobs where source_bucket = $4 and source_key = $5 and source_sha256 = $7 and not exists (select 1 from job)
