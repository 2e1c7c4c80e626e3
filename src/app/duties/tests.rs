use super::*;
use crate::adapters::leadership::SoleNode;
use crate::domain::UnixMillis;
use crate::domain::job::tests::queued_job;
use crate::ports::{LeaderTerm, Leadership, MockClock, MockLeadership};

fn ports() -> DutyPorts {
    let mut clock = MockClock::new();
    clock.expect_now().return_const(UnixMillis(1_000));
    DutyPorts::in_memory(Arc::new(clock))
}

/// The duties running in a task, and what stops them. A leader has opened
/// its epoch already, as its start-up pass does.
async fn started(
    ports: &DutyPorts,
    leadership: Arc<dyn Leadership>,
    settings: DutySettings,
) -> (watch::Sender<bool>, tokio::task::JoinHandle<()>) {
    let (stop, stopped) = watch::channel(false);
    let office = Arc::new(LeaderOffice::new(leadership, ports.store.clone()));
    office.mandate().await.unwrap();
    let duties = tokio::spawn(run(ports.clone(), office, settings, stopped));
    (stop, duties)
}

fn settings(reconcile_every: Option<Duration>) -> DutySettings {
    DutySettings {
        reconcile_every,
        retention: RetentionSettings {
            interval: Duration::ZERO,
            result_days: 0,
            failed_days: 0,
        },
        max_attempts: 3,
    }
}

/// A QUEUED job in the store, which the queue does not hold.
async fn lost_job(ports: &DutyPorts) -> crate::domain::Job {
    let job = queued_job();
    ports
        .store
        .create(vec![job.clone()], UnixMillis(0))
        .await
        .unwrap();
    job
}

fn follower() -> Arc<dyn Leadership> {
    fixed_leadership(None)
}

#[tokio::test(start_paused = true)]
async fn the_leader_puts_back_what_the_queue_lost_at_each_interval() {
    let ports = ports();
    let every = Duration::from_secs(60);
    let (stop, duties) = started(
        &ports,
        Arc::new(SoleNode::new("solo".into())),
        settings(Some(every)),
    )
    .await;
    let job = lost_job(&ports).await;
    tokio::time::sleep(every / 2).await;
    assert_eq!(
        ports.queue.position(job.id).await.unwrap(),
        None,
        "not due yet"
    );
    tokio::time::sleep(every).await;
    assert_eq!(
        ports.queue.position(job.id).await.unwrap(),
        Some(1),
        "put back"
    );

    // Lost again (taken out as if a queue server restarted empty).
    assert!(ports.queue.remove(job.id).await.unwrap());
    tokio::time::sleep(every).await;
    assert_eq!(
        ports.queue.position(job.id).await.unwrap(),
        Some(1),
        "and again"
    );
    stop.send(true).unwrap();
    duties.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_node_that_does_not_lead_leaves_the_duties_to_the_leader() {
    let ports = ports();
    let every = Duration::from_secs(60);
    let (stop, duties) = started(&ports, follower(), settings(Some(every))).await;
    let job = lost_job(&ports).await;
    tokio::time::sleep(every * 3).await;
    assert_eq!(ports.queue.position(job.id).await.unwrap(), None);
    stop.send(true).unwrap();
    duties.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_node_that_begins_to_lead_reconciles_at_once() {
    let ports = ports();
    let leads = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut leadership = MockLeadership::new();
    let read = leads.clone();
    leadership.expect_term().returning(move || {
        read.load(std::sync::atomic::Ordering::SeqCst)
            .then_some(LeaderTerm(1))
    });
    let every = Duration::from_secs(60);
    let (stop, duties) = started(&ports, Arc::new(leadership), settings(Some(every))).await;
    let job = lost_job(&ports).await;
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert_eq!(ports.queue.position(job.id).await.unwrap(), None);
    leads.store(true, std::sync::atomic::Ordering::SeqCst);
    tokio::time::sleep(LEAD_CHECK * 2).await;
    assert_eq!(
        ports.queue.position(job.id).await.unwrap(),
        Some(1),
        "put back well before the next interval"
    );
    stop.send(true).unwrap();
    duties.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn with_no_interval_set_there_is_nothing_to_run() {
    let (_stop, stopped) = watch::channel(false);
    // Returns at once rather than waiting for a stop.
    let ports = ports();
    let office = LeaderOffice::new(Arc::new(SoleNode::new("solo".into())), ports.store.clone());
    run(ports, Arc::new(office), settings(None), stopped).await;
}

#[tokio::test(start_paused = true)]
async fn the_leader_runs_retention_at_its_interval() {
    let ports = ports();
    let job = lost_job(&ports).await;
    let token = crate::domain::FencingToken(1);
    let start = crate::domain::Transition::Start {
        token,
        at: UnixMillis(0),
    };
    ports.store.apply(job.id, start).await.unwrap();
    let fail = crate::domain::Transition::Fail {
        token: Some(token),
        at: UnixMillis(0),
        message: "x".into(),
    };
    ports.store.apply(job.id, fail).await.unwrap();
    let mut settings = settings(None);
    // Failures are kept a day, and the clock says two days have passed.
    settings.retention = RetentionSettings {
        interval: Duration::from_secs(10),
        result_days: 0,
        failed_days: 1,
    };
    let mut clock = MockClock::new();
    clock
        .expect_now()
        .return_const(UnixMillis(2 * 24 * 60 * 60 * 1000));
    let ports = DutyPorts {
        clock: Arc::new(clock),
        ..ports
    };
    let (stop, duties) = started(&ports, Arc::new(SoleNode::new("solo".into())), settings).await;
    assert!(ports.store.get(job.id).await.unwrap().is_some());
    tokio::time::sleep(Duration::from_secs(11)).await;
    assert!(
        ports.store.get(job.id).await.unwrap().is_none(),
        "deleted by retention"
    );
    stop.send(true).unwrap();
    duties.await.unwrap();
}
