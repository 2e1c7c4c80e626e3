//! Authorization from the `policies` section: the policies file (watched
//! for changes once the server runs) or, without one, everything allowed.

use std::sync::Arc;

use crate::adapters::policy::file::PolicyFile;
use crate::app::config::Config;
use crate::domain::Result;
use crate::ports::{AllowAll, Policies};

/// The policies port, and the file behind it when there is one.
type PoliciesAndFile = (Arc<dyn Policies>, Option<Arc<PolicyFile>>);

/// The policies port, and the file behind it when there is one (the server
/// keeps it current).
pub fn policies(config: &Config) -> Result<PoliciesAndFile> {
    match &config.policies.file {
        None => {
            tracing::warn!(
                "no policies file is configured (policies.file): every client may call everything, without quotas"
            );
            Ok((Arc::new(AllowAll::default()), None))
        }
        Some(path) => {
            let file = Arc::new(PolicyFile::load(path)?);
            tracing::info!(file = %path.display(), "policies loaded");
            Ok((file.clone(), Some(file)))
        }
    }
}
