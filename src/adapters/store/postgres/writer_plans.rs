//! The writer's connections keep one plan per statement (`Plans::Kept`),
//! made the first time a connection runs it, often while the jobs table is
//! still empty. Each such plan must find the jobs and tags it touches by
//! key, so that it stays cheap however large the tables grow: here every
//! statement the writer sends is planned on an empty schema, as a kept
//! (generic) plan, and no scan of `jobs` or `job_tags` may read without an
//! index condition.

use serde_json::Value;

use super::*;
use crate::adapters::store::sql::query::{SqlArray, SqlQuery, SqlValue};
use crate::adapters::store::sql::row::JobRow;
use crate::adapters::store::sql::sql_store::statement_for;
use crate::adapters::store::sql::statements::{self, JobUpdate};
use crate::domain::job::tests::queued_job;
use crate::domain::{Job, Tags, Transition, UnixMillis};

fn job(tagged: bool) -> Job {
    let mut job = queued_job();
    if tagged {
        job.tags = Tags::parse([("team".to_owned(), "a".to_owned())]).unwrap();
    }
    job
}

fn cancel() -> Transition {
    Transition::Cancel {
        at: UnixMillis(1),
        message: "canceled".to_owned(),
    }
}

/// Every statement the writer sends, by name.
fn writer_statements() -> Vec<(&'static str, SqlQuery)> {
    let (a, b) = (job(true), job(false));
    let ids = vec![a.id.to_string(), b.id.to_string()];
    let mut canceled = a.clone();
    canceled.apply(&cancel()).unwrap();
    let update = JobUpdate::after(&canceled, a.version as i64, &cancel());
    vec![
        (
            "one statement: new jobs, tags and changes",
            statement_for(vec![a.clone(), b.clone()], vec![(job(false), cancel())]),
        ),
        (
            "one statement: new jobs",
            statement_for(vec![b.clone()], vec![]),
        ),
        (
            "one statement: changes",
            statement_for(vec![], vec![(a.clone(), cancel())]),
        ),
        ("lock jobs", statements::lock_jobs(ids.clone())),
        ("update jobs", statements::update_jobs(&[&update])),
        ("update one job", statements::update_job(&update)),
        ("read one job", statements::select_job(&ids[0], true)),
        (
            "read one job unless locked",
            statements::select_job_unless_locked(&ids[0]),
        ),
        (
            "insert jobs",
            statements::insert_jobs([JobRow::from_job(&a), JobRow::from_job(&b)]),
        ),
        (
            "ended before",
            statements::ended_before("'FAILED', 'CANCELED'", 5, 100),
        ),
        ("expire results", statements::expire_results(&ids)),
        (
            "delete tags",
            statements::delete_where_in("job_tags", "job_id", &ids),
        ),
        (
            "delete jobs",
            statements::delete_where_in("jobs", "id", &ids),
        ),
        (
            "fail unreadable",
            statements::fail_unreadable(&ids[0], "unreadable".to_owned()),
        ),
    ]
}

fn type_of(value: &SqlValue) -> &'static str {
    match value {
        SqlValue::Text(_) | SqlValue::NullText => "text",
        SqlValue::Int(_) | SqlValue::NullInt => "bigint",
        SqlValue::Bytes(_) => "bytea",
        SqlValue::Array(SqlArray::Text(_) | SqlArray::OptText(_)) => "text[]",
        SqlValue::Array(SqlArray::Int(_) | SqlArray::OptInt(_)) => "bigint[]",
        SqlValue::Array(SqlArray::OptBytes(_)) => "bytea[]",
        SqlValue::Array(SqlArray::Bool(_)) => "boolean[]",
    }
}

/// Scans of `jobs` or `job_tags` in `plan` that read without an index
/// condition, as "node type on table".
fn whole_scans(plan: &Value, found: &mut Vec<String>) {
    let table = plan["Relation Name"].as_str().unwrap_or_default();
    let node = plan["Node Type"].as_str().unwrap_or_default();
    let keyed = plan.get("Index Cond").is_some() || node == "Bitmap Heap Scan";
    if ["jobs", "job_tags"].contains(&table) && node.ends_with("Scan") && !keyed {
        found.push(format!("{node} on {table}"));
    }
    for child in plan["Plans"].as_array().into_iter().flatten() {
        whole_scans(child, found);
    }
}

/// The kept (generic) plan of `query` on `conn`, prepared as `prepared`,
/// and its scans that read without an index condition (`whole_scans`).
async fn kept_plan(
    conn: &mut sqlx::PgConnection,
    prepared: &str,
    name: &str,
    query: SqlQuery,
) -> (Vec<String>, Value) {
    use sqlx::Row;
    let (sql, values) = query.into_parts();
    let types: Vec<_> = values.iter().map(type_of).collect();
    let prepare = format!("PREPARE {prepared} ({}) AS {sql}", types.join(", "));
    sqlx::raw_sql(sqlx::AssertSqlSafe(prepare))
        .execute(&mut *conn)
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let nulls = vec!["NULL"; values.len()].join(", ");
    let explain = format!("EXPLAIN (FORMAT JSON) EXECUTE {prepared} ({nulls})");
    let row = sqlx::raw_sql(sqlx::AssertSqlSafe(explain))
        .fetch_one(&mut *conn)
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    // A `json` column, sent as its text.
    let plan: Value =
        serde_json::from_str(&row.try_get_unchecked::<String, _>(0).unwrap()).unwrap();
    let mut found = Vec::new();
    whole_scans(&plan[0]["Plan"], &mut found);
    (found, plan)
}

#[tokio::test]
async fn the_writers_kept_plans_find_rows_by_key_even_when_made_on_an_empty_table() {
    let settings = tests::settings_in_a_fresh_schema();
    // The tables, empty.
    drop(open(&settings).await.unwrap());
    let writer = connect_as(&settings, Plans::Kept).await.unwrap();
    let mut conn = writer.acquire().await.unwrap();

    let mut failures = Vec::new();
    for (n, (name, query)) in writer_statements().into_iter().enumerate() {
        let (found, plan) = kept_plan(&mut conn, &format!("writer_{n}"), name, query).await;
        if !found.is_empty() {
            failures.push(format!("{name}: {}\n{plan:#}", found.join(", ")));
        }
    }

    // Without ruling sequential scans out, the kept plan of the writer's
    // most frequent change reads the empty table whole, and would go on
    // doing so once it is large.
    sqlx::raw_sql("SET enable_seqscan = on")
        .execute(&mut *conn)
        .await
        .unwrap();
    let (name, update) = writer_statements()
        .into_iter()
        .find(|(name, _)| *name == "update jobs")
        .unwrap();
    let (found, plan) = kept_plan(&mut conn, "seq_allowed", name, update).await;
    assert_eq!(found, ["Seq Scan on jobs"], "{plan:#}");

    conn.close().await.unwrap();
    let drop = format!("DROP SCHEMA \"{}\" CASCADE", settings.schema);
    sqlx::raw_sql(sqlx::AssertSqlSafe(drop))
        .execute(&writer)
        .await
        .unwrap();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The check itself catches scans without an index condition, and only on
/// the tables whose size grows with the jobs.
#[test]
fn a_whole_table_scan_is_caught() {
    let plan = serde_json::json!({
        "Node Type": "Hash Join",
        "Plans": [
            {"Node Type": "Seq Scan", "Relation Name": "jobs"},
            {"Node Type": "Index Scan", "Relation Name": "job_tags", "Index Cond": "(job_id = v.id)"},
            {"Node Type": "Index Only Scan", "Relation Name": "job_tags"},
            {"Node Type": "Seq Scan", "Relation Name": "leader_epoch"},
        ]
    });
    let mut found = Vec::new();
    whole_scans(&plan, &mut found);
    assert_eq!(found, ["Seq Scan on jobs", "Index Only Scan on job_tags"]);
}
