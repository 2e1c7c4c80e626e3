use arvak_grpc::proto;
use tonic::Code;

use crate::support::spawn_app;

#[tokio::test]
async fn list_backends_and_backend_info_describe_the_test_backend() {
    let mut app = spawn_app().await;
    let list = app
        .client
        .list_backends(proto::ListBackendsRequest {})
        .await
        .unwrap()
        .into_inner();
    let test = list
        .backends
        .iter()
        .find(|b| b.backend_id == "test-backend")
        .expect("listed");
    assert!(test.is_available);
    assert_eq!((test.max_qubits, test.max_shots), (12, 100_000));
    assert!(test.supported_gates.iter().any(|g| g == "cx"));

    let info = app
        .client
        .get_backend_info(proto::GetBackendInfoRequest {
            backend_id: "test-backend".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .backend
        .unwrap();
    assert_eq!(&info, test);

    let err = app
        .client
        .get_backend_info(proto::GetBackendInfoRequest {
            backend_id: "no-such-qpu".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    assert!(err.message().contains("backend"), "{}", err.message());
}
