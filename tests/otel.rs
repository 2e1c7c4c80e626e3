//! Traces (feature `otel`): the shipped binary exports its spans over OTLP
//! to a collector started here, and the spans link up: a call's span under
//! the caller's `traceparent`, the submission's phases under the call, and
//! the job's run, in a worker, under the submission, even after a trip
//! through the SQLite store.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arvak_grpc::proto::{
    self, GetJobStatusRequest, JobState, SubmitJobRequest, arvak_service_client::ArvakServiceClient,
};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::trace::v1::Span;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::transport::Channel;
use tonic::{Request, Response, Status};

#[path = "common/process.rs"]
mod process;

use process::{free_port, server_command, terminate};

const CALLER_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN: &str = "00f067aa0ba902b7";

/// An OTLP collector that keeps every span it is sent.
#[derive(Clone, Default)]
struct Collector {
    spans: Arc<Mutex<Vec<Span>>>,
}

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        let mut spans = self.spans.lock().unwrap();
        for resource in request.into_inner().resource_spans {
            for scope in resource.scope_spans {
                spans.extend(scope.spans);
            }
        }
        Ok(Response::new(ExportTraceServiceResponse::default()))
    }
}

async fn start_collector() -> (Collector, u16) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let collector = Collector::default();
    let service = TraceServiceServer::new(collector.clone());
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(service)
            .serve_with_incoming(TcpListenerStream::new(listener)),
    );
    (collector, port)
}

fn start_server(dir: &Path, port: u16, collector_port: u16) -> Child {
    server_command(dir)
        .env("ARVAK_SERVER_LISTEN_ADDR", format!("127.0.0.1:{port}"))
        .env("ARVAK_HTTP_ENABLED", "false")
        .env("ARVAK_WORKERS_COUNT", "1")
        .env("ARVAK_STORAGE_SQLITE_PATH", dir.join("arvak.db"))
        .env(
            "ARVAK_TRACING_OTLP_ENDPOINT",
            format!("http://127.0.0.1:{collector_port}"),
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn bell(traceparent: Option<String>) -> Request<SubmitJobRequest> {
    let mut request = Request::new(SubmitJobRequest {
        circuit: Some(proto::CircuitPayload {
            format: Some(proto::circuit_payload::Format::Qasm3(
                "OPENQASM 3.0; qubit[2] q; bit[2] c; h q[0]; cx q[0], q[1]; c = measure q;"
                    .to_owned(),
            )),
        }),
        backend_id: "simulator".to_owned(),
        shots: 100,
        ..Default::default()
    });
    if let Some(traceparent) = traceparent {
        request
            .metadata_mut()
            .insert("traceparent", traceparent.parse().unwrap());
    }
    request
}

async fn wait_until_completed(client: &mut ArvakServiceClient<Channel>, job_id: &str) {
    for _ in 0..400 {
        let status = client
            .get_job_status(GetJobStatusRequest {
                job_id: job_id.to_owned(),
            })
            .await
            .unwrap()
            .into_inner();
        if status.job.unwrap().state == JobState::Completed as i32 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("job {job_id} did not complete");
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn attribute(span: &Span, key: &str) -> Option<String> {
    let value = span.attributes.iter().find(|kv| kv.key == key)?;
    match value.value.as_ref()?.value.as_ref()? {
        Value::StringValue(text) => Some(text.clone()),
        other => Some(format!("{other:?}")),
    }
}

/// The spans of one trace, by id.
struct Trace<'a> {
    spans: HashMap<String, &'a Span>,
}

impl<'a> Trace<'a> {
    fn of(all: &'a [Span], trace_id: &str) -> Self {
        let spans = all
            .iter()
            .filter(|s| hex(&s.trace_id) == trace_id)
            .map(|s| (hex(&s.span_id), s))
            .collect();
        Self { spans }
    }

    /// The one span called `name` whose attribute `key` is `value`, if given.
    fn find(&self, name: &str, key_value: Option<(&str, &str)>) -> &'a Span {
        let found: Vec<_> = self
            .spans
            .values()
            .filter(|s| s.name == name)
            .filter(|s| key_value.is_none_or(|(k, v)| attribute(s, k).as_deref() == Some(v)))
            .collect();
        assert_eq!(
            found.len(),
            1,
            "one span '{name}' {key_value:?} in the trace; all: {:?}",
            self.names()
        );
        found[0]
    }

    fn children(&self, parent: &Span) -> Vec<&'a str> {
        let mut names: Vec<_> = self
            .spans
            .values()
            .filter(|s| s.parent_span_id == parent.span_id)
            .map(|s| s.name.as_str())
            .collect();
        names.sort_unstable();
        names
    }

    /// The `transition` of each `store` span under `parent`, in start order.
    fn transitions_under(&self, parent: &Span) -> Vec<String> {
        let mut stores: Vec<_> = self
            .spans
            .values()
            .filter(|s| s.parent_span_id == parent.span_id && s.name == "store")
            .collect();
        stores.sort_by_key(|s| s.start_time_unix_nano);
        stores
            .into_iter()
            .map(|s| attribute(s, "transition").unwrap_or_default())
            .collect()
    }

    fn names(&self) -> Vec<(&'a str, Option<String>)> {
        self.spans
            .values()
            .map(|s| (s.name.as_str(), attribute(s, "method")))
            .collect()
    }
}

#[tokio::test]
async fn spans_of_a_call_and_of_its_job_reach_the_collector_linked_to_the_callers_trace() {
    let (collector, collector_port) = start_collector().await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = start_server(dir.path(), port, collector_port);
    let mut client = process::connect(port, &mut child, Duration::from_secs(10)).await;

    let traceparent = format!("00-{CALLER_TRACE}-{CALLER_SPAN}-01");
    let traced = client.submit_job(bell(Some(traceparent))).await.unwrap();
    let traced_id = traced.into_inner().job_id;
    let untraced_id = client
        .submit_job(bell(None))
        .await
        .unwrap()
        .into_inner()
        .job_id;
    wait_until_completed(&mut client, &traced_id).await;
    wait_until_completed(&mut client, &untraced_id).await;
    // The server flushes its spans on the way out.
    terminate(child).await;

    let spans = collector.spans.lock().unwrap().clone();
    let trace = Trace::of(&spans, CALLER_TRACE);
    let call = trace.find("rpc", Some(("method", "SubmitJob")));
    assert_eq!(
        hex(&call.parent_span_id),
        CALLER_SPAN,
        "the call's span is a child of the caller's"
    );
    assert_eq!(trace.children(call), ["submit"]);
    let submit = trace.find("submit", None);
    assert_eq!(trace.children(submit), ["job", "store", "validate"]);

    let job = trace.find("job", None);
    assert_eq!(
        attribute(job, "job_id").as_deref(),
        Some(traced_id.as_str())
    );
    // An idle worker starts the job at its submission (the submit's store
    // writes it RUNNING); a worker not yet waiting when the call came (a
    // loaded machine, just after start) claims it from the queue and writes
    // the start itself. Either way the job's last store is its outcome.
    let stores = trace.transitions_under(job);
    assert!(
        stores == ["outcome"] || stores == ["start", "outcome"],
        "the job's stores: {stores:?}"
    );
    let mut phases: Vec<_> = trace
        .children(job)
        .into_iter()
        .filter(|name| *name != "store")
        .collect();
    phases.dedup();
    assert_eq!(phases, ["queue_wait", "run"], "the job's phases");
    let queue_wait = trace.find("queue_wait", None);
    assert!(queue_wait.end_time_unix_nano >= queue_wait.start_time_unix_nano);
    assert!(
        queue_wait.start_time_unix_nano >= submit.start_time_unix_nano - 1_000_000,
        "the wait starts at submission (millisecond precision)"
    );

    // A call without trace context starts a trace of its own, which its job joins.
    let jobs: Vec<_> = spans
        .iter()
        .filter(|s| s.name == "job" && attribute(s, "job_id").as_deref() == Some(&untraced_id))
        .collect();
    assert_eq!(jobs.len(), 1);
    let own_trace = hex(&jobs[0].trace_id);
    assert_ne!(own_trace, CALLER_TRACE);
    let own = Trace::of(&spans, &own_trace);
    let own_call = own.find("rpc", Some(("method", "SubmitJob")));
    assert!(own_call.parent_span_id.is_empty(), "a root span");
}
