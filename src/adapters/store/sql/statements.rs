//! SQL shared by the SQLite and PostgreSQL stores. Queries are built as
//! `SqlQuery`, whose placeholders both databases read, so the text of a
//! query is written once; values go in as bound parameters, never as text.

use std::borrow::Cow;

use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{ColumnIndex, Decode, Row, SqlStr, Type};

pub use super::query::SqlQuery;
use super::query::{SqlArray, SqlValue};
use super::row::{JOB_COLUMNS, JobRow, encode_counts};
use crate::domain::{Job, JobResult, Transition};
use crate::ports::JobQuery;

/// A migrator over SQL files embedded at build time: (version, name, SQL).
pub fn migrator(files: &'static [(i64, &'static str, &'static str)]) -> Migrator {
    let migrations = files
        .iter()
        .map(|(version, name, sql)| {
            Migration::new(
                *version,
                Cow::Borrowed(*name),
                MigrationType::Simple,
                SqlStr::from_static(sql),
                false,
            )
        })
        .collect::<Vec<_>>();
    Migrator {
        migrations: Cow::Owned(migrations),
        ..Migrator::DEFAULT
    }
}

/// A `JobRow` from a row of `JOB_COLUMNS`, with the driver's getter by
/// column name (`try_get` for sqlx, `get` for rusqlite), each failing with
/// `?`. One list of the columns for both.
macro_rules! job_row_from {
    ($row:ident . $get:ident) => {
        $crate::adapters::store::sql::row::JobRow {
            id: $row.$get("id")?,
            client_id: $row.$get("client_id")?,
            backend_id: $row.$get("backend_id")?,
            circuit_format: $row.$get("circuit_format")?,
            circuit_text: $row.$get("circuit_text")?,
            shots: $row.$get("shots")?,
            optimization_level: $row.$get("optimization_level")?,
            priority: $row.$get("priority")?,
            tags: $row.$get("tags")?,
            idempotency_key: $row.$get("idempotency_key")?,
            seed: $row.$get("seed")?,
            state: $row.$get("state")?,
            submitted_at: $row.$get("submitted_at")?,
            started_at: $row.$get("started_at")?,
            completed_at: $row.$get("completed_at")?,
            error_message: $row.$get("error_message")?,
            attempts: $row.$get("attempts")?,
            claim_token: $row.$get("claim_token")?,
            backend_job_id: $row.$get("backend_job_id")?,
            version: $row.$get("version")?,
            traceparent: $row.$get("traceparent")?,
        }
    };
}
#[cfg(feature = "storage-sqlite")]
pub(crate) use job_row_from;

/// Reads the columns of `JOB_COLUMNS` from a row.
pub fn read_job_row<'r, R>(row: &'r R) -> Result<JobRow, sqlx::Error>
where
    R: Row,
    &'static str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    Option<String>: Decode<'r, R::Database> + Type<R::Database>,
    Option<i64>: Decode<'r, R::Database> + Type<R::Database>,
{
    Ok(job_row_from!(row.try_get))
}

/// Rows per multi-row INSERT: 21 columns × 400 rows is 8,400 parameters,
/// well below SQLite's 32,766 and PostgreSQL's 65,535.
pub const INSERT_CHUNK: usize = 400;

pub fn insert_jobs(rows: impl IntoIterator<Item = JobRow>) -> SqlQuery {
    let mut q = SqlQuery::new(format!("INSERT INTO jobs ({JOB_COLUMNS}) VALUES "));
    for (i, row) in rows.into_iter().enumerate() {
        q.push(if i == 0 { "(" } else { ", (" });
        q.text(row.id);
        for value in [
            row.client_id,
            row.backend_id,
            row.circuit_format,
            row.circuit_text,
        ] {
            q.push(", ");
            q.text(value);
        }
        for value in [row.shots, row.optimization_level, row.priority] {
            q.push(", ");
            q.int(value);
        }
        q.push(", ");
        q.text(row.tags);
        q.push(", ");
        q.opt_text(row.idempotency_key);
        q.push(", ");
        q.opt_int(row.seed);
        q.push(", ");
        q.text(row.state);
        q.push(", ");
        q.int(row.submitted_at);
        for value in [row.started_at, row.completed_at] {
            q.push(", ");
            q.opt_int(value);
        }
        q.push(", ");
        q.opt_text(row.error_message);
        q.push(", ");
        q.int(row.attempts);
        q.push(", ");
        q.opt_int(row.claim_token);
        q.push(", ");
        q.opt_text(row.backend_job_id);
        q.push(", ");
        q.int(row.version);
        q.push(", ");
        q.opt_text(row.traceparent);
        q.push(")");
    }
    q
}

/// The same rows as arrays (PostgreSQL): one statement text, prepared
/// once, whatever the number of rows.
pub fn insert_jobs_as_arrays(rows: Vec<JobRow>) -> SqlQuery {
    let n = rows.len();
    // One vector per column of JOB_COLUMNS, in its order; the rows' values
    // move into them.
    let mut texts: [Vec<String>; 7] = std::array::from_fn(|_| Vec::with_capacity(n));
    let mut ints: [Vec<i64>; 6] = std::array::from_fn(|_| Vec::with_capacity(n));
    let mut opt_texts: [Vec<Option<String>>; 4] = std::array::from_fn(|_| Vec::with_capacity(n));
    let mut opt_ints: [Vec<Option<i64>>; 4] = std::array::from_fn(|_| Vec::with_capacity(n));
    for row in rows {
        let [id, client, backend, format, circuit, tags, state] = &mut texts;
        id.push(row.id);
        client.push(row.client_id);
        backend.push(row.backend_id);
        format.push(row.circuit_format);
        circuit.push(row.circuit_text);
        tags.push(row.tags);
        state.push(row.state);
        let [shots, optimization, priority, submitted, attempts, version] = &mut ints;
        shots.push(row.shots);
        optimization.push(row.optimization_level);
        priority.push(row.priority);
        submitted.push(row.submitted_at);
        attempts.push(row.attempts);
        version.push(row.version);
        let [key, error, backend_job, traceparent] = &mut opt_texts;
        key.push(row.idempotency_key);
        error.push(row.error_message);
        backend_job.push(row.backend_job_id);
        traceparent.push(row.traceparent);
        let [seed, started, completed, token] = &mut opt_ints;
        seed.push(row.seed);
        started.push(row.started_at);
        completed.push(row.completed_at);
        token.push(row.claim_token);
    }
    let [id, client, backend, format, circuit, tags, state] = texts.map(SqlArray::Text);
    let [shots, optimization, priority, submitted, attempts, version] = ints.map(SqlArray::Int);
    let [key, error, backend_job, traceparent] = opt_texts.map(SqlArray::OptText);
    let [seed, started, completed, token] = opt_ints.map(SqlArray::OptInt);
    let columns = [
        id,
        client,
        backend,
        format,
        circuit,
        shots,
        optimization,
        priority,
        tags,
        key,
        seed,
        state,
        submitted,
        started,
        completed,
        error,
        attempts,
        token,
        backend_job,
        version,
        traceparent,
    ];
    let mut q = SqlQuery::new(format!(
        "INSERT INTO jobs ({JOB_COLUMNS}) SELECT * FROM UNNEST("
    ));
    for (i, column) in columns.into_iter().enumerate() {
        q.push(if i == 0 { "" } else { ", " });
        q.array(column);
    }
    q.push(")");
    q
}

/// Tag rows as arrays (PostgreSQL).
pub fn insert_tags_as_arrays(tags: &[(String, String, String)]) -> SqlQuery {
    let mut q = SqlQuery::new("INSERT INTO job_tags (job_id, key, value) SELECT * FROM UNNEST(");
    q.array(SqlArray::Text(tags.iter().map(|t| t.0.clone()).collect()));
    q.push(", ");
    q.array(SqlArray::Text(tags.iter().map(|t| t.1.clone()).collect()));
    q.push(", ");
    q.array(SqlArray::Text(tags.iter().map(|t| t.2.clone()).collect()));
    q.push(")");
    q
}

/// Tag rows: (job id, key, value).
pub fn insert_tags(tags: &[(String, String, String)]) -> SqlQuery {
    let mut q = SqlQuery::new("INSERT INTO job_tags (job_id, key, value) VALUES ");
    for (i, (job_id, key, value)) in tags.iter().enumerate() {
        q.push(if i == 0 { "(" } else { ", (" });
        q.text(job_id.clone());
        q.push(", ");
        q.text(key.clone());
        q.push(", ");
        q.text(value.clone());
        q.push(")");
    }
    q
}

/// The columns a transition can change, and the version the job was read
/// at: the fence that refuses the write if another writer came first.
pub struct JobUpdate {
    pub id: String,
    pub expected_version: i64,
    pub state: String,
    pub started_at: Option<i64>,
    pub completed_at: Option<i64>,
    pub error_message: Option<String>,
    pub attempts: i64,
    pub claim_token: Option<i64>,
    pub backend_job_id: Option<String>,
    pub version: i64,
    pub result: ResultChange,
}

/// What a transition does to the result columns of the job's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResultChange {
    Keep,
    /// A completion stores its result.
    Store(StoredResult),
    /// Retention expires it.
    Clear,
}

/// A completed job's result as stored: the counts encoded, the rest as is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResult {
    pub counts: Vec<u8>,
    pub shots: i64,
    pub execution_time_ms: i64,
    pub metadata_json: String,
}

impl StoredResult {
    pub fn of(result: &JobResult) -> Self {
        Self {
            counts: encode_counts(result),
            shots: i64::from(result.shots),
            execution_time_ms: i64::try_from(result.execution_time_ms).unwrap_or(i64::MAX),
            metadata_json: result.metadata_json.clone(),
        }
    }
}

impl JobUpdate {
    /// The update that writes `transition`, which left `job` as it is now;
    /// the job was read at `expected_version`.
    pub fn after(job: &Job, expected_version: i64, transition: &Transition) -> Self {
        let mut update = Self::new(job, expected_version);
        update.result = match transition {
            Transition::Complete { result, .. } => ResultChange::Store(StoredResult::of(result)),
            Transition::ExpireResult => ResultChange::Clear,
            _ => ResultChange::Keep,
        };
        update
    }

    /// `job` as a transition left it, read at `expected_version`, its
    /// result untouched. (Encoded as `JobRow::from_job` does, without
    /// copying the circuit.)
    pub fn new(job: &Job, expected_version: i64) -> Self {
        Self {
            id: job.id.to_string(),
            expected_version,
            state: job.state.as_str().to_owned(),
            started_at: job.started_at.map(|t| t.0),
            completed_at: job.completed_at.map(|t| t.0),
            error_message: job.error_message.clone(),
            attempts: i64::from(job.attempts),
            claim_token: job.claim_token.map(|t| t.0 as i64),
            backend_job_id: job.backend_job_id.clone(),
            version: job.version as i64,
            result: ResultChange::Keep,
        }
    }

    /// The result this update stores, if it stores one.
    fn stored(&self) -> Option<&StoredResult> {
        match &self.result {
            ResultChange::Store(stored) => Some(stored),
            ResultChange::Keep | ResultChange::Clear => None,
        }
    }
}

/// The columns a transition changes, in the order of `JobUpdate::changed`.
const CHANGED_COLUMNS: [&str; 8] = [
    "state",
    "started_at",
    "completed_at",
    "error_message",
    "attempts",
    "claim_token",
    "backend_job_id",
    "version",
];

impl JobUpdate {
    /// The new values of `CHANGED_COLUMNS`.
    fn changed(&self) -> [SqlValue; 8] {
        [
            SqlValue::Text(self.state.clone()),
            SqlValue::opt_int(self.started_at),
            SqlValue::opt_int(self.completed_at),
            SqlValue::opt_text(self.error_message.clone()),
            SqlValue::Int(self.attempts),
            SqlValue::opt_int(self.claim_token),
            SqlValue::opt_text(self.backend_job_id.clone()),
            SqlValue::Int(self.version),
        ]
    }
}

/// Writes the fields a transition changed, only if nobody changed the job
/// since it was read (its expected version): one row changed, or none if
/// it met another version. One row per statement, which the SQLite writer
/// prepares once: for a single row this plain form was 1.05 × faster than
/// the CTE of values joined to `jobs` that a many-row update needs, and
/// leaving out `RETURNING id` another 1.15 × (SubmitJob, paired).
pub fn update_job(update: &JobUpdate) -> SqlQuery {
    let mut q = SqlQuery::new("UPDATE jobs SET ");
    let changed = CHANGED_COLUMNS.into_iter().zip(update.changed());
    for (i, (column, value)) in changed.enumerate() {
        q.push(if i == 0 { "" } else { ", " });
        q.push(column);
        q.push(" = ");
        q.value(value);
    }
    match &update.result {
        ResultChange::Keep => {}
        ResultChange::Store(result) => {
            q.push(", result_counts = ");
            q.bytes(result.counts.clone());
            q.push(", result_shots = ");
            q.int(result.shots);
            q.push(", result_execution_time_ms = ");
            q.int(result.execution_time_ms);
            q.push(", result_metadata_json = ");
            q.text(result.metadata_json.clone());
        }
        ResultChange::Clear => {
            q.push(CLEAR_RESULT);
        }
    }
    q.push(" WHERE id = ");
    q.text(update.id.clone());
    q.push(" AND version = ");
    q.int(update.expected_version);
    q
}

/// The same fenced write for many rows at once, as arrays (PostgreSQL):
/// one statement joins the new values to `jobs` and answers the ids it
/// changed (a row whose version moved on is left out). One statement for
/// every kind of change, whatever the number of rows: each row says whether
/// it keeps its result columns, and otherwise gives their new values (NULL
/// clears them). Rows are locked in the order given: give them in id order,
/// so that two writers changing some of the same rows never wait on each
/// other in a circle, as two statements per batch (one per kind) did.
pub fn update_jobs(updates: &[&JobUpdate]) -> SqlQuery {
    let mut q = SqlQuery::new("UPDATE jobs SET ");
    for (i, column) in CHANGED_COLUMNS.into_iter().enumerate() {
        q.push(if i == 0 { "" } else { ", " });
        q.push(format!("{column} = v.{column}"));
    }
    for column in RESULT_COLUMNS {
        q.push(format!(
            ", {column} = CASE WHEN v.keeps_result THEN jobs.{column} ELSE v.{column} END"
        ));
    }
    q.push(" FROM UNNEST(");
    let column = |f: fn(&JobUpdate) -> i64| updates.iter().map(|u| f(u)).collect();
    let opt_column = |f: fn(&JobUpdate) -> Option<i64>| updates.iter().map(|u| f(u)).collect();
    let text_column =
        |f: fn(&JobUpdate) -> Option<&String>| updates.iter().map(|u| f(u).cloned()).collect();
    let stored = |f: fn(&StoredResult) -> i64| {
        updates
            .iter()
            .map(|u| u.stored().map(f))
            .collect::<Vec<_>>()
    };
    q.array(SqlArray::Text(
        updates.iter().map(|u| u.id.clone()).collect(),
    ));
    let arrays = [
        SqlArray::Int(column(|u| u.expected_version)),
        SqlArray::Text(updates.iter().map(|u| u.state.clone()).collect()),
        SqlArray::OptInt(opt_column(|u| u.started_at)),
        SqlArray::OptInt(opt_column(|u| u.completed_at)),
        SqlArray::OptText(text_column(|u| u.error_message.as_ref())),
        SqlArray::Int(column(|u| u.attempts)),
        SqlArray::OptInt(opt_column(|u| u.claim_token)),
        SqlArray::OptText(text_column(|u| u.backend_job_id.as_ref())),
        SqlArray::Int(column(|u| u.version)),
        SqlArray::Bool(
            updates
                .iter()
                .map(|u| u.result == ResultChange::Keep)
                .collect(),
        ),
        SqlArray::OptBytes(
            updates
                .iter()
                .map(|u| u.stored().map(|r| r.counts.clone()))
                .collect(),
        ),
        SqlArray::OptInt(stored(|r| r.shots)),
        SqlArray::OptInt(stored(|r| r.execution_time_ms)),
        SqlArray::OptText(
            updates
                .iter()
                .map(|u| u.stored().map(|r| r.metadata_json.clone()))
                .collect(),
        ),
    ];
    for array in arrays {
        q.push(", ");
        q.array(array);
    }
    q.push(") AS v (id, expected_version, ");
    q.push(CHANGED_COLUMNS.join(", "));
    q.push(", keeps_result, ");
    q.push(RESULT_COLUMNS.join(", "));
    q.push(") WHERE jobs.id = v.id AND jobs.version = v.expected_version RETURNING jobs.id");
    q
}

/// The result columns, in the order of `StoredResult`'s fields.
const RESULT_COLUMNS: [&str; 4] = [
    "result_counts",
    "result_shots",
    "result_execution_time_ms",
    "result_metadata_json",
];

/// Several jobs, given as an array of ids (PostgreSQL).
pub fn select_jobs(ids: Vec<String>) -> SqlQuery {
    let mut q = SqlQuery::new(format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = ANY("));
    q.array(SqlArray::Text(ids));
    q.push(")");
    q
}

/// Several jobs with their rows locked in id order (PostgreSQL): a
/// transaction that changes rows in several statements locks them all
/// here first, in the one order every writer uses.
pub fn lock_jobs(ids: Vec<String>) -> SqlQuery {
    let mut q = select_jobs(ids);
    q.push(" ORDER BY id FOR UPDATE");
    q
}

/// One job with its row locked, or nothing when another transaction
/// holds its lock (PostgreSQL).
pub fn select_job_unless_locked(id: &str) -> SqlQuery {
    let mut q = select_job(id, true);
    q.push(" SKIP LOCKED");
    q
}

pub fn select_job(id: &str, for_update: bool) -> SqlQuery {
    let mut q = SqlQuery::new(format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = "));
    q.text(id.to_owned());
    if for_update {
        q.push(" FOR UPDATE");
    }
    q
}

/// A page of jobs, newest first; asks for one more than the page to know
/// whether another page follows.
pub fn list_jobs(query: &JobQuery) -> SqlQuery {
    let mut q = SqlQuery::new(format!("SELECT {JOB_COLUMNS} FROM jobs WHERE 1 = 1"));
    if let Some(client) = &query.client_id {
        q.push(" AND client_id = ");
        q.text(client.to_string());
    }
    if let Some(state) = query.state {
        q.push(" AND state = ");
        q.text(state.as_str().to_owned());
    }
    if let Some(backend) = &query.backend_id {
        q.push(" AND backend_id = ");
        q.text(backend.to_string());
    }
    if let Some(before) = query.before {
        q.push(" AND id < ");
        q.text(before.to_string());
    }
    for (key, value) in query.tags.iter() {
        q.push(" AND EXISTS (SELECT 1 FROM job_tags t WHERE t.job_id = jobs.id AND t.key = ");
        q.text(key.to_owned());
        q.push(" AND t.value = ");
        q.text(value.to_owned());
        q.push(")");
    }
    q.push(" ORDER BY id DESC LIMIT ");
    q.int(query.page_size.max(1) as i64 + 1);
    q
}

pub fn unfinished_jobs(after: Option<&str>, limit: usize) -> SqlQuery {
    let mut q = SqlQuery::new(format!(
        "SELECT {JOB_COLUMNS} FROM jobs WHERE state IN ('QUEUED', 'RUNNING')"
    ));
    if let Some(after) = after {
        q.push(" AND id > ");
        q.text(after.to_owned());
    }
    q.push(" ORDER BY id LIMIT ");
    q.int(limit as i64);
    q
}

pub fn count_queued(client: &str) -> SqlQuery {
    let mut q = SqlQuery::new("SELECT COUNT(*) FROM jobs WHERE state = 'QUEUED' AND client_id = ");
    q.text(client.to_owned());
    q
}

/// Takes the idempotency key for `job_id` unless a job newer than `since`
/// holds it; returns a row (the new holder) only when it was taken.
pub fn claim_idempotency_key(
    client: &str,
    key: &str,
    job_id: &str,
    at: i64,
    since: i64,
) -> SqlQuery {
    let mut q = SqlQuery::new(
        "INSERT INTO idempotency_keys (client_id, idempotency_key, job_id, created_at) VALUES (",
    );
    q.text(client.to_owned());
    q.push(", ");
    q.text(key.to_owned());
    q.push(", ");
    q.text(job_id.to_owned());
    q.push(", ");
    q.int(at);
    q.push(
        ") ON CONFLICT (client_id, idempotency_key) DO UPDATE \
         SET job_id = excluded.job_id, created_at = excluded.created_at \
         WHERE idempotency_keys.created_at < ",
    );
    q.int(since);
    q.push(" RETURNING job_id");
    q
}

pub fn idempotency_holder(client: &str, key: &str) -> SqlQuery {
    let mut q = SqlQuery::new("SELECT job_id FROM idempotency_keys WHERE client_id = ");
    q.text(client.to_owned());
    q.push(" AND idempotency_key = ");
    q.text(key.to_owned());
    q
}

/// Sets a row's result columns to NULL.
const CLEAR_RESULT: &str = ", result_counts = NULL, result_shots = NULL, \
     result_execution_time_ms = NULL, result_metadata_json = NULL";

/// A job's stored result, no row if it has none.
pub fn select_result(job_id: &str) -> SqlQuery {
    let mut q = SqlQuery::new(
        "SELECT result_counts, result_shots, result_execution_time_ms, result_metadata_json \
         FROM jobs WHERE result_counts IS NOT NULL AND id = ",
    );
    q.text(job_id.to_owned());
    q
}

/// `DELETE FROM <table> WHERE <column> IN (ids…)`.
pub fn delete_where_in(table: &str, column: &str, ids: &[String]) -> SqlQuery {
    let mut q = SqlQuery::new(format!("DELETE FROM {table} WHERE {column} IN ("));
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            q.push(", ");
        }
        q.text(id.clone());
    }
    q.push(")");
    q
}

/// Moves the leader epoch on by one and answers it.
pub fn open_leader_epoch() -> SqlQuery {
    SqlQuery::new("UPDATE leader_epoch SET epoch = epoch + 1 RETURNING CAST(epoch AS TEXT)")
}

/// Answers the leader epoch, locking its row (an update that changes
/// nothing: SQLite has no `SELECT … FOR UPDATE`).
pub fn lock_leader_epoch() -> SqlQuery {
    SqlQuery::new("UPDATE leader_epoch SET epoch = epoch RETURNING CAST(epoch AS TEXT)")
}

/// Ids of jobs in one of `states` that ended before `before`, oldest first.
pub fn ended_before(states: &str, before: i64, limit: usize) -> SqlQuery {
    let mut q = SqlQuery::new(format!(
        "SELECT id FROM jobs WHERE state IN ({states}) AND completed_at < "
    ));
    q.int(before);
    q.push(" ORDER BY completed_at LIMIT ");
    q.int(limit as i64);
    q
}

/// Marks the given COMPLETED jobs RESULT_EXPIRED.
pub fn expire_results(ids: &[String]) -> SqlQuery {
    let mut q = SqlQuery::new("UPDATE jobs SET state = 'RESULT_EXPIRED', version = version + 1");
    q.push(CLEAR_RESULT);
    q.push(" WHERE state = 'COMPLETED' AND id IN (");
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            q.push(", ");
        }
        q.text(id.clone());
    }
    q.push(")");
    q
}

/// Marks a job whose row cannot be read FAILED, saying why, so that it ends
/// instead of failing every request about it forever.
pub fn fail_unreadable(id: &str, message: String) -> SqlQuery {
    let mut q = SqlQuery::new("UPDATE jobs SET state = 'FAILED', error_message = ");
    q.text(message);
    // A damaged state column counts as unfinished too.
    q.push(
        ", version = version + 1 \
         WHERE state NOT IN ('COMPLETED', 'FAILED', 'CANCELED', 'RESULT_EXPIRED') AND id = ",
    );
    q.text(id.to_owned());
    q
}
