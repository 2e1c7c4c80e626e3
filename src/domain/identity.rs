//! Who is calling. Authentication adapters produce an [`Identity`]; until they
//! are configured every caller is `anonymous`.

use super::ids::ClientId;

/// How the caller proved who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    Anonymous,
    ApiKey,
    Jwt,
    Mtls,
}

impl AuthMethod {
    /// How the method is named in the audit trail and in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::Anonymous => "anonymous",
            AuthMethod::ApiKey => "api_key",
            AuthMethod::Jwt => "jwt",
            AuthMethod::Mtls => "mtls",
        }
    }
}

/// The authenticated caller of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The tenant: owns the jobs it submits.
    pub client_id: ClientId,
    pub method: AuthMethod,
    /// The credential's own subject (certificate CN, JWT `sub`, key id).
    pub subject: String,
    /// Roles granted by the credential (JWT groups).
    pub groups: Vec<String>,
}

impl Identity {
    pub fn anonymous() -> Self {
        Self {
            client_id: ClientId::anonymous(),
            method: AuthMethod::Anonymous,
            subject: String::new(),
            groups: Vec::new(),
        }
    }
}
