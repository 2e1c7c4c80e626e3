//! Without any method configured every caller is `anonymous`, as before
//! authentication existed; `allow_unauthenticated: false` then refuses to
//! start.

use arvak_grpc::app::App;

use crate::common::{api_key, probe};
use crate::support::test_config;

#[tokio::test]
async fn with_no_method_configured_every_caller_is_anonymous_whatever_it_sends() {
    let mut app = crate::serve::serve(test_config()).await;
    probe(&mut app, None).await.unwrap();
    probe(&mut app, api_key("arvak_nonsense")).await.unwrap();
    probe(&mut app, Some(("authorization", "Bearer x.y.z")))
        .await
        .unwrap();
}

#[tokio::test]
async fn refusing_unauthenticated_callers_without_any_method_is_a_configuration_error() {
    let mut config = test_config();
    config.auth.allow_unauthenticated = Some(false);
    let error = App::build(config).await.err().expect("refused at start");
    assert!(
        error
            .message()
            .contains("no authentication method is enabled"),
        "{error}"
    );
}
