-- The control plane: jobs, their stage attempts, the task queue with leases, the events outbox and job logs.

create table sluice.jobs (
    id              uuid primary key,                -- UUIDv7: sorts by creation time
    pipeline        text not null,
    workflow        text not null check (workflow in ('load', 'convert')),
    source_bucket   text not null,
    source_key      text not null,
    source_size     bigint not null,
    source_sha256   text not null,
    status          text not null default 'queued' check (status in ('queued', 'running', 'succeeded', 'failed')),
    attempt         int not null default 1,
    pipeline_yaml   text not null,                   -- the pipeline as it was when this attempt started
    pipeline_file   text not null,
    workspace       text not null,
    created_at      timestamptz not null default now(),
    started_at      timestamptz,
    finished_at     timestamptz,
    updated_at      timestamptz not null default now(),
    error_code      text,
    error_message   text,
    rows_read       bigint,
    rows_loaded     bigint,
    rows_rejected   bigint,
    rows_filtered   bigint
);

-- The same content arriving again under the same key is the same job.
create unique index jobs_source_once on sluice.jobs (source_bucket, source_key, source_sha256);
create index jobs_status on sluice.jobs (status, id);
create index jobs_pipeline on sluice.jobs (pipeline, id);

-- Each attempt of a job: the first from arrival, later ones from replays.
create table sluice.job_attempts (
    job_id        uuid not null references sluice.jobs (id) on delete cascade,
    attempt       int not null,
    from_stage    text not null,
    reason        text,
    requested_by  text not null,
    created_at    timestamptz not null default now(),
    primary key (job_id, attempt)
);

-- One row per run of a stage.
create table sluice.job_stages (
    id           bigint generated always as identity primary key,
    job_id       uuid not null references sluice.jobs (id) on delete cascade,
    attempt      int not null,
    name         text not null,
    try          int not null default 1,
    status       text not null check (status in ('running', 'succeeded', 'failed', 'retrying', 'abandoned')),
    worker_id    text,
    started_at   timestamptz not null default now(),
    finished_at  timestamptz,
    error_code   text,
    error_message text,
    outputs      jsonb
);
create index job_stages_job on sluice.job_stages (job_id, id);

create sequence sluice.lease_tokens;

-- The task queue. A task is one stage of one job attempt. Claimed with FOR UPDATE SKIP LOCKED; owned through a
-- lease whose expiry is on the database clock; every change checks lease_token (fencing).
create table sluice.tasks (
    id                bigint generated always as identity primary key,
    job_id            uuid not null references sluice.jobs (id) on delete cascade,
    attempt           int not null,
    stage             text not null,
    status            text not null default 'ready' check (status in ('ready', 'running', 'done', 'failed', 'cancelled')),
    tries             int not null default 0,
    max_tries         int not null,
    backoff_ms        int not null,
    run_after         timestamptz not null default now(),
    lease_owner       text,
    lease_token       bigint,
    lease_expires_at  timestamptz,
    stage_row_id      bigint,
    last_error        text,
    created_at        timestamptz not null default now(),
    updated_at        timestamptz not null default now()
);
create index tasks_ready on sluice.tasks (run_after, id) where status = 'ready';
create index tasks_running on sluice.tasks (lease_expires_at) where status = 'running';
create index tasks_job on sluice.tasks (job_id);
-- At most one live task per job: the workflow moves one stage at a time.
create unique index tasks_one_live_per_job on sluice.tasks (job_id) where status in ('ready', 'running');

-- Events outbox: written in the same transaction as the state change they describe.
create table sluice.events (
    id          bigint generated always as identity primary key,
    job_id      uuid references sluice.jobs (id) on delete cascade,
    type        text not null,
    payload     jsonb not null,
    created_at  timestamptz not null default now()
);
create index events_job on sluice.events (job_id, id);

-- Structured log lines about a job, from whichever process wrote them.
create table sluice.job_logs (
    id        bigint generated always as identity primary key,
    job_id    uuid not null references sluice.jobs (id) on delete cascade,
    at        timestamptz not null default clock_timestamp(),
    level     text not null,
    worker_id text,
    stage     text,
    message   text not null
);
create index job_logs_job on sluice.job_logs (job_id, id);

-- Wake sleeping workers as soon as a task becomes ready; polling remains as the fallback.
create function sluice.notify_task_ready() returns trigger language plpgsql as $$
begin
    perform pg_notify('sluice_tasks', '');
    return null;
end $$;
create trigger tasks_ready_notify after insert or update of status on sluice.tasks
    for each row when (new.status = 'ready') execute function sluice.notify_task_ready();
