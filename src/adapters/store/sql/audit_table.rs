//! The audit trail in the `audit_events` table of the SQL storage
//! (migration 0004): every node of a cluster writes to one place, next to
//! the jobs it concerns. Triggers refuse UPDATE and DELETE, so rows can only
//! be added.

use std::marker::PhantomData;

use async_trait::async_trait;
use sqlx::Pool;

use super::error::store_error;
use super::statements::{INSERT_CHUNK, SqlQuery};
use super::writes::{AuditRow, SqlDialect};
use crate::domain::{Error, Result, UnixMillis};
use crate::ports::{AuditAction, AuditEvent};
use crate::ports::{AuditSink, AuditTable};

const COLUMNS: &str = "at, action, client_id, method, peer, request_id, outcome, detail";

pub struct SqlAuditTable<D: SqlDialect> {
    pool: Pool<D::Db>,
    _dialect: PhantomData<D>,
}

impl<D: SqlDialect> SqlAuditTable<D> {
    /// Over a pool whose migrations have run (the job store's).
    pub fn new(pool: Pool<D::Db>) -> Self {
        Self {
            pool,
            _dialect: PhantomData,
        }
    }

    async fn insert(&self, events: &[AuditEvent]) -> Result<()> {
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(|e| store_error("writing the audit trail", e))?;
        for chunk in events.chunks(INSERT_CHUNK) {
            D::execute(&mut conn, insert_events(chunk))
                .await
                .map_err(|e| store_error("writing the audit trail", e))?;
        }
        Ok(())
    }
}

fn insert_events(events: &[AuditEvent]) -> SqlQuery {
    let mut q = SqlQuery::new(format!("INSERT INTO audit_events ({COLUMNS}) VALUES "));
    for (i, event) in events.iter().enumerate() {
        q.push(if i == 0 { "(" } else { ", (" });
        q.int(event.at.0);
        for value in [
            event.action.as_str().to_owned(),
            event.client_id.clone(),
            event.method.clone(),
        ] {
            q.push(", ");
            q.text(value);
        }
        for value in [event.peer.clone(), event.request_id.clone()] {
            q.push(", ");
            q.opt_text(value);
        }
        for value in [event.outcome.clone(), event.detail.clone()] {
            q.push(", ");
            q.text(value);
        }
        q.push(")");
    }
    q
}

fn event(
    (at, action, client_id, method, peer, request_id, outcome, detail): AuditRow,
) -> Result<AuditEvent> {
    let action = AuditAction::parse(&action).ok_or_else(|| {
        Error::internal(format!("audit_events holds an unknown action '{action}'"))
    })?;
    Ok(AuditEvent {
        at: UnixMillis(at),
        action,
        client_id,
        method,
        peer,
        request_id,
        outcome,
        detail,
    })
}

/// Each sink holds its own handle on the pool.
struct TableSink<D: SqlDialect>(SqlAuditTable<D>);

#[async_trait]
impl<D: SqlDialect> AuditSink for TableSink<D> {
    fn name(&self) -> String {
        "the audit_events table".into()
    }

    async fn write(&mut self, events: &[AuditEvent]) -> std::result::Result<(), String> {
        self.0
            .insert(events)
            .await
            .map_err(|e| e.message().to_owned())
    }
}

#[async_trait]
impl<D: SqlDialect> AuditTable for SqlAuditTable<D> {
    fn sink(&self) -> Box<dyn AuditSink> {
        Box::new(TableSink(Self::new(self.pool.clone())))
    }

    async fn recent(&self, limit: u32, client_id: Option<&str>) -> Result<Vec<AuditEvent>> {
        let mut q = SqlQuery::new(format!(
            "SELECT {COLUMNS} FROM (SELECT id, {COLUMNS} FROM audit_events"
        ));
        if let Some(client_id) = client_id {
            q.push(" WHERE client_id = ");
            q.text(client_id.to_owned());
        }
        q.push(" ORDER BY id DESC LIMIT ");
        q.int(i64::from(limit));
        q.push(") AS newest ORDER BY id");
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(|e| store_error("reading the audit trail", e))?;
        let rows = D::fetch_audit_events(&mut conn, q)
            .await
            .map_err(|e| store_error("reading the audit trail", e))?;
        rows.into_iter().map(event).collect()
    }
}
