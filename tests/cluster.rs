//! Three server processes sharing a fresh PostgreSQL schema and Redis key
//! prefix, under load from clients spread over all three. One node is
//! killed with SIGKILL: every job id a client received must end COMPLETED
//! with its whole result, started at most twice, with its outcome recorded
//! at most once across the three nodes' logs (a kill can hide a log line,
//! never invent one, so the logs prove "not twice" and the store "once").
#![cfg(all(feature = "queue-redis", feature = "storage-postgres"))]

use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arvak_grpc::proto::{self, JobState, arvak_service_client::ArvakServiceClient};
use tonic::transport::Channel;

#[path = "common/process.rs"]
mod process;

#[path = "common/job_logs.rs"]
mod job_logs;

use process::{free_port, server_command, terminate};

const NODES: usize = 3;
const CLIENTS_PER_NODE: usize = 2;
const BELL: &str = "OPENQASM 3.0; qubit[2] q; h q[0]; cx q[0], q[1];";

fn env(name: &str, what: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: this test needs {what}"))
}

struct Cluster {
    database: String,
    redis: String,
    schema: String,
    prefix: String,
}

impl Cluster {
    fn new() -> Self {
        let database = env(
            "ARVAK_TEST_DATABASE_URL",
            "PostgreSQL (e.g. postgres://postgres@127.0.0.1:5432/postgres)",
        );
        let redis = env(
            "ARVAK_TEST_REDIS_URL",
            "Redis (e.g. redis://127.0.0.1:6379)",
        );
        let id = uuid::Uuid::new_v4().simple();
        Self {
            database,
            redis,
            schema: format!("arvak_cluster_{id}"),
            prefix: format!("arvak_test_{id}"),
        }
    }

    /// Node `n` on `port`, logging JSON to `log`. Short leases and a
    /// frequent reconciling pass keep the test short.
    fn start(&self, n: usize, port: u16, log: &Path) -> Child {
        server_command(log.parent().unwrap())
            .env("ARVAK_STORAGE_TYPE", "postgres")
            .env("ARVAK_STORAGE_POSTGRES_URL", &self.database)
            .env("ARVAK_STORAGE_POSTGRES_SCHEMA", &self.schema)
            .env("ARVAK_QUEUE_TYPE", "redis")
            .env("ARVAK_QUEUE_REDIS_URL", &self.redis)
            .env("ARVAK_QUEUE_REDIS_PREFIX", &self.prefix)
            .env("ARVAK_QUEUE_RECONCILE_INTERVAL_SECS", "2")
            .env("ARVAK_WORKERS_LEASE_SECS", "2")
            .env("ARVAK_WORKERS_COUNT", "8")
            .env("ARVAK_CLUSTER_NODE_ID", format!("node-{n}"))
            .env("ARVAK_SERVER_LISTEN_ADDR", format!("127.0.0.1:{port}"))
            .env("ARVAK_HTTP_LISTEN_ADDR", "127.0.0.1:0")
            .env("ARVAK_LOGGING_FORMAT", "json")
            .env("RUST_LOG", "info,arvak_grpc=debug")
            .stdout(std::fs::File::create(log).unwrap())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    }

    async fn remove(&self) {
        let client = redis::Client::open(self.redis.as_str()).unwrap();
        let mut conn = client.get_multiplexed_async_connection().await.unwrap();
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{}:*", self.prefix))
            .query_async(&mut conn)
            .await
            .unwrap();
        if !keys.is_empty() {
            let _: () = redis::cmd("DEL")
                .arg(keys)
                .query_async(&mut conn)
                .await
                .unwrap();
        }
        let pool = sqlx::PgPool::connect(&self.database).await.unwrap();
        let drop = format!("DROP SCHEMA \"{}\" CASCADE", self.schema);
        sqlx::raw_sql(sqlx::AssertSqlSafe(drop))
            .execute(&pool)
            .await
            .unwrap();
    }
}

async fn connect(port: u16, child: &mut Child) -> ArvakServiceClient<Channel> {
    for _ in 0..400 {
        if let Ok(client) = ArvakServiceClient::connect(format!("http://127.0.0.1:{port}")).await {
            return client;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("a node exited early with {status}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("a node never listened on port {port}");
}

/// Submits Bell jobs until its node goes away or the test stops it.
async fn load(mut client: ArvakServiceClient<Channel>, acked: Arc<Mutex<Vec<String>>>) {
    loop {
        let request = proto::SubmitJobRequest {
            circuit: Some(proto::CircuitPayload {
                format: Some(proto::circuit_payload::Format::Qasm3(BELL.into())),
            }),
            backend_id: "simulator".into(),
            shots: 10,
            ..Default::default()
        };
        match client.submit_job(request).await {
            Ok(response) => acked.lock().unwrap().push(response.into_inner().job_id),
            Err(_) => return,
        }
    }
}

/// The job once COMPLETED, asked through `client`.
async fn completed(client: &mut ArvakServiceClient<Channel>, id: &str, by: Instant) -> proto::Job {
    loop {
        let job = client
            .get_job_status(proto::GetJobStatusRequest {
                job_id: id.to_owned(),
            })
            .await
            .unwrap_or_else(|e| panic!("acknowledged job {id} is missing: {e}"))
            .into_inner()
            .job
            .unwrap();
        if job.state() == JobState::Completed {
            return job;
        }
        assert!(
            matches!(job.state(), JobState::Queued | JobState::Running),
            "job {id} ended {:?}: {}",
            job.state(),
            job.error_message
        );
        assert!(
            Instant::now() < by,
            "job {id} did not finish after the kill"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_under_load_loses_no_job_and_records_none_twice() {
    let cluster = Cluster::new();
    let dir = tempfile::tempdir().unwrap();
    let ports: Vec<u16> = (0..NODES).map(|_| free_port()).collect();
    let logs: Vec<_> = (0..NODES)
        .map(|n| dir.path().join(format!("node-{n}.log")))
        .collect();
    let mut nodes = Vec::new();
    let mut clients = Vec::new();
    // One after another: the first creates the schema.
    for n in 0..NODES {
        let mut child = cluster.start(n, ports[n], &logs[n]);
        clients.push(connect(ports[n], &mut child).await);
        nodes.push(child);
    }

    let acked = Arc::new(Mutex::new(Vec::new()));
    let loads: Vec<_> = (0..NODES * CLIENTS_PER_NODE)
        .map(|i| tokio::spawn(load(clients[i % NODES].clone(), acked.clone())))
        .collect();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut killed = nodes.remove(0);
    killed.kill().unwrap(); // SIGKILL: no drain, no step-down, no flush
    killed.wait().unwrap();
    // The survivors take more load while the dead node's leases lapse.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    for load in &loads {
        load.abort();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() > 30,
        "the load reached the cluster ({} jobs)",
        acked.len()
    );

    let mut survivor = clients[1].clone();
    let by = Instant::now() + Duration::from_secs(60);
    let mut rerun = 0;
    for id in &acked {
        let job = completed(&mut survivor, id, by).await;
        assert!(
            (1..=2).contains(&job.attempts),
            "job {id} was started {} times",
            job.attempts
        );
        rerun += usize::from(job.attempts == 2);
        let result = survivor
            .get_job_result(proto::GetJobResultRequest { job_id: id.clone() })
            .await
            .unwrap();
        let counts = result.into_inner().result.unwrap().counts;
        assert_eq!(
            counts.values().sum::<u64>(),
            10,
            "job {id} has its whole result"
        );
    }
    for node in nodes {
        terminate(node).await;
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
    // Only the killed node can have lost outcome lines (its last ones), so
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
    eprintln!(
        "{} jobs acknowledged by {NODES} nodes, all completed once; runs started per node \
         {ran_on:?}; {rerun} ran again after the kill",
        acked.len()
    );
    cluster.remove().await;
}
