//! Request ids: taken from `x-request-id` or made, and returned.

use arvak_grpc::proto;
use tonic::Request;

use crate::support::spawn_app;

#[tokio::test]
async fn the_clients_request_id_comes_back_on_success_and_on_error() {
    let mut app = spawn_app().await;
    let mut request = Request::new(proto::ListBackendsRequest {});
    request
        .metadata_mut()
        .insert("x-request-id", "trace-7".parse().unwrap());
    let response = app.client.list_backends(request).await.unwrap();
    assert_eq!(response.metadata().get("x-request-id").unwrap(), "trace-7");

    let mut request = Request::new(proto::GetJobStatusRequest {
        job_id: "nope".into(),
    });
    request
        .metadata_mut()
        .insert("x-request-id", "trace-8".parse().unwrap());
    let status = app.client.get_job_status(request).await.unwrap_err();
    assert_eq!(status.metadata().get("x-request-id").unwrap(), "trace-8");
}

#[tokio::test]
async fn a_request_without_one_gets_a_new_id_each_time() {
    let mut app = spawn_app().await;
    let first = app
        .client
        .list_backends(proto::ListBackendsRequest {})
        .await
        .unwrap();
    let second = app
        .client
        .list_backends(proto::ListBackendsRequest {})
        .await
        .unwrap();
    let id = |r: &tonic::Response<_>| {
        r.metadata()
            .get("x-request-id")
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(id(&first).len(), 36);
    assert_ne!(id(&first), id(&second));
}
