//! One audit event as one JSON line:
//! `{"time":"2026-11-24T03:00:00.123Z","action":"authentication_failed",
//! "client_id":"","method":"SubmitJob","peer":"10.0.0.5:51234",
//! "request_id":"…","outcome":"failed","detail":"…"}`.

use serde_json::json;

use crate::domain::UnixMillis;
use crate::ports::AuditEvent;

/// RFC 3339 in UTC with milliseconds (days to a civil date after Howard
/// Hinnant's `civil_from_days`).
fn rfc3339(at: UnixMillis) -> String {
    let millis = at.0.rem_euclid(1000);
    let seconds = at.0.div_euclid(1000);
    let (days, of_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60
    )
}

pub fn audit_line(event: &AuditEvent) -> String {
    json!({
        "time": rfc3339(event.at),
        "action": event.action.as_str(),
        "client_id": event.client_id,
        "method": event.method,
        "peer": event.peer,
        "request_id": event.request_id,
        "outcome": event.outcome,
        "detail": event.detail,
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339_utc_with_milliseconds() {
        assert_eq!(rfc3339(UnixMillis(0)), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            rfc3339(UnixMillis(951_782_400_123)),
            "2000-02-29T00:00:00.123Z"
        );
        assert_eq!(
            rfc3339(UnixMillis(1_795_489_199_999)),
            "2026-11-24T02:59:59.999Z"
        );
    }
}
