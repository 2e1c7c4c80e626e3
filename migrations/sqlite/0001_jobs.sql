-- Jobs, their results, tags for filtering, and idempotency keys.
-- Times are Unix milliseconds; ids are UUIDv7 text, so id order is age order.

CREATE TABLE jobs (
    id                 TEXT    NOT NULL PRIMARY KEY,
    client_id          TEXT    NOT NULL,
    backend_id         TEXT    NOT NULL,
    circuit_format     TEXT    NOT NULL,
    circuit_text       TEXT    NOT NULL,
    shots              INTEGER NOT NULL,
    optimization_level INTEGER NOT NULL,
    priority           INTEGER NOT NULL,
    tags               TEXT    NOT NULL,
    idempotency_key    TEXT,
    seed               INTEGER,
    state              TEXT    NOT NULL,
    submitted_at       INTEGER NOT NULL,
    started_at         INTEGER,
    completed_at       INTEGER,
    error_message      TEXT,
    attempts           INTEGER NOT NULL,
    claim_token        INTEGER,
    backend_job_id     TEXT,
    version            INTEGER NOT NULL
) WITHOUT ROWID;

-- A tenant's listing, newest first.
CREATE INDEX jobs_by_client ON jobs (client_id, id);
-- Recovery reads only the jobs that have not ended.
CREATE INDEX jobs_unfinished ON jobs (state, id) WHERE state IN ('QUEUED', 'RUNNING');
-- Retention finds old finished jobs by completion time.
CREATE INDEX jobs_finished ON jobs (state, completed_at) WHERE completed_at IS NOT NULL;

CREATE TABLE job_results (
    job_id            TEXT    NOT NULL PRIMARY KEY,
    counts            BLOB    NOT NULL,
    shots             INTEGER NOT NULL,
    execution_time_ms INTEGER NOT NULL,
    metadata_json     TEXT    NOT NULL
) WITHOUT ROWID;

CREATE TABLE job_tags (
    job_id TEXT NOT NULL,
    key    TEXT NOT NULL,
    value  TEXT NOT NULL,
    PRIMARY KEY (job_id, key)
) WITHOUT ROWID;
CREATE INDEX job_tags_by_value ON job_tags (key, value, job_id);

CREATE TABLE idempotency_keys (
    client_id       TEXT    NOT NULL,
    idempotency_key TEXT    NOT NULL,
    job_id          TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (client_id, idempotency_key)
) WITHOUT ROWID;
