//! The HTTP edge of the QPU adapters: which URLs may be used, and the
//! vendor's answers translated once into our error kinds, with the vendor's
//! own message kept (it becomes a failed job's reason) and credentials never
//! in it.

use std::net::IpAddr;
use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{RequestBuilder, Response, StatusCode, Url};
use serde::de::DeserializeOwned;

use crate::domain::{Error, ErrorKind, Result};

/// How long to wait after a 429 that names no time.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(5);
/// Longest vendor message kept in an error.
const MAX_MESSAGE_CHARS: usize = 500;

/// Parses a vendor URL from setting `setting`: `https`, or plain `http`
/// only to a loopback address (local fakes and tests), so a token never
/// crosses a network in clear.
pub fn parse_url(url: &str, setting: &str) -> Result<Url> {
    let parsed = Url::parse(url)
        .map_err(|e| Error::invalid_argument(format!("{setting}: '{url}' is not a URL: {e}")))?;
    let host = parsed.host_str().unwrap_or("");
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" if loopback => Ok(parsed),
        "http" => Err(Error::invalid_argument(format!(
            "{setting}: plain http is accepted only for loopback addresses; use https for '{url}'"
        ))),
        other => Err(Error::invalid_argument(format!(
            "{setting}: scheme '{other}' is not supported; use https"
        ))),
    }
}

/// One HTTP client per backend, naming its vendor in every error.
#[derive(Debug, Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    vendor: &'static str,
}

impl HttpClient {
    pub fn new(vendor: &'static str, timeout: Duration) -> Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .build()
            .map_err(|e| Error::internal(format!("{vendor} HTTP client: {e}")))?;
        Ok(Self { client, vendor })
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Sends the request; any answer but 2xx becomes an error of the kind
    /// its status means. `what` says what was asked, for the message.
    pub async fn send(&self, request: RequestBuilder, what: &str) -> Result<Response> {
        let response = request.send().await.map_err(|e| {
            Error::unavailable(format!(
                "{what}: {} could not be reached: {}",
                self.vendor,
                e.without_url()
            ))
        })?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let retry_after = retry_after(response.headers(), SystemTime::now());
        let body = response.text().await.unwrap_or_default();
        Err(status_error(self.vendor, what, status, &body, retry_after))
    }

    /// Sends the request and reads its JSON answer.
    pub async fn json<T: DeserializeOwned>(
        &self,
        request: RequestBuilder,
        what: &str,
    ) -> Result<T> {
        let response = self.send(request, what).await?;
        let bytes = response.bytes().await.map_err(|e| {
            Error::unavailable(format!("{what}: {} answer broke off: {e}", self.vendor))
        })?;
        serde_json::from_slice(&bytes).map_err(|e| {
            Error::internal(format!(
                "{what}: {} answered in a form this server does not know: {e}",
                self.vendor
            ))
        })
    }
}

/// The error an answer with `status` stands for.
pub fn status_error(
    vendor: &str,
    what: &str,
    status: StatusCode,
    body: &str,
    retry_after: Option<Duration>,
) -> Error {
    let message = vendor_message(body);
    let said = if message.is_empty() {
        format!("{what}: {vendor} answered {status}")
    } else {
        format!("{what}: {vendor} answered {status}: {message}")
    };
    let kind = match status {
        StatusCode::TOO_MANY_REQUESTS => {
            let after = retry_after.unwrap_or(DEFAULT_RETRY_AFTER);
            return Error::resource_exhausted(said).with_retry_after(after);
        }
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => ErrorKind::Unauthenticated,
        StatusCode::NOT_FOUND => ErrorKind::NotFound,
        StatusCode::CONFLICT => ErrorKind::FailedPrecondition,
        s if s.is_server_error() => ErrorKind::Unavailable,
        StatusCode::REQUEST_TIMEOUT => ErrorKind::Unavailable,
        _ => ErrorKind::InvalidArgument,
    };
    let error = Error::new(kind, said);
    match retry_after {
        Some(after) if kind == ErrorKind::Unavailable => error.with_retry_after(after),
        _ => error,
    }
}

/// `Retry-After` as seconds or as an HTTP date, from `now`.
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The human part of a vendor's error body: the `message`, `detail`,
/// `error` or `errorMessage` (IBM Cloud IAM) field of a JSON body (or of its
/// first `errors` entry), else the text itself; shortened, and with anything that looks like a bearer
/// token or an API key blanked.
pub fn vendor_message(body: &str) -> String {
    let from_json = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| message_field(&v));
    let text = from_json.unwrap_or_else(|| body.trim().to_owned());
    let mut short: String = text.chars().take(MAX_MESSAGE_CHARS).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    redact_credentials(&short)
}

fn message_field(value: &serde_json::Value) -> Option<String> {
    if let Some(first) = value.get("errors").and_then(|e| e.get(0)) {
        return message_field(first);
    }
    for key in ["message", "detail", "error", "reason", "errorMessage"] {
        match value.get(key) {
            Some(serde_json::Value::String(s)) => return Some(s.clone()),
            Some(nested @ serde_json::Value::Object(_)) => return message_field(nested),
            Some(other @ serde_json::Value::Array(_)) => return Some(other.to_string()),
            _ => {}
        }
    }
    None
}

/// Blanks the word after `Bearer` and the value after `apikey`/`api_key`/
/// `token` keys, wherever a vendor echoes a request back.
fn redact_credentials(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank_next = false;
    for (i, word) in text.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if blank_next && !word.is_empty() {
            out.push_str("***");
            blank_next = false;
            continue;
        }
        let lower = word.to_ascii_lowercase();
        if let Some((key, _)) = lower.split_once(['=', ':'])
            && ["apikey", "api_key", "token", "access_token", "\"apikey\""]
                .contains(&key.trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '_'))
        {
            let cut = word.find(['=', ':']).map_or(word.len(), |at| at + 1);
            out.push_str(&word[..cut]);
            out.push_str("***");
            continue;
        }
        blank_next = lower == "bearer";
        out.push_str(word);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_reaches_loopback() {
        assert!(parse_url("https://resonance.iqm.tech", "k").is_ok());
        assert!(parse_url("http://127.0.0.1:8080", "k").is_ok());
        assert!(parse_url("http://[::1]:8080/api", "k").is_ok());
        assert!(parse_url("http://localhost:1", "k").is_ok());
        let err = parse_url("http://quantum.cloud.ibm.com/api", "backends.x.url").unwrap_err();
        assert!(
            err.message().contains("backends.x.url"),
            "{}",
            err.message()
        );
        assert!(err.message().contains("loopback"), "{}", err.message());
        assert!(parse_url("ftp://127.0.0.1", "k").is_err());
        assert!(parse_url("not a url", "k").is_err());
    }

    #[test]
    fn statuses_become_kinds() {
        let kind =
            |s: u16| status_error("V", "w", StatusCode::from_u16(s).unwrap(), "", None).kind();
        assert_eq!(kind(503), ErrorKind::Unavailable);
        assert_eq!(kind(500), ErrorKind::Unavailable);
        assert_eq!(kind(401), ErrorKind::Unauthenticated);
        assert_eq!(kind(404), ErrorKind::NotFound);
        assert_eq!(kind(400), ErrorKind::InvalidArgument);
        assert_eq!(kind(409), ErrorKind::FailedPrecondition);
        let limited = status_error("V", "w", StatusCode::TOO_MANY_REQUESTS, "", None);
        assert_eq!(limited.kind(), ErrorKind::ResourceExhausted);
        assert_eq!(limited.retry_after(), Some(DEFAULT_RETRY_AFTER));
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, "7".parse().unwrap());
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(7)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        headers.insert(RETRY_AFTER, later.parse().unwrap());
        assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(30)));
        headers.insert(RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&headers, now), None);
    }

    #[test]
    fn the_vendor_message_is_kept_without_credentials() {
        let body = r#"{"errors":[{"message":"qubit QB9 is broken","code":1}]}"#;
        assert_eq!(vendor_message(body), "qubit QB9 is broken");
        assert_eq!(vendor_message(r#"{"detail":"no such job"}"#), "no such job");
        let iam = r#"{"errorCode":"BXNIM0415E","errorMessage":"Provided API key could not be found.","context":{"requestId":"r1"}}"#;
        assert_eq!(vendor_message(iam), "Provided API key could not be found.");
        assert_eq!(
            vendor_message("got header Authorization: Bearer abc.def.ghi from you"),
            "got header Authorization: Bearer *** from you"
        );
        assert_eq!(
            vendor_message("bad apikey=s3cr3t here"),
            "bad apikey=*** here"
        );
        assert_eq!(vendor_message(&"x".repeat(900)).chars().count(), 501);
    }
}
