//! The simulator as a backend: capabilities, seeds, metadata, limits and
//! cancellation.
#![cfg(feature = "backend-simulator")]

use std::sync::Arc;
use std::time::Duration;

use arvak_grpc::adapters::backend::simulator::{SimulatorBackend, SimulatorConfig};
use arvak_grpc::domain::circuit::{Circuit, CircuitBuilder, Gate, Instruction, Operation};
use arvak_grpc::domain::{ErrorKind, JobId, OptimizationLevel, Shots};
use arvak_grpc::ports::{CancelOutcome, QuantumBackend, RunRequest};

fn gate(b: &mut CircuitBuilder, gate: Gate, qubits: &[u32]) {
    let operation = Operation::Gate {
        gate,
        qubits: qubits.to_vec(),
    };
    b.push(Instruction {
        operation,
        condition: None,
    })
    .unwrap();
}

fn ghz(n: u32) -> Circuit {
    let mut b = CircuitBuilder::new();
    b.add_qreg("q", n).unwrap();
    gate(&mut b, Gate::H, &[0]);
    for q in 0..n - 1 {
        gate(&mut b, Gate::Cx, &[q, q + 1]);
    }
    gate(&mut b, Gate::Ry(0.7), &[n - 1]);
    b.build().with_implicit_measurement()
}

fn request(circuit: Circuit, shots: u32, level: u32, seed: Option<u64>) -> RunRequest {
    RunRequest {
        job_id: JobId::from_uuid(uuid::Uuid::now_v7()),
        circuit: Arc::new(circuit),
        shots: Shots::parse(shots).unwrap(),
        optimization_level: OptimizationLevel::parse(level).unwrap(),
        seed,
        backend_job_id: None,
        on_submitted: None,
    }
}

#[test]
fn capabilities_tell_the_truth() {
    let config = SimulatorConfig {
        max_memory_bytes: Some(2 << 30),
        max_shots: 500,
        ..SimulatorConfig::default()
    };
    let backend = SimulatorBackend::new(config);
    let caps = backend.capabilities();
    assert_eq!(caps.id.as_str(), "simulator");
    assert_eq!(caps.max_qubits, 26);
    assert_eq!(caps.max_shots, 500);
    assert_eq!(caps.supported_gates, Gate::NAMES.map(String::from).to_vec());
    let topology: serde_json::Value = serde_json::from_str(&caps.topology_json).unwrap();
    assert_eq!(topology["kind"], "all-to-all");
    assert_eq!(topology["num_qubits"], 26);
    // The default budget comes from the machine and fits at least a few qubits.
    assert!(
        SimulatorBackend::new(SimulatorConfig::default())
            .capabilities()
            .max_qubits
            >= 20
    );
}

#[tokio::test]
async fn same_seed_same_counts_and_metadata_records_the_run() {
    let backend = SimulatorBackend::new(SimulatorConfig::default());
    let a = backend
        .run(request(ghz(6), 2000, 2, Some(42)))
        .await
        .unwrap();
    let b = backend
        .run(request(ghz(6), 2000, 2, Some(42)))
        .await
        .unwrap();
    assert_eq!(a.counts, b.counts);
    let c = backend
        .run(request(ghz(6), 2000, 2, Some(43)))
        .await
        .unwrap();
    assert_ne!(a.counts, c.counts, "different seeds gave identical counts");
    let meta: serde_json::Value = serde_json::from_str(&a.metadata_json).unwrap();
    assert_eq!(meta["seed"], 42);
    assert_eq!(meta["num_qubits"], 6);
    assert_eq!(meta["gates_before"], 7);
    assert_eq!(meta["method"], "sampling");
    assert_eq!(meta["optimization_level"], 2);
    assert!(meta["gates_after"].as_u64().unwrap() <= 7);
    assert!(meta["simulation_time_ms"].is_u64());
    // The text keeps the key order clients have seen: by name.
    let keys: Vec<&String> = meta.as_object().unwrap().keys().collect();
    let positions: Vec<usize> = keys
        .iter()
        .map(|k| a.metadata_json.find(&format!("\"{k}\":")).unwrap())
        .collect();
    assert!(
        keys.len() == 7 && positions.is_sorted(),
        "{}",
        a.metadata_json
    );
}

#[tokio::test]
async fn without_a_seed_one_is_picked_and_recorded() {
    let backend = SimulatorBackend::new(SimulatorConfig::default());
    let first = backend.run(request(ghz(4), 500, 0, None)).await.unwrap();
    let meta: serde_json::Value = serde_json::from_str(&first.metadata_json).unwrap();
    let seed = meta["seed"].as_u64().unwrap();
    let again = backend
        .run(request(ghz(4), 500, 0, Some(seed)))
        .await
        .unwrap();
    assert_eq!(first.counts, again.counts);

    // Each job without a seed gets a seed of its own.
    let mut picked = std::collections::HashSet::from([seed]);
    for _ in 0..20 {
        let run = backend.run(request(ghz(4), 10, 0, None)).await.unwrap();
        let meta: serde_json::Value = serde_json::from_str(&run.metadata_json).unwrap();
        picked.insert(meta["seed"].as_u64().unwrap());
    }
    assert_eq!(picked.len(), 21, "a seed was picked twice: {picked:?}");
}

#[tokio::test]
async fn per_shot_runs_are_reproducible_too() {
    let mut b = CircuitBuilder::new();
    b.add_qreg("q", 2).unwrap();
    b.add_creg("c", 2).unwrap();
    gate(&mut b, Gate::H, &[0]);
    b.push(Instruction {
        operation: Operation::Measure { qubit: 0, clbit: 0 },
        condition: None,
    })
    .unwrap();
    gate(&mut b, Gate::Cx, &[0, 1]);
    gate(&mut b, Gate::Rx(1.0), &[1]);
    b.push(Instruction {
        operation: Operation::Measure { qubit: 1, clbit: 1 },
        condition: None,
    })
    .unwrap();
    let circuit = b.build();
    // Also with every kernel and reduction on the thread pool.
    let parallel = SimulatorConfig {
        parallel_threshold_qubits: 0,
        ..SimulatorConfig::default()
    };
    let mut seen = Vec::new();
    for config in [SimulatorConfig::default(), parallel.clone(), parallel] {
        let backend = SimulatorBackend::new(config);
        let result = backend
            .run(request(circuit.clone(), 3000, 1, Some(5)))
            .await
            .unwrap();
        seen.push(result);
    }
    assert_eq!(seen[0].counts, seen[1].counts);
    assert_eq!(seen[1].counts, seen[2].counts);
    let a = &seen[0];
    let meta: serde_json::Value = serde_json::from_str(&a.metadata_json).unwrap();
    assert_eq!(meta["method"], "per_shot");
}

#[tokio::test]
async fn per_shot_without_room_for_copies_replays_and_stays_exact() {
    // A budget that holds one 2-qubit run (state plus 16 MiB of working
    // space) but no copy of the state.
    let config = SimulatorConfig {
        max_memory_bytes: Some((16 << 20) + 100),
        ..SimulatorConfig::default()
    };
    let mut b = CircuitBuilder::new();
    b.add_qreg("q", 2).unwrap();
    b.add_creg("c", 3).unwrap();
    gate(&mut b, Gate::H, &[0]);
    b.push(Instruction {
        operation: Operation::Measure { qubit: 0, clbit: 0 },
        condition: None,
    })
    .unwrap();
    gate(&mut b, Gate::H, &[0]);
    gate(&mut b, Gate::Cx, &[0, 1]);
    b.push(Instruction {
        operation: Operation::Measure { qubit: 0, clbit: 1 },
        condition: None,
    })
    .unwrap();
    b.push(Instruction {
        operation: Operation::Measure { qubit: 1, clbit: 2 },
        condition: None,
    })
    .unwrap();
    let circuit = b.build();
    let tight = SimulatorBackend::new(config)
        .run(request(circuit.clone(), 4000, 0, Some(9)))
        .await
        .unwrap();
    let roomy = SimulatorBackend::new(SimulatorConfig::default())
        .run(request(circuit, 4000, 0, Some(9)))
        .await
        .unwrap();
    // c2 always equals c1, and every key is one of the four possible ones.
    for key in tight.counts.keys() {
        assert_eq!(&key[0..1], &key[1..2], "{:?}", tight.counts);
    }
    // Each of the four keys has probability 1/4; Hoeffding with a Bonferroni
    // factor of 8 bounds a false failure by 1e-8.
    let t = ((2.0f64 * 8.0 / 1e-8).ln() / (2.0 * 4000.0)).sqrt();
    for counts in [&tight.counts, &roomy.counts] {
        assert_eq!(counts.len(), 4, "{counts:?}");
        assert_eq!(counts.values().sum::<u64>(), 4000);
        for n in counts.values() {
            assert!((*n as f64 / 4000.0 - 0.25).abs() < t, "{counts:?}");
        }
    }
}

#[tokio::test]
async fn limits_are_enforced() {
    let config = SimulatorConfig {
        max_memory_bytes: Some(64 << 20),
        max_shots: 100,
        ..SimulatorConfig::default()
    };
    let backend = SimulatorBackend::new(config);
    let err = backend
        .run(request(ghz(4), 101, 0, None))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    let too_big = backend.capabilities().max_qubits + 1;
    let err = backend
        .run(request(ghz(too_big), 10, 0, None))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
}

fn long_circuit(n: u32, layers: u32) -> Circuit {
    let mut b = CircuitBuilder::new();
    b.add_qreg("q", n).unwrap();
    for layer in 0..layers {
        for q in 0..n {
            gate(&mut b, Gate::Rx(0.1 + f64::from(layer)), &[q]);
            gate(&mut b, Gate::Cx, &[q, (q + 1) % n]);
        }
    }
    b.build().with_implicit_measurement()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_stops_a_running_job() {
    let backend = Arc::new(SimulatorBackend::new(SimulatorConfig::default()));
    let req = request(long_circuit(20, 200), 100, 0, Some(1));
    let job_id = req.job_id;
    assert_eq!(
        backend.cancel(job_id).await.unwrap(),
        CancelOutcome::NotRunning
    );
    let runner = {
        let backend = backend.clone();
        tokio::spawn(async move { backend.run(req).await })
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        match backend.cancel(job_id).await.unwrap() {
            CancelOutcome::Stopped => break,
            CancelOutcome::NotRunning => {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "the job never started"
                );
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            CancelOutcome::AlreadyFinished => {
                panic!("the long job finished before it was canceled")
            }
        }
    }
    let err = tokio::time::timeout(Duration::from_secs(30), runner)
        .await
        .unwrap()
        .unwrap()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Canceled, "{err}");
    // Canceled work is not "finished with a result".
    assert_eq!(
        backend.cancel(job_id).await.unwrap(),
        CancelOutcome::NotRunning
    );
}

#[tokio::test]
async fn cancel_after_the_end_says_already_finished() {
    let backend = SimulatorBackend::new(SimulatorConfig::default());
    let req = request(ghz(3), 10, 0, Some(1));
    let job_id = req.job_id;
    backend.run(req).await.unwrap();
    assert_eq!(
        backend.cancel(job_id).await.unwrap(),
        CancelOutcome::AlreadyFinished
    );
    let unknown = JobId::from_uuid(uuid::Uuid::now_v7());
    assert_eq!(
        backend.cancel(unknown).await.unwrap(),
        CancelOutcome::NotRunning
    );
}

/// Two 20-qubit runs, each needing most of a 40 MiB budget, run one after
/// the other: both finish, and waiting for memory never deadlocks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_that_each_need_most_of_the_budget_take_turns_and_finish() {
    let config = SimulatorConfig {
        max_memory_bytes: Some(40 << 20),
        ..SimulatorConfig::default()
    };
    let backend = std::sync::Arc::new(SimulatorBackend::new(config));
    assert_eq!(backend.capabilities().max_qubits, 20);
    let mut b = CircuitBuilder::new();
    b.add_qreg("q", 20).unwrap();
    b.push(Instruction {
        operation: Operation::Gate {
            gate: Gate::H,
            qubits: vec![0],
        },
        condition: None,
    })
    .unwrap();
    let circuit = b.build().with_implicit_measurement();
    let runs: Vec<_> = (0..2)
        .map(|_| {
            let backend = backend.clone();
            let circuit = circuit.clone();
            tokio::spawn(async move { backend.run(request(circuit, 10, 0, Some(1))).await })
        })
        .collect();
    for run in runs {
        let result = run.await.unwrap().unwrap();
        assert_eq!(result.counts.values().sum::<u64>(), 10);
    }
}

/// With `run_log` set, every run appends `<unix ms> <job id>` as it
/// starts; a file that cannot be opened is refused naming the key.
#[tokio::test]
async fn a_run_log_gets_a_line_per_run_as_it_starts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("runs.log");
    let id = arvak_grpc::domain::BackendId::parse("simulator").unwrap();
    let config = SimulatorConfig {
        run_log: Some(path.clone()),
        ..SimulatorConfig::default()
    };
    let sim = SimulatorBackend::open(id.clone(), config).unwrap();
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let (first, second) = (
        request(ghz(2), 10, 1, Some(1)),
        request(ghz(3), 10, 1, Some(2)),
    );
    let ids = [first.job_id, second.job_id];
    sim.run(first).await.unwrap();
    sim.run(second).await.unwrap();

    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<(u128, String)> = text
        .lines()
        .map(|line| {
            let (at, job) = line.split_once(' ').unwrap();
            (at.parse().unwrap(), job.to_owned())
        })
        .collect();
    assert_eq!(lines.len(), 2, "{text}");
    for ((at, job), id) in lines.iter().zip(ids) {
        assert_eq!(job, &id.to_string());
        assert!(*at >= before, "{at} is the run's start, after {before}");
    }

    let unopenable = SimulatorConfig {
        run_log: Some(dir.path().join("no-such-dir").join("runs.log")),
        ..SimulatorConfig::default()
    };
    let refused = SimulatorBackend::open(id, unopenable)
        .err()
        .expect("refused");
    assert!(
        refused.message().contains("backends.simulator.run_log"),
        "{refused}"
    );
}
