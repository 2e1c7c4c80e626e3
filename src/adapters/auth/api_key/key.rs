//! The shape of an API key, `<prefix>_<key id>_<secret>`: the key id is
//! public and finds the stored hash in one lookup; the secret is random from
//! the operating system's CSPRNG and only ever stored as a bcrypt hash.
//! Secrets are far below bcrypt's 72-byte limit, and the non-truncating
//! bcrypt functions refuse anything longer rather than cut it.

use crate::domain::{Error, Result};

const KEY_ID_LEN: usize = 12;
/// 40 characters of 62 symbols: about 238 bits.
const SECRET_LEN: usize = 40;
const MIN_SECRET_LEN: usize = 32;
const MAX_SECRET_LEN: usize = 64;
const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `len` characters drawn uniformly from `ALPHABET` (bytes of 248 and more
/// are skipped, so `% 62` has no bias).
fn random_text(len: usize) -> Result<String> {
    let mut text = String::with_capacity(len);
    let mut buffer = [0u8; 64];
    while text.len() < len {
        getrandom::fill(&mut buffer)
            .map_err(|e| Error::internal(format!("the system random source failed: {e}")))?;
        for byte in buffer.iter().filter(|b| **b < 248) {
            if text.len() == len {
                break;
            }
            text.push(ALPHABET[usize::from(*byte % 62)] as char);
        }
    }
    Ok(text)
}

/// A new key, to be shown once.
pub struct IssuedKey {
    pub key_id: String,
    /// The part that is hashed.
    pub secret: String,
    /// The whole key the client sends.
    pub full_key: String,
}

pub fn issue_key(prefix: &str) -> Result<IssuedKey> {
    let key_id = random_text(KEY_ID_LEN)?;
    let secret = random_text(SECRET_LEN)?;
    let full_key = format!("{prefix}_{key_id}_{secret}");
    Ok(IssuedKey {
        key_id,
        secret,
        full_key,
    })
}

/// bcrypt hash of a key's secret, at `cost`.
pub fn hash_key(secret: &str, cost: u32) -> Result<String> {
    bcrypt::non_truncating_hash(secret, cost)
        .map_err(|e| Error::invalid_argument(format!("bcrypt: {e}")))
}

/// Whether `secret` is the one `hash` was made from.
pub fn secret_matches(secret: &str, hash: &str) -> Result<bool> {
    bcrypt::non_truncating_verify(secret, hash)
        .map_err(|_| Error::internal("a stored API key hash is unreadable"))
}

/// A presented key whose shape is right; the key id may still be unknown.
#[derive(Debug, PartialEq, Eq)]
pub struct PresentedKey<'a> {
    pub key_id: &'a str,
    pub secret: &'a str,
}

impl<'a> PresentedKey<'a> {
    /// Checks the shape only. The message never repeats the key.
    pub fn parse(key: &'a str, prefix: &str) -> Result<Self> {
        let malformed = || {
            Error::unauthenticated(format!(
                "malformed API key: expected {prefix}_<key id>_<secret>"
            ))
        };
        let rest = key
            .strip_prefix(prefix)
            .and_then(|rest| rest.strip_prefix('_'))
            .ok_or_else(malformed)?;
        let (key_id, secret) = rest.split_once('_').ok_or_else(malformed)?;
        let alphanumeric = |text: &str| text.bytes().all(|b| b.is_ascii_alphanumeric());
        if key_id.len() != KEY_ID_LEN
            || !alphanumeric(key_id)
            || secret.len() < MIN_SECRET_LEN
            || secret.len() > MAX_SECRET_LEN
            || !alphanumeric(secret)
        {
            return Err(malformed());
        }
        Ok(Self { key_id, secret })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_issued_key_has_the_documented_shape_and_parses_back() {
        let issued = issue_key("arvak").unwrap();
        assert_eq!(issued.key_id.len(), KEY_ID_LEN);
        assert_eq!(
            issued.full_key.len(),
            "arvak_".len() + KEY_ID_LEN + 1 + SECRET_LEN
        );
        let parsed = PresentedKey::parse(&issued.full_key, "arvak").unwrap();
        assert_eq!(
            (parsed.key_id, parsed.secret),
            (&*issued.key_id, &*issued.secret)
        );
        let hash = hash_key(&issued.secret, 4).unwrap();
        assert!(secret_matches(&issued.secret, &hash).unwrap());
        assert!(!secret_matches(&issue_key("arvak").unwrap().secret, &hash).unwrap());
        assert_ne!(issue_key("arvak").unwrap().full_key, issued.full_key);
    }

    #[test]
    fn malformed_keys_are_refused_without_echoing_them() {
        let secret = "S".repeat(40);
        for bad in [
            String::new(),
            format!("other_abcdefghijkl_{secret}"),
            format!("arvak_short_{secret}"),
            "arvak_abcdefghijkl_tooshort".to_owned(),
            format!("arvak_abcdefghijkl_{secret}!"),
            format!("arvak_abcdefghijkl{secret}"),
        ] {
            let error = PresentedKey::parse(&bad, "arvak").unwrap_err();
            assert!(error.message().starts_with("malformed API key"), "{error}");
            assert!(!error.message().contains(&secret));
        }
    }
}
