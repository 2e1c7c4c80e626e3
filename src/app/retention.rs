//! Retention: old results and old failed or canceled jobs are purged
//! periodically (by the leader, `duties`), in small batches, so submissions
//! never wait behind it.

use std::time::Duration;

use super::duties::Mandate;
use crate::domain::Result;
use crate::ports::{Clock, JobStore};

/// Rows changed per store call; small enough to never hold the writer long.
const BATCH: usize = 500;
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

#[derive(Debug, Clone, Copy)]
pub struct RetentionSettings {
    pub interval: Duration,
    /// 0 keeps results forever.
    pub result_days: u64,
    /// 0 keeps failed and canceled jobs forever.
    pub failed_days: u64,
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetentionPass {
    pub results_expired: u64,
    pub jobs_deleted: u64,
}

/// One pass over the store, under `mandate`; it stops between batches once
/// this node no longer leads.
pub async fn run_once(
    store: &dyn JobStore,
    clock: &dyn Clock,
    settings: RetentionSettings,
    mandate: &Mandate,
) -> Result<RetentionPass> {
    let now = clock.now();
    let mut pass = RetentionPass::default();
    if settings.result_days > 0 {
        let before = now.plus_millis(-(settings.result_days as i64).saturating_mul(DAY_MS));
        loop {
            mandate.check()?;
            let n = store.expire_results(before, BATCH, mandate.epoch).await?;
            pass.results_expired += n;
            if (n as usize) < BATCH {
                break;
            }
            tokio::task::yield_now().await;
        }
    }
    if settings.failed_days > 0 {
        let before = now.plus_millis(-(settings.failed_days as i64).saturating_mul(DAY_MS));
        loop {
            mandate.check()?;
            let n = store.delete_finished(before, BATCH, mandate.epoch).await?;
            pass.jobs_deleted += n;
            if (n as usize) < BATCH {
                break;
            }
            tokio::task::yield_now().await;
        }
    }
    Ok(pass)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::app::backends::BackendRegistry;
    use crate::app::jobs::JobPorts;
    use crate::domain::job::tests::queued_job;
    use crate::domain::{FencingToken, JobState, Transition, UnixMillis};
    use crate::ports::{MockCircuitFrontend, MockClock};

    #[tokio::test]
    async fn old_results_expire_and_old_failures_go_and_recent_ones_stay() {
        let now = UnixMillis(100 * DAY_MS);
        let mut clock = MockClock::new();
        clock.expect_now().return_const(now);
        let ports = JobPorts::in_memory(
            Arc::new(clock),
            Arc::new(MockCircuitFrontend::new()),
            BackendRegistry::new(),
        );
        let finished = |days_ago: i64, complete: bool| {
            let ports = ports.clone();
            async move {
                let job = queued_job();
                ports
                    .store
                    .create(vec![job.clone()], UnixMillis(0))
                    .await
                    .unwrap();
                let token = FencingToken(1);
                ports
                    .store
                    .apply(
                        job.id,
                        Transition::Start {
                            token,
                            at: UnixMillis(0),
                        },
                    )
                    .await
                    .unwrap();
                let at = now.plus_millis(-days_ago * DAY_MS);
                let end = if complete {
                    Transition::Complete {
                        token,
                        at,
                        result: Default::default(),
                    }
                } else {
                    Transition::Fail {
                        token: Some(token),
                        at,
                        message: "x".into(),
                    }
                };
                ports.store.apply(job.id, end).await.unwrap();
                job.id
            }
        };
        let old_result = finished(40, true).await;
        let new_result = finished(5, true).await;
        let old_failure = finished(40, false).await;
        let new_failure = finished(5, false).await;
        let settings = RetentionSettings {
            interval: Duration::from_secs(1),
            result_days: 30,
            failed_days: 30,
        };
        let mandate = Mandate::sole(ports.store.clone()).await;
        let pass = run_once(&*ports.store, &*ports.clock, settings, &mandate)
            .await
            .unwrap();
        assert_eq!(
            pass,
            RetentionPass {
                results_expired: 1,
                jobs_deleted: 1
            }
        );
        let state = |id| {
            let ports = ports.clone();
            async move { ports.store.get(id).await.unwrap().map(|j| j.state) }
        };
        assert_eq!(state(old_result).await, Some(JobState::ResultExpired));
        assert_eq!(ports.store.result(old_result).await.unwrap(), None);
        assert_eq!(state(new_result).await, Some(JobState::Completed));
        assert_eq!(state(old_failure).await, None);
        assert_eq!(state(new_failure).await, Some(JobState::Failed));
        assert_eq!(
            run_once(&*ports.store, &*ports.clock, settings, &mandate)
                .await
                .unwrap(),
            RetentionPass::default()
        );
    }
}
