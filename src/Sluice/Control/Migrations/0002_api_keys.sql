-- API keys and the audit log of mutating calls.

-- A key is shown once, as "sluice_<lookup>_<secret>". Only the lookup (not secret: it finds the row) and a salted
-- SHA-256 of the 32-byte random secret are kept; a high-entropy secret needs no slow hash.
create table sluice.api_keys (
    id            bigint generated always as identity primary key,
    name          text not null check (name ~ '^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$'),
    role          text not null check (role in ('viewer', 'operator', 'admin')),
    lookup        text not null unique,
    salt          bytea not null,
    hash          bytea not null,
    created_at    timestamptz not null default now(),
    created_by    text not null,
    revoked_at    timestamptz,
    revoked_by    text,
    last_used_at  timestamptz
);
-- A name belongs to one live key at a time; a revoked name can be used again.
create unique index api_keys_live_name on sluice.api_keys (name) where revoked_at is null;

-- Who did what, when and from where: every mutating API call (allowed or refused) and every key change.
create table sluice.audit_log (
    id       bigint generated always as identity primary key,
    at       timestamptz not null default now(),
    actor    text not null,            -- key name, 'anonymous', 'local' (loopback without keys) or cli:user@host
    role     text,
    action   text not null,            -- e.g. 'PUT /api/v1/buckets/inbox/objects/a.csv' or 'keys.create'
    target   text,
    source   text not null,            -- remote address, or 'cli'
    status   int,                      -- HTTP status answered
    detail   jsonb
);
create index audit_log_at on sluice.audit_log (at desc, id desc);
