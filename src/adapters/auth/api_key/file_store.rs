//! API keys in a YAML file. The server reads it and reads it again whenever
//! it changes (a `stat` per lookup), so `api-key disable` takes effect on
//! the next call; writes replace the file atomically (temporary file, then
//! rename), readable by its owner only.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::RwLock;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::domain::{ClientId, Error, Result, UnixMillis};
use crate::ports::{ApiKeyStore, StoredApiKey};

const HEADER: &str = "# API keys of arvak-grpc-server, written by `arvak-grpc-server api-key`.\n# Only bcrypt hashes are kept; a key's secret is shown once, when it is created.\n";

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    #[serde(default)]
    keys: Vec<KeyEntry>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyEntry {
    key_id: String,
    client_id: String,
    enabled: bool,
    created_at: i64,
    hash: String,
}

/// What identifies one version of the file.
type Stamp = Option<(SystemTime, u64)>;

struct Loaded {
    stamp: Stamp,
    keys: BTreeMap<String, StoredApiKey>,
}

pub struct YamlKeyFile {
    path: PathBuf,
    loaded: RwLock<Loaded>,
}

fn stamp(path: &Path) -> Stamp {
    let metadata = std::fs::metadata(path).ok()?;
    Some((metadata.modified().ok()?, metadata.len()))
}

fn read(path: &Path) -> Result<BTreeMap<String, StoredApiKey>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => {
            return Err(Error::unavailable(format!(
                "cannot read {}: {e}",
                path.display()
            )));
        }
    };
    let file: KeyFile = serde_yaml::from_str(&text)
        .map_err(|e| Error::invalid_argument(format!("API key file {}: {e}", path.display())))?;
    let mut keys = BTreeMap::new();
    for entry in file.keys {
        let client_id = ClientId::parse(&entry.client_id)
            .map_err(|e| e.context(format!("API key file {}", path.display())))?;
        let key = StoredApiKey {
            key_id: entry.key_id,
            client_id,
            enabled: entry.enabled,
            created_at: UnixMillis(entry.created_at),
            hash: entry.hash,
        };
        keys.insert(key.key_id.clone(), key);
    }
    Ok(keys)
}

fn write(path: &Path, keys: &BTreeMap<String, StoredApiKey>) -> Result<()> {
    let mut entries: Vec<&StoredApiKey> = keys.values().collect();
    entries.sort_by_key(|key| key.created_at);
    let file = KeyFile {
        keys: entries
            .into_iter()
            .map(|key| KeyEntry {
                key_id: key.key_id.clone(),
                client_id: key.client_id.to_string(),
                enabled: key.enabled,
                created_at: key.created_at.0,
                hash: key.hash.clone(),
            })
            .collect(),
    };
    let yaml = serde_yaml::to_string(&file)
        .map_err(|e| Error::internal(format!("writing the API key file: {e}")))?;
    let failed =
        |e: std::io::Error| Error::unavailable(format!("cannot write {}: {e}", path.display()));
    let temporary = path.with_extension("yaml.tmp");
    {
        use std::io::Write;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut out = options.open(&temporary).map_err(failed)?;
        out.write_all(HEADER.as_bytes()).map_err(failed)?;
        out.write_all(yaml.as_bytes()).map_err(failed)?;
        out.sync_all().map_err(failed)?;
    }
    std::fs::rename(&temporary, path).map_err(failed)
}

impl YamlKeyFile {
    /// Reads the file (a missing file holds no keys; a broken one is an
    /// error at start).
    pub fn open(path: impl Into<PathBuf>) -> Result<Self> {
        let path = path.into();
        let stamp = stamp(&path);
        let keys = read(&path)?;
        Ok(Self {
            path,
            loaded: RwLock::new(Loaded { stamp, keys }),
        })
    }

    /// Reads the file again if it changed. A file broken while the server
    /// runs keeps the last good keys and logs why.
    fn refresh(&self) {
        let now = stamp(&self.path);
        if self.loaded.read().unwrap_or_else(|e| e.into_inner()).stamp == now {
            return;
        }
        let mut loaded = self.loaded.write().unwrap_or_else(|e| e.into_inner());
        if loaded.stamp == now {
            return;
        }
        loaded.stamp = now;
        match read(&self.path) {
            Ok(keys) => loaded.keys = keys,
            Err(error) => {
                tracing::error!(%error, "API key file not reloaded; keeping the keys read before")
            }
        }
    }

    /// Changes the keys as read from disk now, and writes them back.
    fn update<T>(
        &self,
        change: impl FnOnce(&mut BTreeMap<String, StoredApiKey>) -> Result<T>,
    ) -> Result<T> {
        let mut loaded = self.loaded.write().unwrap_or_else(|e| e.into_inner());
        let mut keys = read(&self.path)?;
        let answer = change(&mut keys)?;
        write(&self.path, &keys)?;
        *loaded = Loaded {
            stamp: stamp(&self.path),
            keys,
        };
        Ok(answer)
    }
}

#[async_trait]
impl ApiKeyStore for YamlKeyFile {
    async fn find(&self, key_id: &str) -> Result<Option<StoredApiKey>> {
        self.refresh();
        let loaded = self.loaded.read().unwrap_or_else(|e| e.into_inner());
        Ok(loaded.keys.get(key_id).cloned())
    }

    async fn insert(&self, key: StoredApiKey) -> Result<()> {
        self.update(|keys| {
            if keys.contains_key(&key.key_id) {
                return Err(Error::failed_precondition(format!(
                    "API key '{}' exists already",
                    key.key_id
                )));
            }
            keys.insert(key.key_id.clone(), key);
            Ok(())
        })
    }

    async fn set_enabled(&self, key_id: &str, enabled: bool) -> Result<bool> {
        self.update(|keys| {
            Ok(keys
                .get_mut(key_id)
                .map(|key| key.enabled = enabled)
                .is_some())
        })
    }

    async fn list(&self) -> Result<Vec<StoredApiKey>> {
        self.refresh();
        let loaded = self.loaded.read().unwrap_or_else(|e| e.into_inner());
        let mut keys: Vec<StoredApiKey> = loaded.keys.values().cloned().collect();
        keys.sort_by_key(|key| key.created_at);
        Ok(keys)
    }

    /// Every lookup already sees the file as it is on disk.
    fn recheck_interval(&self) -> Duration {
        Duration::ZERO
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: &str, created_at: i64) -> StoredApiKey {
        StoredApiKey {
            key_id: id.into(),
            client_id: ClientId::parse("alice").unwrap(),
            enabled: true,
            created_at: UnixMillis(created_at),
            hash: "$2b$04$hash".into(),
        }
    }

    #[tokio::test]
    async fn keys_written_by_one_handle_are_seen_by_another_after_a_change() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.yaml");
        let server = YamlKeyFile::open(&path).unwrap();
        assert_eq!(server.find("k1").await.unwrap(), None);
        let cli = YamlKeyFile::open(&path).unwrap();
        cli.insert(key("k1", 2)).await.unwrap();
        cli.insert(key("k0", 1)).await.unwrap();
        assert!(cli.insert(key("k1", 3)).await.is_err(), "ids are unique");
        assert_eq!(server.find("k1").await.unwrap(), Some(key("k1", 2)));
        assert!(cli.set_enabled("k1", false).await.unwrap());
        assert!(!cli.set_enabled("nope", false).await.unwrap());
        assert!(!server.find("k1").await.unwrap().unwrap().enabled);
        let ids: Vec<String> = server
            .list()
            .await
            .unwrap()
            .into_iter()
            .map(|k| k.key_id)
            .collect();
        assert_eq!(ids, ["k0", "k1"], "oldest first");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
