//! jsonwebtoken's errors onto the domain's kinds: every refusal is
//! UNAUTHENTICATED, saying what was wrong and never repeating the token.

use jsonwebtoken::errors::ErrorKind as JwtErrorKind;

use crate::domain::Error;

/// What the caller is told; never the token.
pub(super) fn refusal(error: &jsonwebtoken::errors::Error) -> Error {
    let message = match error.kind() {
        JwtErrorKind::ExpiredSignature => "token expired".to_owned(),
        JwtErrorKind::ImmatureSignature => "token not yet valid (nbf)".to_owned(),
        JwtErrorKind::InvalidSignature => "token signature does not verify".to_owned(),
        JwtErrorKind::InvalidAudience => "token audience not accepted".to_owned(),
        JwtErrorKind::InvalidIssuer => "token issuer not accepted".to_owned(),
        JwtErrorKind::InvalidAlgorithm => "token algorithm not accepted for its key".to_owned(),
        JwtErrorKind::MissingRequiredClaim(claim) => format!("token has no '{claim}' claim"),
        _ => "malformed token".to_owned(),
    };
    Error::unauthenticated(message)
}
