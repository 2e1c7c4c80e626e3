//! Three server processes sharing a fresh PostgreSQL schema and Redis key
//! prefix, under load from clients spread over all three, while a fault
//! strikes: the leader killed with SIGKILL (a new one within 3 s), a node
//! stopped past its leases and continued, Redis emptied, PostgreSQL cut for
//! 2 s, Redis cut for 7 s. Every job id a client received must end
//! COMPLETED with its whole result, with its outcome recorded at most once
//! across the three nodes' logs (a kill can hide a log line, never invent
//! one, so the logs prove "not twice" and the store "once"), and no run
//! started after its job's outcome was written (the simulators' run logs).
//! And a client's rate limit holds across the three.
#![cfg(all(
    feature = "queue-redis",
    feature = "storage-postgres",
    feature = "backend-simulator",
    feature = "metrics"
))]

use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arvak_grpc::proto::arvak_service_client::ArvakServiceClient;
use tonic::transport::Channel;

#[path = "common/process.rs"]
mod process;

#[path = "common/job_logs.rs"]
mod job_logs;

#[path = "api/support/proxy.rs"]
mod proxy;

#[path = "common/services.rs"]
mod services;

#[path = "common/bell_jobs.rs"]
mod bell_jobs;

use bell_jobs::{assert_whole_result, bell_job, completed};

use process::{connect, free_port, server_command, terminate};

const NODES: usize = 3;
const CLIENTS_PER_NODE: usize = 2;

struct Cluster {
    /// What the nodes connect to: PostgreSQL and Redis, or a proxy in
    /// front of the one the fault cuts.
    nodes_database: String,
    nodes_redis: String,
    proxy: Option<proxy::Proxy>,
    schema: String,
    prefix: String,
    /// A policies file every node reads, if any.
    policies: Option<std::path::PathBuf>,
}

impl Cluster {
    /// A cluster ready for `fault`, if any: what the fault cuts is reached
    /// through a proxy.
    async fn new(fault: Option<Fault>) -> Self {
        let (database, redis) = (services::database_url(), services::redis_url());
        let id = uuid::Uuid::new_v4().simple();
        let (mut nodes_database, mut nodes_redis) = (database.clone(), redis.clone());
        let proxy = match fault {
            Some(Fault::PostgresCut) => {
                let (through, proxy) = through_proxy(&database, 5432).await;
                nodes_database = through;
                Some(proxy)
            }
            Some(Fault::RedisCut) => {
                let (through, proxy) = through_proxy(&redis, 6379).await;
                nodes_redis = through;
                Some(proxy)
            }
            _ => None,
        };
        Self {
            nodes_database,
            nodes_redis,
            proxy,
            schema: format!("arvak_cluster_{id}"),
            prefix: format!("arvak_test_{id}"),
            policies: None,
        }
    }

    /// Node `n` on `port` (HTTP on `http`), logging JSON to `log`. Short leases and a
    /// frequent reconciling pass keep the test short. The last node runs
    /// one worker thread, as nodes sharing a host's cores do, so that its
    /// store writer is a task beside its other tasks; the others have one
    /// thread per core and a writer thread.
    fn start(&self, n: usize, port: u16, http: u16, log: &Path) -> Child {
        let mut command = server_command(log.parent().unwrap());
        if let Some(policies) = &self.policies {
            command.env("ARVAK_POLICIES_FILE", policies);
        }
        if n == NODES - 1 {
            command.env("ARVAK_SERVER_THREADS", "1");
        }
        command
            .env("ARVAK_STORAGE_TYPE", "postgres")
            .env("ARVAK_STORAGE_POSTGRES_URL", &self.nodes_database)
            .env("ARVAK_STORAGE_ACQUIRE_TIMEOUT_SECS", "1")
            .env("ARVAK_STORAGE_POSTGRES_SCHEMA", &self.schema)
            .env("ARVAK_QUEUE_TYPE", "redis")
            .env("ARVAK_QUEUE_REDIS_URL", &self.nodes_redis)
            .env("ARVAK_QUEUE_REDIS_PREFIX", &self.prefix)
            .env("ARVAK_QUEUE_RECONCILE_INTERVAL_SECS", "2")
            .env("ARVAK_WORKERS_LEASE_SECS", "2")
            .env("ARVAK_WORKERS_COUNT", "8")
            .env("ARVAK_CLUSTER_NODE_ID", format!("node-{n}"))
            .env("ARVAK_BACKENDS_SIMULATOR_RUN_LOG", run_log(log, n))
            .env("ARVAK_SERVER_LISTEN_ADDR", format!("127.0.0.1:{port}"))
            .env("ARVAK_HTTP_LISTEN_ADDR", format!("127.0.0.1:{http}"))
            .env("ARVAK_LOGGING_FORMAT", "json")
            .env("RUST_LOG", "info,arvak_grpc=debug")
            .stdout(std::fs::File::create(log).unwrap())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    }

    /// When each ended job's outcome was stamped, in Unix ms (the API
    /// gives seconds).
    async fn ended_at(&self) -> std::collections::HashMap<String, i64> {
        let pool = sqlx::PgPool::connect(&services::database_url())
            .await
            .unwrap();
        let query = format!(
            "SELECT id, completed_at FROM \"{}\".jobs WHERE completed_at IS NOT NULL",
            self.schema
        );
        sqlx::query_as::<_, (String, i64)>(sqlx::AssertSqlSafe(query))
            .fetch_all(&pool)
            .await
            .unwrap()
            .into_iter()
            .collect()
    }

    /// Deletes every key under the prefix, as a Redis restarted empty.
    async fn empty_redis(&self) {
        services::delete_redis_prefix(&self.prefix).await;
    }

    async fn remove(&self) {
        self.empty_redis().await;
        services::drop_schema(&self.schema).await;
    }
}

/// Where node `n`, logging to `log`, has its simulator record each run.
fn run_log(log: &Path, n: usize) -> std::path::PathBuf {
    log.with_file_name(format!("runs-{n}.log"))
}

/// Run starts the simulators recorded: job id → when each run started
/// (unix ms), across every node.
fn runs_started(log: &Path) -> std::collections::HashMap<String, Vec<i64>> {
    let mut runs = std::collections::HashMap::<String, Vec<i64>>::new();
    for n in 0..NODES {
        let text = std::fs::read_to_string(run_log(log, n)).unwrap_or_default();
        for line in text.lines() {
            let (at, job) = line.split_once(' ').expect("`<ms> <job id>`");
            runs.entry(job.to_owned())
                .or_default()
                .push(at.parse().unwrap());
        }
    }
    runs
}

/// A proxy the test can cut in front of the server at `url` (its port, or
/// `default_port`), and the URL that goes through it.
async fn through_proxy(url: &str, default_port: u16) -> (String, proxy::Proxy) {
    let mut parsed = url::Url::parse(url).unwrap();
    let host = match parsed.host_str() {
        Some("localhost") | None => "127.0.0.1".to_owned(),
        Some(host) => host.to_owned(),
    };
    let target = format!("{host}:{}", parsed.port().unwrap_or(default_port));
    let proxy = proxy::Proxy::start(target.parse().unwrap()).await;
    parsed.set_host(Some("127.0.0.1")).unwrap();
    parsed.set_port(Some(proxy.addr.port())).unwrap();
    (parsed.to_string(), proxy)
}

/// The leader as the node with HTTP port `http` reports it in
/// `/health/ready`.
async fn leader(http: u16) -> Option<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", http))
        .await
        .ok()?;
    let request = "GET /health/ready HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await.ok()?;
    response
        .lines()
        .find_map(|line| line.strip_prefix("leader: "))
        .filter(|id| *id != "none")
        .map(str::to_owned)
}

/// Submits Bell jobs until the test stops it; an UNAVAILABLE answer (the
/// node's store is down) or a broken connection (the node is) is noted
/// and tried again shortly. Any other error fails the test.
/// Submits to `client` (of node `node`) until aborted; what was
/// acknowledged goes to `acked`, each UNAVAILABLE answer to `unavailable`
/// with the node that gave it.
async fn load(
    node: usize,
    mut client: ArvakServiceClient<Channel>,
    acked: Arc<Mutex<Vec<String>>>,
    unavailable: Arc<Mutex<Vec<(usize, String)>>>,
) {
    loop {
        match client.submit_job(bell_job()).await {
            Ok(response) => acked.lock().unwrap().push(response.into_inner().job_id),
            Err(status)
                if status.code() == tonic::Code::Unavailable
                    || status.message().contains("transport error") =>
            {
                unavailable
                    .lock()
                    .unwrap()
                    .push((node, status.message().to_owned()));
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(status) => panic!("a submission failed: {status}"),
        }
    }
}

/// What happens to the cluster while it is under load.
#[derive(Debug, Clone, Copy)]
enum Fault {
    /// Node 0 is killed with SIGKILL.
    Kill,
    /// Node 0 is stopped (SIGSTOP) past its leases, then continued: its
    /// late writes must be refused.
    Pause,
    /// Every key under the prefix goes, as when Redis restarts empty.
    RedisEmptied,
    /// The nodes' connections to PostgreSQL are cut for 2 s, then restored.
    PostgresCut,
    /// The nodes' connections to Redis are cut for 7 s, then restored.
    RedisCut,
}

/// One cluster at a time: three at once would be nine servers on a small
/// machine, and the timings above assume they keep up.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Runs `fault` under load and checks every acknowledged job; prints
/// what happened.
async fn under_load(fault: Fault) {
    let _alone = ONE_AT_A_TIME.lock().await;
    let cluster = Cluster::new(Some(fault)).await;
    let dir = tempfile::tempdir().unwrap();
    let ports: Vec<u16> = (0..NODES).map(|_| free_port()).collect();
    let http: Vec<u16> = (0..NODES).map(|_| free_port()).collect();
    let logs: Vec<_> = (0..NODES)
        .map(|n| dir.path().join(format!("node-{n}.log")))
        .collect();
    let mut nodes = Vec::new();
    let mut clients = Vec::new();
    // One after another: the first creates the schema.
    for n in 0..NODES {
        let mut child = cluster.start(n, ports[n], http[n], &logs[n]);
        clients.push(connect(ports[n], &mut child, Duration::from_secs(20)).await);
        nodes.push(child);
    }

    let acked = Arc::new(Mutex::new(Vec::new()));
    let unavailable = Arc::new(Mutex::new(Vec::new()));
    let loads: Vec<_> = (0..NODES * CLIENTS_PER_NODE)
        .map(|i| {
            let client = clients[i % NODES].clone();
            tokio::spawn(load(i % NODES, client, acked.clone(), unavailable.clone()))
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    match fault {
        Fault::Kill => {
            // The first node to start took the lead.
            assert_eq!(leader(http[1]).await.as_deref(), Some("node-0"));
            let mut killed = nodes.remove(0);
            killed.kill().unwrap(); // no drain, no step-down, no flush
            killed.wait().unwrap();
            let died = Instant::now();
            loop {
                let now = leader(http[1]).await;
                if now.as_deref().is_some_and(|id| id != "node-0") {
                    eprintln!("{now:?} leads {:?} after node-0 died", died.elapsed());
                    break;
                }
                assert!(
                    died.elapsed() < Duration::from_secs(3),
                    "no new leader within 3 s"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        Fault::Pause => {
            signal(&nodes[0], "-STOP");
            // Past its 2 s leases: other nodes take its jobs over.
            tokio::time::sleep(Duration::from_secs(4)).await;
            signal(&nodes[0], "-CONT");
        }
        Fault::RedisEmptied => cluster.empty_redis().await,
        Fault::PostgresCut | Fault::RedisCut => {
            let proxy = cluster
                .proxy
                .as_ref()
                .expect("the nodes reach the server through it");
            proxy.cut();
            // Past the 5 s a call waits for a Redis connection: long
            // enough for calls to fail rather than wait.
            let down = match fault {
                Fault::RedisCut => Duration::from_secs(7),
                _ => Duration::from_secs(2),
            };
            tokio::time::sleep(down).await;
            proxy.restore();
        }
    }
    // More load while the cluster mends: leases lapse, the leader's
    // reconciling pass (every 2 s) puts back what the queue lost.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    for load in &loads {
        load.abort();
    }
    for load in loads {
        if let Err(stopped) = load.await {
            assert!(!stopped.is_panic(), "a client failed: {stopped}");
        }
    }
    let acked = acked.lock().unwrap().clone();
    let unavailable = unavailable.lock().unwrap().clone();
    let cut = match fault {
        Fault::PostgresCut => Some("job store"),
        Fault::RedisCut => Some("Redis"),
        _ => None,
    };
    if let Some(names) = cut {
        assert!(!unavailable.is_empty(), "the cut was felt");
        assert!(
            unavailable.iter().all(|(_, m)| m.contains(names)),
            "UNAVAILABLE names what is down ({names}): {unavailable:?}"
        );
    }
    match fault {
        Fault::RedisEmptied => assert!(unavailable.is_empty(), "{unavailable:?}"),
        // The stopped node's clock ran on: a call that was waiting for a
        // connection when it stopped finds its deadline passed when it
        // continues, and is answered so. Nothing else may fail.
        Fault::Pause => assert!(
            unavailable
                .iter()
                .all(|(node, m)| *node == 0 && m.contains("timed out")),
            "only the stopped node's waits that ran out meanwhile: {unavailable:?}"
        ),
        _ => {}
    }
    assert!(
        acked.len() > 30,
        "the load reached the cluster ({} jobs)",
        acked.len()
    );

    let mut survivor = clients[1].clone();
    let by = Instant::now() + Duration::from_secs(60);
    let mut rerun = 0;
    for id in &acked {
        let job = completed(&mut survivor, id, by, "the fault").await;
        assert!(
            (1..=3).contains(&job.attempts),
            "job {id} was started {} times",
            job.attempts
        );
        rerun += usize::from(job.attempts > 1);
        assert_whole_result(&mut survivor, id).await;
    }
    for node in nodes {
        terminate(node).await;
    }

    // No run starts once a job's outcome is written: a run after it would
    // be a job run twice. The simulators' run logs are written before each
    // run, so a killed node's are whole. The outcome's time is stamped a
    // moment before its batch commits; 500 ms covers that. Not checked
    // after a pause (the paused node may go on into a run it had begun
    // before, whose outcome the store then refuses) or a PostgreSQL cut
    // (outcomes stamped before the cut commit after it).
    let runs = runs_started(&logs[0]);
    let ended_at = cluster.ended_at().await;
    assert!(
        acked.iter().all(|id| runs.contains_key(id)),
        "every job's run is in a run log"
    );
    let closest = acked
        .iter()
        .flat_map(|id| runs[id].iter().map(|at| at - ended_at[id]))
        .max();
    eprintln!("{fault:?}: the latest run start, against its job's outcome: {closest:?} ms");
    if !matches!(fault, Fault::Pause | Fault::PostgresCut) {
        for id in &acked {
            let late: Vec<i64> = runs[id]
                .iter()
                .map(|at| at - ended_at[id])
                .filter(|after| *after > 500)
                .collect();
            assert!(
                late.is_empty(),
                "job {id}: runs started {late:?} ms after its outcome"
            );
        }
    }
    let logged: Vec<_> = logs.iter().map(|log| job_logs::read_log(log)).collect();
    let mut in_logs = 0;
    for id in &acked {
        let recorded: usize = logged
            .iter()
            .map(|l| l.outcomes.get(id).unwrap_or(&0))
            .sum();
        assert!(recorded <= 1, "job {id}: outcome recorded {recorded} times");
        in_logs += recorded;
    }
    // Only a killed node can have lost outcome lines (its last ones), so
    // the check above is not vacuous: nearly every outcome is in a log.
    assert!(
        in_logs * 10 >= acked.len() * 9,
        "{in_logs} of {} outcomes logged",
        acked.len()
    );
    let ran_on: Vec<usize> = logged.iter().map(|l| l.started.len()).collect();
    assert!(
        ran_on.iter().filter(|n| **n > 0).count() >= 2,
        "the nodes shared the work: {ran_on:?}"
    );
    let refused: Vec<usize> = logged.iter().map(|l| l.refused).collect();
    eprintln!(
        "{fault:?}: {} jobs acknowledged by {NODES} nodes, all completed once; runs started \
         per node {ran_on:?}; {rerun} started more than once; late outcomes refused per node \
         {refused:?}; {} submissions answered UNAVAILABLE",
        acked.len(),
        unavailable.len()
    );
    cluster.remove().await;
}

fn signal(child: &Child, which: &str) {
    let sent = std::process::Command::new("kill")
        .args([which, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success(), "kill {which}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_under_load_loses_no_job_and_records_none_twice() {
    under_load(Fault::Kill).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_stopped_past_its_leases_records_no_outcome_twice() {
    under_load(Fault::Pause).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_emptied_under_load_loses_no_job() {
    under_load(Fault::RedisEmptied).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_cut_under_load_answers_unavailable_and_loses_no_job() {
    under_load(Fault::PostgresCut).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_cut_under_load_answers_unavailable_and_loses_no_job() {
    under_load(Fault::RedisCut).await;
}

/// `rate_limit_per_minute` holds across the cluster: a client's
/// submissions spread over the three nodes share one allowance (a burst of
/// 6 here), instead of getting one from each node.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clients_rate_limit_holds_across_the_nodes() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let policies = dir.path().join("policies.yaml");
    std::fs::write(
        &policies,
        "clients:\n  anonymous:\n    operations: \"*\"\n    backends: \"*\"\n    \
         quotas:\n      rate_limit_per_minute: 6\n",
    )
    .unwrap();
    let mut cluster = Cluster::new(None).await;
    cluster.policies = Some(policies);
    let mut nodes = Vec::new();
    let mut clients = Vec::new();
    for n in 0..NODES {
        let (port, http) = (free_port(), free_port());
        let log = dir.path().join(format!("node-{n}.log"));
        let mut child = cluster.start(n, port, http, &log);
        clients.push(connect(port, &mut child, Duration::from_secs(20)).await);
        nodes.push(child);
    }

    // Twelve submissions in turn to each node, well within the 10 s in
    // which one more would be allowed.
    let mut answered = Vec::new();
    for i in 0..12 {
        let submitted = clients[i % NODES].submit_job(bell_job()).await;
        answered.push((i % NODES, submitted.map(|_| ())));
    }
    let accepted = answered.iter().filter(|(_, a)| a.is_ok()).count();
    assert_eq!(accepted, 6, "one burst of 6 for the cluster: {answered:?}");
    for (node, answer) in &answered[6..] {
        let refused = answer.as_ref().expect_err("past the burst");
        assert_eq!(
            refused.code(),
            tonic::Code::ResourceExhausted,
            "node {node}: {refused}"
        );
        assert!(
            refused.message().contains("rate_limit_per_minute 6"),
            "{refused}"
        );
    }
    for node in nodes {
        terminate(node).await;
    }
    cluster.remove().await;
}
