//! Test support: a database at the schema before migration 5 (results in
//! a table of their own), with rows in it, for checking that the
//! migration keeps every result. Each database writes a blob its own way.

use crate::domain::{JobId, JobResult};
use crate::ports::JobStore;

/// Migrations before results moved into the jobs row.
pub const BEFORE_RESULTS_IN_JOBS: usize = 4;

/// A COMPLETED job whose result sits in `job_results`, and a QUEUED one
/// with none. `blob` turns a text literal into the database's blob.
pub fn old_rows(completed: JobId, queued: JobId, blob: fn(&str) -> String) -> String {
    let job = |id: JobId, state: &str, completed_at: &str| {
        format!(
            "INSERT INTO jobs (id, client_id, backend_id, circuit_format, circuit_text, shots, \
             optimization_level, priority, tags, state, submitted_at, completed_at, attempts, \
             version) VALUES ('{id}', 'alice', 'simulator', 'openqasm', \
             'OPENQASM 3.0; qubit[1] q; bit[1] c; c[0] = measure q[0];', 10, 1, 1, '{{}}', \
             '{state}', 1000, {completed_at}, 1, 3);"
        )
    };
    format!(
        "{}{}INSERT INTO job_results (job_id, counts, shots, execution_time_ms, metadata_json) \
         VALUES ('{completed}', {}, 10, 7, '{{\"seed\":1}}');",
        job(completed, "COMPLETED", "2000"),
        job(queued, "QUEUED", "NULL"),
        blob(r#"{"0":10}"#),
    )
}

/// The migrated store answers the completed job's result as it was stored
/// and no result for the queued one.
pub async fn assert_results_kept(store: &dyn JobStore, completed: JobId, queued: JobId) {
    let result = store.result(completed).await.unwrap();
    let expected = JobResult {
        counts: [("0".to_owned(), 10)].into_iter().collect(),
        shots: 10,
        execution_time_ms: 7,
        metadata_json: r#"{"seed":1}"#.to_owned(),
    };
    assert_eq!(
        result,
        Some(expected),
        "the stored result survives the migration"
    );
    assert_eq!(store.result(queued).await.unwrap(), None);
    let job = store
        .get(completed)
        .await
        .unwrap()
        .expect("the job is kept");
    assert_eq!(job.state, crate::domain::JobState::Completed);
}
