//! The policies file changed while the server runs: a good change applies
//! to the next calls, a broken one is refused and the rules in force stay.

use std::time::Duration;

use tonic::Code;

use super::{policed_app, policies_path, submit_bell};
use crate::api_keys::{audit_path, create_key};
use crate::common::{assert_code, audit_lines};
use crate::support::TestApp;

const LIST_ONLY: &str = "default:\n  operations: [ListBackends]\n";
const SUBMIT_TOO: &str = "default:\n  operations: [ListBackends, SubmitJob]\n  backends: \"*\"\n";

/// Writes the file as an operator should: a temporary file moved into place.
fn replace(path: &std::path::Path, text: &str) {
    let temporary = path.with_extension("tmp");
    std::fs::write(&temporary, text).unwrap();
    std::fs::rename(&temporary, path).unwrap();
}

/// Polls until `key` may submit (true) or the time is up (false).
async fn submits_within(app: &mut TestApp, key: &str, time: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + time;
    while tokio::time::Instant::now() < deadline {
        if submit_bell(app, key).await.is_ok() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

#[tokio::test]
async fn a_changed_file_applies_and_a_broken_one_is_refused_keeping_the_rules() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, config) = policed_app(dir.path(), LIST_ONLY).await;
    let alice = create_key(&config, "alice").await;
    assert_code(submit_bell(&mut app, &alice).await, Code::PermissionDenied);

    let path = policies_path(dir.path());
    replace(&path, SUBMIT_TOO);
    assert!(
        submits_within(&mut app, &alice, Duration::from_secs(10)).await,
        "the new rules apply"
    );

    replace(&path, "default:\n  operations: [SubmitJobz]\n");
    // Three reload intervals: the broken file has certainly been read.
    tokio::time::sleep(Duration::from_secs(3)).await;
    submit_bell(&mut app, &alice)
        .await
        .expect("the last good rules stay in force");

    app.shut_down().await.unwrap();
    let lines = audit_lines(&audit_path(dir.path()));
    let reloads: Vec<(&str, &str)> = lines
        .iter()
        .filter(|l| l["action"] == "policy_reloaded")
        .map(|l| {
            (
                l["outcome"].as_str().unwrap(),
                l["detail"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(reloads.len(), 2, "{reloads:?}");
    assert_eq!(reloads[0].0, "ok");
    assert_eq!(reloads[1].0, "refused");
    assert!(reloads[1].1.contains("SubmitJobz"), "{reloads:?}");
}
