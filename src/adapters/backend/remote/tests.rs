//! The remote backend against a scripted vendor: the whole lifecycle,
//! reattaching, 429s, outages and the breaker, failures, cancels.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;

use super::*;
use crate::domain::circuit::{Circuit, CircuitBuilder, Counts, Gate, Instruction, Operation};
use crate::domain::transpile::Basis;
use crate::domain::{Error, ErrorKind, JobId, OptimizationLevel, Result, Shots};
use crate::ports::{CancelOutcome, QuantumBackend, RunRequest, SubmissionReport};

/// What the scripted vendor was asked, in order.
#[derive(Debug, Clone, PartialEq)]
enum Call {
    Device,
    Submit(usize),
    Status(String),
    Counts(String),
    Cancel(String),
}

#[derive(Default)]
struct Script {
    device: VecDeque<Result<Device>>,
    submit: VecDeque<Result<String>>,
    status: VecDeque<Result<VendorStatus>>,
    calls: Vec<Call>,
    submitted: Vec<Circuit>,
}

/// A vendor that answers from a script: its device is a line of three
/// IQM qubits unless told otherwise, a submission is `v-1`, and an empty
/// status script means completed.
#[derive(Default, Clone)]
struct Scripted(Arc<Mutex<Script>>);

impl Scripted {
    fn with(&self, edit: impl FnOnce(&mut Script)) -> &Self {
        edit(&mut self.0.lock().unwrap());
        self
    }

    fn calls(&self) -> Vec<Call> {
        self.0.lock().unwrap().calls.clone()
    }

    fn call(&self, call: Call) {
        self.0.lock().unwrap().calls.push(call);
    }
}

fn line_device() -> Device {
    Device {
        name: "line3".into(),
        num_qubits: 3,
        edges: vec![(0, 1), (1, 2)],
        basis: Basis::PrxCz,
        native_gates: vec!["prx".into(), "cz".into(), "measure".into()],
        online: true,
        max_shots: 1_000,
        mid_circuit_measurement: false,
        reset: false,
    }
}

#[async_trait]
impl VendorApi for Scripted {
    fn vendor(&self) -> &'static str {
        "Fake"
    }

    async fn device(&self) -> Result<Device> {
        self.call(Call::Device);
        let next = self.0.lock().unwrap().device.pop_front();
        next.unwrap_or_else(|| Ok(line_device()))
    }

    async fn submit(&self, circuit: &Circuit, _shots: u32) -> Result<String> {
        let mut script = self.0.lock().unwrap();
        script.submitted.push(circuit.clone());
        let n = script.submitted.len();
        script.calls.push(Call::Submit(n));
        script
            .submit
            .pop_front()
            .unwrap_or_else(|| Ok("v-1".into()))
    }

    async fn status(&self, job: &str) -> Result<VendorStatus> {
        self.call(Call::Status(job.into()));
        let next = self.0.lock().unwrap().status.pop_front();
        next.unwrap_or(Ok(VendorStatus::Completed))
    }

    async fn counts(&self, job: &str, circuit: &Circuit) -> Result<Counts> {
        self.call(Call::Counts(job.into()));
        let width = circuit.output_clbits().len();
        Ok(Counts::from([("1".repeat(width), 100)]))
    }

    async fn cancel(&self, job: &str) -> Result<()> {
        self.call(Call::Cancel(job.into()));
        Ok(())
    }
}

fn settings() -> RemoteSettings {
    RemoteSettings {
        poll_ms: 100,
        poll_max_secs: 1,
        breaker_failures: 2,
        breaker_open_secs: 5,
        ..RemoteSettings::default()
    }
}

async fn backend(vendor: &Scripted) -> RemoteBackend {
    let id = crate::domain::BackendId::parse("qpu").unwrap();
    let backend = RemoteBackend::start(id, Arc::new(vendor.clone()), settings());
    backend.describe().await.ok();
    backend
}

/// X on qubits 0 and 2 (not neighbours on the line), both measured.
fn circuit() -> Arc<Circuit> {
    let mut b = CircuitBuilder::new();
    b.add_qreg("q", 3).unwrap();
    b.add_creg("c", 2).unwrap();
    let ops = [
        Operation::Gate {
            gate: Gate::H,
            qubits: vec![0],
        },
        Operation::Gate {
            gate: Gate::Cx,
            qubits: vec![0, 2],
        },
        Operation::Measure { qubit: 0, clbit: 0 },
        Operation::Measure { qubit: 2, clbit: 1 },
    ];
    for operation in ops {
        b.push(Instruction {
            operation,
            condition: None,
        })
        .unwrap();
    }
    Arc::new(b.build())
}

fn request(reported: &Arc<Mutex<Vec<String>>>) -> RunRequest {
    let reported = reported.clone();
    RunRequest {
        job_id: JobId::from_uuid(uuid::Uuid::now_v7()),
        circuit: circuit(),
        shots: Shots::parse(100).unwrap(),
        optimization_level: OptimizationLevel::parse(1).unwrap(),
        seed: None,
        backend_job_id: None,
        on_submitted: Some(SubmissionReport::new(move |id| {
            reported.lock().unwrap().push(id)
        })),
    }
}

#[tokio::test(start_paused = true)]
async fn a_job_is_transpiled_submitted_followed_and_counted() {
    let vendor = Scripted::default();
    vendor.with(|s| {
        s.status = VecDeque::from([
            Ok(VendorStatus::Waiting {
                queue_position: Some(3),
            }),
            Ok(VendorStatus::Running),
        ])
    });
    let backend = backend(&vendor).await;
    assert!(backend.is_available().await);
    assert_eq!(backend.capabilities().max_qubits, 3);
    let reported = Arc::new(Mutex::new(Vec::new()));
    let result = backend.run(request(&reported)).await.unwrap();
    assert_eq!(*reported.lock().unwrap(), ["v-1"]);
    assert_eq!(result.counts, Counts::from([("11".to_owned(), 100)]));
    let metadata: serde_json::Value = serde_json::from_str(&result.metadata_json).unwrap();
    assert_eq!(metadata["backend_job_id"], "v-1");
    assert!(metadata["transpile"]["two_qubit_gates"].as_u64().unwrap() >= 1);
    let calls = vendor.calls();
    let after_device: Vec<_> = calls.into_iter().filter(|c| *c != Call::Device).collect();
    assert_eq!(
        after_device,
        [
            Call::Submit(1),
            Call::Status("v-1".into()),
            Call::Status("v-1".into()),
            Call::Status("v-1".into()),
            Call::Counts("v-1".into()),
        ]
    );
    // What was sent holds only the device's gates, on its edges.
    let sent = vendor.0.lock().unwrap().submitted[0].clone();
    assert_eq!(sent.num_qubits(), 3);
    for instruction in sent.instructions() {
        if let Operation::Gate { gate, qubits } = &instruction.operation {
            assert!(matches!(gate, Gate::Prx(..) | Gate::Cz), "{gate:?}");
            if qubits.len() == 2 {
                assert_eq!((qubits[0] as i64 - qubits[1] as i64).abs(), 1, "{qubits:?}");
            }
        }
    }
}

#[tokio::test(start_paused = true)]
async fn the_vendors_queue_position_is_shown_while_it_waits() {
    let vendor = Scripted::default();
    let waiting = || {
        Ok(VendorStatus::Waiting {
            queue_position: Some(4),
        })
    };
    vendor.with(|s| s.status = VecDeque::from([waiting(), waiting(), waiting()]));
    let backend = Arc::new(backend(&vendor).await);
    let running = tokio::spawn({
        let backend = backend.clone();
        async move { backend.run(request(&Arc::default())).await }
    });
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(backend.queue_position("v-1").await, Some(4));
    running.await.unwrap().unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_recorded_vendor_job_is_reattached_not_submitted_again() {
    let vendor = Scripted::default();
    let backend = backend(&vendor).await;
    let reported = Arc::new(Mutex::new(Vec::new()));
    let mut again = request(&reported);
    again.backend_job_id = Some("v-9".into());
    backend.run(again).await.unwrap();
    assert!(reported.lock().unwrap().is_empty());
    let calls = vendor.calls();
    assert!(
        !calls.iter().any(|c| matches!(c, Call::Submit(_))),
        "{calls:?}"
    );
    assert!(calls.contains(&Call::Counts("v-9".into())));
}

#[tokio::test(start_paused = true)]
async fn a_429_is_waited_out_for_as_long_as_it_says() {
    let vendor = Scripted::default();
    let limited = Error::resource_exhausted("slow down").with_retry_after(Duration::from_secs(7));
    vendor.with(|s| s.submit = VecDeque::from([Err(limited)]));
    let backend = backend(&vendor).await;
    let start = tokio::time::Instant::now();
    backend.run(request(&Arc::default())).await.unwrap();
    assert!(start.elapsed() >= Duration::from_secs(7));
    assert!(vendor.calls().contains(&Call::Submit(2)));
}

#[tokio::test(start_paused = true)]
async fn outages_at_submission_leave_the_job_waiting_and_open_the_breaker() {
    let vendor = Scripted::default();
    let down = || Err(Error::unavailable("connection refused"));
    vendor.with(|s| s.submit = VecDeque::from([down(), down()]));
    let backend = backend(&vendor).await;
    for _ in 0..2 {
        let err = backend.run(request(&Arc::default())).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    }
    assert!(!backend.is_available().await, "two outages open it");
    let refused = backend.run(request(&Arc::default())).await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::Unavailable);
    // The device task probes once the pause is over; the vendor answers.
    tokio::time::sleep(Duration::from_secs(7)).await;
    assert!(backend.is_available().await, "a probe closed it");
    backend.run(request(&Arc::default())).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn outages_while_polling_do_not_fail_a_job_the_vendor_holds() {
    let vendor = Scripted::default();
    let down = || Err(Error::unavailable("502 bad gateway"));
    vendor.with(|s| s.status = VecDeque::from([down(), down(), down(), down()]));
    let backend = backend(&vendor).await;
    let result = backend.run(request(&Arc::default())).await.unwrap();
    assert_eq!(result.counts.values().sum::<u64>(), 100);
}

#[tokio::test(start_paused = true)]
async fn a_vendor_failure_becomes_the_reason() {
    let vendor = Scripted::default();
    let failed = VendorStatus::Failed {
        reason: "calibration expired".into(),
    };
    vendor.with(|s| s.status = VecDeque::from([Ok(failed)]));
    let backend = backend(&vendor).await;
    let err = backend.run(request(&Arc::default())).await.unwrap_err();
    assert!(err.message().contains("calibration expired"), "{err}");
    assert_ne!(err.kind(), ErrorKind::Unavailable, "a failure, not a wait");
    let vendor = Scripted::default();
    vendor.with(|s| s.status = VecDeque::from([Ok(VendorStatus::Cancelled)]));
    let backend = super::tests::backend(&vendor).await;
    let err = backend.run(request(&Arc::default())).await.unwrap_err();
    assert!(err.message().contains("cancelled"), "{err}");
    assert_ne!(err.kind(), ErrorKind::Canceled, "nobody here asked");
}

#[tokio::test(start_paused = true)]
async fn a_cancel_is_forwarded_and_ends_the_run() {
    let vendor = Scripted::default();
    let waiting = || {
        Ok(VendorStatus::Waiting {
            queue_position: None,
        })
    };
    vendor.with(|s| s.status = (0..100).map(|_| waiting()).collect());
    let backend = Arc::new(backend(&vendor).await);
    let request = request(&Arc::default());
    let job = request.job_id;
    let running = tokio::spawn({
        let backend = backend.clone();
        async move { backend.run(request).await }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(backend.cancel(job).await.unwrap(), CancelOutcome::Stopped);
    let err = running.await.unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Canceled);
    assert!(vendor.calls().contains(&Call::Cancel("v-1".into())));
    assert_eq!(
        backend.cancel(job).await.unwrap(),
        CancelOutcome::NotRunning,
        "the run is over"
    );
}

#[tokio::test(start_paused = true)]
async fn a_timed_out_run_still_cancels_its_vendor_job() {
    let vendor = Scripted::default();
    let waiting = || {
        Ok(VendorStatus::Waiting {
            queue_position: None,
        })
    };
    vendor.with(|s| s.status = (0..100).map(|_| waiting()).collect());
    let backend = backend(&vendor).await;
    let request = request(&Arc::default());
    let job = request.job_id;
    // As the worker does: give up waiting, then cancel.
    let gave_up = tokio::time::timeout(Duration::from_secs(2), backend.run(request)).await;
    assert!(gave_up.is_err());
    assert_eq!(backend.cancel(job).await.unwrap(), CancelOutcome::Stopped);
    assert!(vendor.calls().contains(&Call::Cancel("v-1".into())));
}

#[tokio::test(start_paused = true)]
async fn a_device_not_yet_described_keeps_jobs_waiting() {
    let vendor = Scripted::default();
    vendor.with(|s| s.device = VecDeque::from([Err(Error::unavailable("dns"))]));
    let id = crate::domain::BackendId::parse("qpu").unwrap();
    let backend = RemoteBackend::start(id, Arc::new(vendor.clone()), settings());
    assert!(backend.describe().await.is_err());
    assert!(!backend.is_available().await);
    assert_eq!(backend.capabilities().max_qubits, 0);
    let err = backend.run(request(&Arc::default())).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable);
    backend.describe().await.unwrap();
    assert!(backend.is_available().await);
}

#[tokio::test(start_paused = true)]
async fn a_circuit_the_device_cannot_hold_is_refused() {
    let vendor = Scripted::default();
    let backend = backend(&vendor).await;
    let mut b = CircuitBuilder::new();
    b.add_qreg("q", 4).unwrap();
    let mut big = request(&Arc::default());
    big.circuit = Arc::new(b.build().with_implicit_measurement());
    let err = backend.run(big).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(err.message().contains("4 qubits"), "{err}");
}
