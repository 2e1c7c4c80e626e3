//! Roles from JWT groups: a group's role adds to the client's entry, and the
//! group `admin` sees every client's jobs.

use serde_json::json;
use tonic::Code;

use super::policies_path;
use crate::common::{assert_code, status, submit};
use crate::jwt::{bearer, claims, es256, jwt_config, sign};

const POLICIES: &str = r#"
default:
  operations: [GetJobStatus]
roles:
  physics:
    operations: [SubmitJob]
    backends: [test-backend]
"#;

#[tokio::test]
async fn a_groups_role_adds_grants_and_the_admin_group_sees_all_jobs() {
    let dir = tempfile::tempdir().unwrap();
    let key = es256();
    std::fs::write(policies_path(dir.path()), POLICIES).unwrap();
    let mut config = jwt_config(dir.path(), &key);
    config.policies.file = Some(policies_path(dir.path()));
    let mut app = crate::serve::serve(config).await;
    let token = |sub: &str, groups: serde_json::Value| {
        let mut claims = claims(sub);
        claims["groups"] = groups;
        bearer(&sign(&key, None, &claims))
    };
    let carol = token("carol", json!(["physics"]));
    let dave = token("dave", json!(["chemistry"]));
    let root = token("root", json!(["admin"]));

    let job = submit(&mut app, Some(("authorization", &carol)))
        .await
        .unwrap();
    let refused = assert_code(
        submit(&mut app, Some(("authorization", &dave))).await,
        Code::PermissionDenied,
    );
    assert_eq!(refused.message(), "client 'dave' may not call SubmitJob");
    assert_code(
        status(&mut app, &job, Some(("authorization", &dave))).await,
        Code::NotFound,
    );
    let seen = status(&mut app, &job, Some(("authorization", &root))).await;
    assert_eq!(
        seen.unwrap().job_id,
        job,
        "the admin group sees carol's job"
    );
}
