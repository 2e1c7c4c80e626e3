use super::*;

fn status_of(body: serde_json::Value) -> Result<VendorStatus> {
    serde_json::from_value::<JobInfo>(body).unwrap().status()
}

#[test]
fn every_status_word_is_mapped() {
    let state = |s: &str| serde_json::json!({"id": "j", "state": {"status": s}, "status": s});
    assert_eq!(
        status_of(state("Queued")).unwrap(),
        VendorStatus::Waiting {
            queue_position: None
        }
    );
    assert_eq!(status_of(state("Running")).unwrap(), VendorStatus::Running);
    assert_eq!(
        status_of(state("Completed")).unwrap(),
        VendorStatus::Completed
    );
    assert_eq!(
        status_of(state("Cancelled")).unwrap(),
        VendorStatus::Cancelled
    );
    assert!(matches!(
        status_of(state("Cancelled - Ran too long")).unwrap(),
        VendorStatus::Failed { reason } if reason.contains("maximum execution time")
    ));
    assert!(status_of(state("Exploded")).is_err());
    assert_eq!(
        status_of(serde_json::json!({"status": "Running"})).unwrap(),
        VendorStatus::Running
    );
}

#[test]
fn a_failure_keeps_its_reason_and_code() {
    let body = serde_json::json!({"state": {
        "status": "Failed", "reason": "Instruction h is not supported", "reason_code": 1517
    }});
    assert_eq!(
        status_of(body).unwrap(),
        VendorStatus::Failed {
            reason: "error code 1517: Instruction h is not supported".into()
        }
    );
    let too_long = serde_json::json!({"state": {
        "status": "Cancelled", "reason": "Ran too long", "reason_code": 1305
    }});
    assert_eq!(
        status_of(too_long).unwrap(),
        VendorStatus::Failed {
            reason: "error code 1305: Ran too long".into()
        }
    );
}

#[test]
fn a_configuration_becomes_a_device() {
    let config: Configuration = serde_json::from_value(serde_json::json!({
        "backend_name": "ibm_sherbrooke", "n_qubits": 3,
        "basis_gates": ["ecr", "id", "rz", "sx", "x"],
        "coupling_map": [[1, 0], [1, 2]], "max_shots": 100000,
        "supported_instructions": ["ecr", "measure", "reset", "delay"],
        "multi_meas_enabled": true
    }))
    .unwrap();
    let status = BackendStatus {
        state: true,
        status: "maintenance".into(),
    };
    let eagle = device("ibm_sherbrooke", config, &status).unwrap();
    assert_eq!(eagle.basis, Basis::EcrRzSxX);
    assert_eq!(eagle.edges, [(1, 0), (1, 2)]);
    assert!(!eagle.online && eagle.reset && eagle.mid_circuit_measurement);
    let cx_only: Configuration = serde_json::from_value(serde_json::json!({
        "n_qubits": 2, "basis_gates": ["cx", "u3"], "max_shots": 10
    }))
    .unwrap();
    let err = device("old", cx_only, &status).unwrap_err();
    assert!(err.message().contains("cx, u3"), "{}", err.message());
}
