//! What every arvak.v1 call goes through: authentication (the credentials
//! in the metadata and the connection become an `Identity`, or the call ends
//! UNAUTHENTICATED), a request id (the client's `x-request-id`, or a new one) that is on every log line
//! of the call and comes back in the response metadata, one log line per
//! call at debug, and the mapping of errors to status codes.

use std::future::Future;
use std::time::Instant;

use tonic::metadata::{MetadataMap, MetadataValue};
use tonic::{Request, Response, Status};
use tracing::Instrument;

use super::status::{code_name, to_status};
use crate::adapters::transport::connection::ConnectionInfo;
use crate::domain::{Identity, Result};
use crate::ports::{Authenticator, Credentials, Secret, Telemetry, Traces};
use crate::ports::{CallOrigin, with_origin};

pub const REQUEST_ID: &str = "x-request-id";

/// The caller's W3C trace context, which the call's span joins.
const TRACEPARENT: &str = "traceparent";

/// The client's request id when it is a sensible one, else a new one.
fn request_id(metadata: &MetadataMap) -> String {
    metadata
        .get(REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .filter(|id| !id.is_empty() && id.len() <= 128 && id.chars().all(|c| c.is_ascii_graphic()))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string())
}

/// `authorization: Bearer <token>`; any other `authorization` value is
/// kept whole, so that it is refused rather than ignored.
fn bearer_token(metadata: &MetadataMap) -> Option<Secret> {
    let value = metadata.get("authorization")?.to_str().unwrap_or_default();
    let token = match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
        _ => value,
    };
    Some(Secret::new(token))
}

/// What the request offers to prove who sent it: its metadata, and what the
/// listener knows about the connection (tonic's remote address without it).
fn credentials<T>(request: &Request<T>, rpc: &'static str, request_id: &str) -> Credentials {
    let metadata = request.metadata();
    let connection = request.extensions().get::<ConnectionInfo>();
    Credentials {
        peer_address: connection
            .and_then(|c| c.remote_addr)
            .or_else(|| request.remote_addr()),
        client_certificates: connection.and_then(|c| c.client_certificates.clone()),
        bearer_token: bearer_token(metadata),
        api_key: metadata
            .get("x-api-key")
            .map(|value| Secret::new(value.to_str().unwrap_or_default())),
        rpc,
        request_id: Some(request_id.to_owned()),
    }
}

fn tag(metadata: &mut MetadataMap, request_id: &str) {
    if let Ok(value) = MetadataValue::try_from(request_id) {
        metadata.insert(REQUEST_ID, value);
    }
}

/// What every call needs besides its request and handler.
#[derive(Clone, Copy)]
pub struct CallSetup<'a> {
    pub telemetry: &'a dyn Telemetry,
    pub authenticator: &'a dyn Authenticator,
    /// Joins a call's span to the caller's trace.
    pub traces: &'a dyn Traces,
    /// Whether each call gets a span (only when traces are exported: log
    /// lines take the request id from the call's task-local instead, which
    /// costs nothing when nothing is logged).
    pub spans: bool,
}

/// Runs `handler` as the call `method`, for the caller the authenticator
/// finds; a failed authentication is answered and counted like any error.
pub async fn rpc<Req, Resp, Fut>(
    setup: CallSetup<'_>,
    method: &'static str,
    request: Request<Req>,
    handler: impl FnOnce(Identity, Req) -> Fut,
) -> Result<Response<Resp>, Status>
where
    Fut: Future<Output = Result<Resp>>,
{
    let request_id = request_id(request.metadata());
    let credentials = credentials(&request, method, &request_id);
    let span = if setup.spans {
        tracing::info_span!("rpc", method, request_id = %request_id)
    } else {
        tracing::Span::none()
    };
    if setup.spans
        && let Some(traceparent) = request.metadata().get(TRACEPARENT)
        && let Ok(traceparent) = traceparent.to_str()
    {
        setup.traces.adopt(&span, traceparent);
    }
    let started = Instant::now();
    let origin = CallOrigin {
        method,
        request_id: Some(request_id.clone()),
        peer: credentials.peer_address,
    };
    let call = async {
        let mut client_id = None;
        let outcome = match setup.authenticator.authenticate(&credentials).await {
            Ok(identity) => {
                if tracing::enabled!(tracing::Level::DEBUG) {
                    client_id = Some(identity.client_id.clone());
                }
                handler(identity, request.into_inner()).await
            }
            Err(error) => Err(error),
        };
        // Still inside the call: the line carries its method and request id.
        let elapsed = started.elapsed();
        let client_id = client_id.as_ref().map(tracing::field::display);
        let elapsed_us = elapsed.as_micros() as u64;
        match outcome {
            Ok(message) => {
                setup.telemetry.rpc(method, "OK", elapsed);
                tracing::debug!(code = "OK", client_id, elapsed_us, "rpc");
                Ok(message)
            }
            Err(error) => {
                let status = to_status(error);
                setup
                    .telemetry
                    .rpc(method, code_name(status.code()), elapsed);
                tracing::debug!(code = ?status.code(), error = status.message(), client_id, elapsed_us, "rpc");
                Err(status)
            }
        }
    };
    match with_origin(origin, call).instrument(span).await {
        Ok(message) => {
            let mut response = Response::new(message);
            tag(response.metadata_mut(), &request_id);
            Ok(response)
        }
        Err(mut status) => {
            tag(status.metadata_mut(), &request_id);
            Err(status)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;
    use std::sync::Arc;

    use super::*;
    use crate::domain::Error;
    use crate::ports::{MockAuthenticator, MockTelemetry};

    #[tokio::test]
    async fn a_refused_caller_is_answered_unauthenticated_counted_and_never_handled() {
        let mut authenticator = MockAuthenticator::new();
        authenticator
            .expect_authenticate()
            .returning(|_| Err(Error::unauthenticated("wrong secret for API key 'k1'")));
        let mut telemetry = MockTelemetry::new();
        telemetry
            .expect_rpc()
            .withf(|method, code, _| method == "ListBackends" && code == "UNAUTHENTICATED")
            .times(1)
            .return_const(());
        let handler = |_: Identity, _: ()| async { panic!("the handler must not run") };
        let setup = CallSetup {
            telemetry: &telemetry,
            authenticator: &authenticator,
            traces: &crate::ports::NoTraces,
            spans: false,
        };
        let status = rpc::<(), (), _>(setup, "ListBackends", Request::new(()), handler)
            .await
            .unwrap_err();
        assert_eq!(status.code(), tonic::Code::Unauthenticated);
        assert!(status.metadata().get(REQUEST_ID).is_some());
    }

    #[test]
    fn credentials_come_from_the_metadata_and_the_connection() {
        let mut request = Request::new(());
        let metadata = request.metadata_mut();
        metadata.insert("authorization", MetadataValue::from_static("bearer a.b.c"));
        metadata.insert("x-api-key", MetadataValue::from_static("arvak_k_s"));
        let peer = SocketAddr::from(([192, 0, 2, 1], 5000));
        let chain: Arc<[Vec<u8>]> = Arc::from(vec![vec![0x30u8]]);
        request.extensions_mut().insert(ConnectionInfo {
            remote_addr: Some(peer),
            client_certificates: Some(chain.clone()),
        });
        let found = credentials(&request, "SubmitJob", "r-1");
        assert_eq!(found.bearer_token.unwrap().expose(), "a.b.c");
        assert_eq!(found.api_key.unwrap().expose(), "arvak_k_s");
        assert_eq!(found.peer_address, Some(peer));
        assert_eq!(found.client_certificates.as_deref(), Some(&chain[..]));
        assert_eq!(
            (found.rpc, found.request_id.as_deref()),
            ("SubmitJob", Some("r-1"))
        );

        let mut basic = Request::new(());
        let metadata = basic.metadata_mut();
        metadata.insert(
            "authorization",
            MetadataValue::from_static("Basic dXNlcg=="),
        );
        let credentials = credentials(&basic, "SubmitJob", "r-2");
        let kept = credentials
            .bearer_token
            .expect("another scheme is still a credential");
        assert_eq!(
            kept.expose(),
            "Basic dXNlcg==",
            "refused later, never ignored"
        );
        assert_eq!(credentials.peer_address, None);
    }

    #[test]
    fn a_sensible_client_request_id_is_kept_and_anything_else_replaced() {
        let mut metadata = MetadataMap::new();
        metadata.insert(REQUEST_ID, MetadataValue::from_static("trace-42"));
        assert_eq!(request_id(&metadata), "trace-42");
        metadata.insert(REQUEST_ID, MetadataValue::from_static("has space"));
        assert_ne!(request_id(&metadata), "has space");
        assert_eq!(request_id(&MetadataMap::new()).len(), 36, "a new UUID");
    }
}
