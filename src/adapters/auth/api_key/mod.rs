//! API keys (`x-api-key: arvak_<key id>_<secret>`): the key's shape, the
//! verifier (one bcrypt check per key per cache period), and the YAML key
//! file. The SQL table lives with the SQL storage adapter.

mod file_store;
mod key;
mod verifier;

pub use file_store::YamlKeyFile;
pub use key::{IssuedKey, PresentedKey, hash_key, issue_key, secret_matches};
pub use verifier::ApiKeyVerifier;
