//! Recovery time at start-up: a store holding 100,000 jobs, 10,000 of them
//! unfinished (9,000 QUEUED, 1,000 RUNNING, interrupted), the rest COMPLETED
//! with a small result or FAILED. Times `recovery::recover` on a freshly
//! opened store with the memory queue and events, as a restarted server does,
//! three times on the same state, and prints one JSON line per store with the
//! median.
//!
//! ```sh
//! cargo bench --bench recovery
//! ARVAK_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
//!     cargo bench --bench recovery --features storage-postgres
//! ```
//!
//! The store is filled through the store API (`create` in batches of 1,000,
//! then `apply`); how long that took is printed on stderr. Each run gets its
//! own copy of the filled state: a copy of the SQLite file, or a copy of the
//! PostgreSQL schema's tables.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arvak_grpc::adapters::clock::SystemClock;
use arvak_grpc::adapters::events::memory::MemoryJobEvents;
use arvak_grpc::adapters::leadership::SoleNode;
use arvak_grpc::adapters::queue::memory::MemoryJobQueue;
use arvak_grpc::adapters::store::sqlite::{self, SqliteSettings};
use arvak_grpc::app::duties::{DutyPorts, LeaderOffice};
use arvak_grpc::app::recovery::{RecoveryReport, recover};
use arvak_grpc::domain::{
    BackendId, CircuitFormat, CircuitSource, ClientId, FencingToken, Job, JobId, JobResult, NewJob,
    OptimizationLevel, Priority, Shots, Tags, Transition, UnixMillis,
};
use arvak_grpc::ports::JobStore;
use futures::StreamExt;

const JOBS: usize = 100_000;
const CREATE_BATCH: usize = 1_000;
/// Transitions in flight while filling.
const FILL_CONCURRENCY: usize = 64;
const RUNS: usize = 3;
/// The server's default `workers.max_attempts`.
const MAX_ATTEMPTS: u32 = 3;
const BELL: &str = "OPENQASM 3.0; qubit[2] q; h q[0]; cx q[0], q[1];";

type Error = Box<dyn std::error::Error>;

/// What becomes of the `i`-th job: every tenth stays unfinished (one in ten
/// of those RUNNING), one in fifty of the others FAILED, the rest COMPLETED.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    Queued,
    Running,
    Completed,
    Failed,
}

fn fate(i: usize) -> Fate {
    match (i % 10, i % 100, i % 50) {
        (_, 0, _) => Fate::Running,
        (0, _, _) => Fate::Queued,
        (_, _, 1) => Fate::Failed,
        _ => Fate::Completed,
    }
}

fn main() -> Result<(), Error> {
    if std::env::args().skip(1).any(|a| a != "--bench") {
        return Err("usage: cargo bench --bench recovery (no options)".into());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        bench_sqlite().await?;
        bench_postgres().await
    })
}

async fn fill(store: &dyn JobStore) -> Result<Duration, Error> {
    let started = Instant::now();
    let new = NewJob {
        client_id: ClientId::parse("bench")?,
        backend_id: BackendId::parse("simulator")?,
        circuit: CircuitSource {
            format: CircuitFormat::OpenQasm,
            text: BELL.into(),
        },
        shots: Shots::parse(100)?,
        optimization_level: OptimizationLevel::parse(1)?,
        priority: Priority::Normal,
        tags: Tags::default(),
        idempotency_key: None,
        seed: None,
        traceparent: None,
    };
    let ids: Vec<JobId> = (0..JOBS)
        .map(|_| JobId::from_uuid(uuid::Uuid::now_v7()))
        .collect();
    for chunk in ids.chunks(CREATE_BATCH) {
        let jobs = chunk
            .iter()
            .map(|&id| Job::queued(id, new.clone(), UnixMillis(1)))
            .collect();
        store.create(jobs, UnixMillis(0)).await?;
    }
    let created = started.elapsed();
    let result = JobResult {
        counts: BTreeMap::from([("00".to_owned(), 52), ("11".to_owned(), 48)]),
        shots: 100,
        execution_time_ms: 1,
        metadata_json: "{}".to_owned(),
    };
    let token = FencingToken(1);
    let outcomes: Vec<arvak_grpc::domain::Result<()>> =
        futures::stream::iter(ids.into_iter().enumerate())
            .map(|(i, id)| {
                let result = result.clone();
                async move {
                    let end = match fate(i) {
                        Fate::Queued => return Ok(()),
                        Fate::Running => None,
                        Fate::Completed => Some(Transition::Complete {
                            token,
                            at: UnixMillis(3),
                            result,
                        }),
                        Fate::Failed => Some(Transition::Fail {
                            token: Some(token),
                            at: UnixMillis(3),
                            message: "bench: failed on purpose".to_owned(),
                        }),
                    };
                    let start = Transition::Start {
                        token,
                        at: UnixMillis(2),
                    };
                    store.apply(id, start).await?;
                    if let Some(end) = end {
                        store.apply(id, end).await?;
                    }
                    Ok(())
                }
            })
            .buffer_unordered(FILL_CONCURRENCY)
            .collect()
            .await;
    outcomes.into_iter().collect::<Result<(), _>>()?;
    eprintln!(
        "filled {JOBS} jobs in {:.1} s (creates {:.1} s, transitions {:.1} s)",
        started.elapsed().as_secs_f64(),
        created.as_secs_f64(),
        (started.elapsed() - created).as_secs_f64()
    );
    Ok(started.elapsed())
}

/// Recovery on `store` as a restarted server runs it; returns its duration.
async fn timed_recovery(store: Arc<dyn JobStore>) -> Result<(f64, RecoveryReport), Error> {
    let ports = DutyPorts {
        store,
        queue: Arc::new(MemoryJobQueue::new()),
        events: Arc::new(MemoryJobEvents::default()),
        clock: Arc::new(SystemClock),
        telemetry: Arc::new(arvak_grpc::ports::NoTelemetry),
    };
    let started = Instant::now();
    // As a lone node's start-up pass: it opens its leader epoch first.
    let office = LeaderOffice::new(Arc::new(SoleNode::new("bench".into())), ports.store.clone());
    let mandate = office.mandate().await?.expect("a lone node leads");
    let report = recover(&ports, MAX_ATTEMPTS, &mandate).await?;
    Ok((started.elapsed().as_secs_f64(), report))
}

fn line(store: &str, fill: Duration, opens: &[f64], runs: &[(f64, RecoveryReport)]) -> String {
    let median = |mut xs: Vec<f64>| {
        xs.sort_by(f64::total_cmp);
        xs[xs.len() / 2]
    };
    let seconds: Vec<f64> = runs.iter().map(|(s, _)| round3(*s)).collect();
    let report = runs[0].1;
    let same = runs.iter().all(|(_, r)| *r == report);
    serde_json::json!({
        "store": store,
        "jobs": JOBS,
        "median_s": median(seconds.clone()),
        "runs_s": seconds,
        "open_median_s": round3(median(opens.to_vec())),
        "fill_s": round3(fill.as_secs_f64()),
        "found": report.found,
        "requeued": report.requeued,
        "failed": report.failed,
        "queued": report.queued,
        "same_report_every_run": same,
    })
    .to_string()
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn sqlite_settings(path: std::path::PathBuf, synchronous_full: bool) -> SqliteSettings {
    SqliteSettings {
        path,
        synchronous_full,
        busy_timeout: Duration::from_secs(5),
        max_connections: 10,
        cache_bytes: 16 << 20,
    }
}

async fn bench_sqlite() -> Result<(), Error> {
    let dir = tempfile::tempdir()?;
    let filled = dir.path().join("filled.db");
    // Filling syncs less than a server would; what is measured uses the
    // server's default (FULL).
    let fill_time = {
        let store = sqlite::open(&sqlite_settings(filled.clone(), false)).await?;
        fill(&store).await?
    };
    // Fold the WAL into the file so that a copy of it is the whole state.
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", filled.display())).await?;
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&pool)
        .await?;
    pool.close().await;

    let (mut opens, mut runs) = (Vec::new(), Vec::new());
    for run in 0..RUNS {
        let path = dir.path().join(format!("run{run}.db"));
        std::fs::copy(&filled, &path)?;
        let wal = filled.with_extension("db-wal");
        if wal.exists() {
            std::fs::copy(&wal, path.with_extension("db-wal"))?;
        }
        let opened = Instant::now();
        let store = sqlite::open(&sqlite_settings(path, true)).await?;
        opens.push(opened.elapsed().as_secs_f64());
        runs.push(timed_recovery(Arc::new(store)).await?);
    }
    println!("{}", line("sqlite", fill_time, &opens, &runs));
    Ok(())
}

#[cfg(not(feature = "storage-postgres"))]
async fn bench_postgres() -> Result<(), Error> {
    if std::env::var_os("ARVAK_TEST_DATABASE_URL").is_some() {
        eprintln!("PostgreSQL skipped: built without feature `storage-postgres`");
    }
    Ok(())
}

#[cfg(feature = "storage-postgres")]
async fn bench_postgres() -> Result<(), Error> {
    let Ok(url) = std::env::var("ARVAK_TEST_DATABASE_URL") else {
        return Ok(());
    };
    let admin = sqlx::PgPool::connect(&url).await?;
    let base = format!("arvak_recovery_{}", uuid::Uuid::new_v4().simple());
    let outcome = postgres_runs(&url, &admin, &base).await;
    // Drop every schema this bench made, whatever happened.
    let schemas: Vec<(String,)> =
        sqlx::query_as("SELECT nspname::text FROM pg_namespace WHERE nspname LIKE $1")
            .bind(format!("{base}%"))
            .fetch_all(&admin)
            .await?;
    for (schema,) in schemas {
        execute(&admin, format!("DROP SCHEMA \"{schema}\" CASCADE")).await?;
    }
    outcome
}

#[cfg(feature = "storage-postgres")]
async fn execute(pool: &sqlx::PgPool, sql: String) -> Result<(), Error> {
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(pool)
        .await?;
    Ok(())
}

#[cfg(feature = "storage-postgres")]
async fn postgres_runs(url: &str, admin: &sqlx::PgPool, base: &str) -> Result<(), Error> {
    use arvak_grpc::adapters::store::postgres::{self, PostgresSettings};

    let settings = |schema: String| PostgresSettings {
        url: url.to_owned(),
        schema,
        max_connections: 10,
        statement_timeout: Duration::from_secs(30),
        acquire_timeout: Duration::from_secs(5),
    };
    let filled = format!("{base}_filled");
    let fill_time = {
        let store = postgres::open(&settings(filled.clone())).await?;
        fill(&store).await?
    };
    let tables: Vec<(String,)> = sqlx::query_as(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = $1",
    )
    .bind(&filled)
    .fetch_all(admin)
    .await?;

    let (mut opens, mut runs) = (Vec::new(), Vec::new());
    for run in 0..RUNS {
        // A copy of every table (migrations bookkeeping included), with its
        // indexes; foreign keys are not copied and recovery does not need them.
        let schema = format!("{base}_run{run}");
        execute(admin, format!("CREATE SCHEMA \"{schema}\"")).await?;
        for (table,) in &tables {
            execute(
                admin,
                format!(
                    "CREATE TABLE \"{schema}\".\"{table}\" (LIKE \"{filled}\".\"{table}\" INCLUDING ALL);
                     INSERT INTO \"{schema}\".\"{table}\" SELECT * FROM \"{filled}\".\"{table}\";
                     ANALYZE \"{schema}\".\"{table}\";"
                ),
            )
            .await?;
        }
        let opened = Instant::now();
        let store = postgres::open(&settings(schema)).await?;
        opens.push(opened.elapsed().as_secs_f64());
        runs.push(timed_recovery(Arc::new(store)).await?);
    }
    println!("{}", line("postgres", fill_time, &opens, &runs));
    Ok(())
}
