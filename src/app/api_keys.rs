//! The `api-key` subcommand: issues a key (shown once; only its bcrypt hash
//! is stored), disables one, lists them without secrets or hashes. Keys go
//! where the server reads them: `auth.api_keys.file`, or the SQL storage.

use std::sync::Arc;

use super::compose;
use super::config::Config;
use crate::domain::{ClientId, Result};
use crate::ports::{ApiKeyStore, StoredApiKey};

pub enum ApiKeyCommand {
    Create { client: String },
    Disable { key_id: String },
    List,
}

/// What the command prints: `stdout` for scripts, `note` for people.
pub struct CommandOutput {
    pub stdout: String,
    pub note: Option<String>,
}

async fn store(config: &Config) -> Result<Arc<dyn ApiKeyStore>> {
    let table = if config.auth.api_keys.file.is_none() {
        compose::store(config).await?.key_table
    } else {
        None
    };
    compose::api_key_store(config, table)
}

async fn create(config: &Config, store: &dyn ApiKeyStore, client: &str) -> Result<CommandOutput> {
    let client_id = ClientId::parse(client)?;
    let keys = &config.auth.api_keys;
    let issued = compose::new_api_key(keys.prefix.clone(), keys.bcrypt_cost).await?;
    store
        .insert(StoredApiKey {
            key_id: issued.key_id.clone(),
            client_id: client_id.clone(),
            enabled: true,
            created_at: compose::clock().now(),
            hash: issued.hash,
        })
        .await?;
    Ok(CommandOutput {
        stdout: format!("{}\n", issued.full_key),
        note: Some(format!(
            "API key '{}' for client '{client_id}' created. It is shown only this once; send it as the x-api-key header.",
            issued.key_id
        )),
    })
}

pub async fn run(config: &Config, command: ApiKeyCommand) -> Result<CommandOutput> {
    let store = store(config).await?;
    match command {
        ApiKeyCommand::Create { client } => create(config, store.as_ref(), &client).await,
        ApiKeyCommand::Disable { key_id } => {
            let found = store.set_enabled(&key_id, false).await?;
            if !found {
                return Err(crate::domain::Error::not_found(format!(
                    "no API key '{key_id}'"
                )));
            }
            Ok(CommandOutput {
                stdout: String::new(),
                note: Some(format!("API key '{key_id}' disabled.")),
            })
        }
        ApiKeyCommand::List => {
            let mut stdout = String::from("KEY ID        CLIENT  ENABLED  CREATED (unix ms)\n");
            for key in store.list().await? {
                stdout.push_str(&format!(
                    "{}  {}  {}  {}\n",
                    key.key_id, key.client_id, key.enabled, key.created_at.0
                ));
            }
            Ok(CommandOutput { stdout, note: None })
        }
    }
}
