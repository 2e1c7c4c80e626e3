//! The shipped simulator through the whole service.
#![cfg(feature = "backend-simulator")]

use std::collections::HashMap;

use arvak_grpc::proto::{self, JobState};

use crate::support::{qasm3, spawn_app};

async fn counts(app: &mut crate::support::TestApp, qasm: &str, shots: u32) -> HashMap<String, u64> {
    let id = app.submit(qasm, "simulator", shots).await.unwrap();
    let job = app.wait_terminal(&id).await;
    assert_eq!(job.state(), JobState::Completed, "{}", job.error_message);
    app.result(&id).await.counts
}

#[tokio::test]
async fn the_classic_bell_flow_gives_only_00_and_11() {
    let mut app = spawn_app().await;
    let counts = counts(
        &mut app,
        "OPENQASM 3.0; qubit[2] q; h q[0]; cx q[0], q[1];",
        1000,
    )
    .await;
    assert_eq!(counts.values().sum::<u64>(), 1000);
    assert!(counts.keys().all(|k| k == "00" || k == "11"), "{counts:?}");
    // Each side has probability 1/2; below 400 happens with probability < 1e-9.
    assert!(counts["00"] > 400 && counts["11"] > 400, "{counts:?}");
}

#[tokio::test]
async fn counts_keys_put_bit_0_rightmost_and_the_last_register_leftmost() {
    let mut app = spawn_app().await;
    let qasm = "OPENQASM 3.0;\ninclude \"stdgates.inc\";\nqubit[3] q;\nbit[1] a;\nbit[2] b;\n\
                x q[0];\nx q[2];\na[0] = measure q[0];\nb[0] = measure q[1];\nb[1] = measure q[2];\n";
    // a = 1, b = 0b10: b (declared last) leftmost, then a.
    assert_eq!(
        counts(&mut app, qasm, 50).await,
        HashMap::from([("101".to_string(), 50)])
    );
    let implicit = "OPENQASM 3.0;\nqubit[3] q;\nx q[0];\n";
    assert_eq!(
        counts(&mut app, implicit, 20).await,
        HashMap::from([("001".to_string(), 20)])
    );
}

#[tokio::test]
async fn the_same_seed_gives_the_same_counts() {
    let mut app = spawn_app().await;
    let mut run = async |seed| {
        let request = proto::SubmitJobRequest {
            circuit: qasm3("OPENQASM 3.0; qubit[4] q; h q;"),
            backend_id: "simulator".into(),
            shots: 500,
            seed: Some(seed),
            ..Default::default()
        };
        let id = app.submit_request(request).await.unwrap();
        app.wait_terminal(&id).await;
        let result = app.result(&id).await;
        let metadata: serde_json::Value = serde_json::from_str(&result.metadata_json).unwrap();
        assert_eq!(metadata["seed"], serde_json::json!(seed));
        result.counts
    };
    let first = run(7).await;
    assert_eq!(first, run(7).await);
    assert_ne!(
        first,
        run(8).await,
        "16 outcomes over 500 shots: two seeds agreeing is vanishingly rare"
    );
}

#[tokio::test]
async fn list_backends_shows_the_simulator_truthfully() {
    let mut app = spawn_app().await;
    let info = app
        .client
        .get_backend_info(proto::GetBackendInfoRequest {
            backend_id: "simulator".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .backend
        .unwrap();
    assert!(info.is_available);
    assert!(info.max_qubits >= 20, "{info:?}");
    assert!(info.supported_gates.iter().any(|g| g == "cswap"));
    let topology: serde_json::Value = serde_json::from_str(&info.topology_json).unwrap();
    assert!(topology.is_object());
}

#[tokio::test]
async fn one_server_serves_two_simulators_with_their_own_limits() {
    let mut config = crate::support::test_config();
    let small: arvak_grpc::app::config::BackendSection =
        serde_json::from_value(serde_json::json!({ "type": "simulator", "max_shots": 10 }))
            .unwrap();
    config
        .backends
        .sections
        .insert("small_sim".to_owned(), small);
    let mut app = crate::support::spawn_app_with(config).await;

    let list = app
        .client
        .list_backends(proto::ListBackendsRequest {})
        .await
        .unwrap()
        .into_inner();
    let shots_of = |id: &str| {
        list.backends
            .iter()
            .find(|b| b.backend_id == id)
            .map(|b| b.max_shots)
    };
    assert_eq!(shots_of("small_sim"), Some(10), "{list:?}");
    assert_eq!(shots_of("simulator"), Some(1_000_000), "{list:?}");

    let err = app
        .submit(crate::support::BELL, "small_sim", 100)
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::InvalidArgument);
    assert!(err.message().contains("shots"), "{}", err.message());
    let id = app
        .submit(crate::support::BELL, "small_sim", 10)
        .await
        .unwrap();
    let job = app.wait_terminal(&id).await;
    assert_eq!(job.state(), JobState::Completed, "{}", job.error_message);
    assert_eq!(app.result(&id).await.counts.values().sum::<u64>(), 10);
}
