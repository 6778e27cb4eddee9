//! The emulator's state: every function with its DEVELOPMENT and LIVE copies, and the rules that
//! guard them (existence, `If-Match` compare-and-set, quota), plus persistence to a JSON file.
//!
//! Every check and change of one request happens under one lock, so two writers holding the same
//! ETag can never both succeed. The operations live in one file per resource (`functions`, `kvs`);
//! the records they keep in `records`. Not for: argument validation or wire formats (see the API
//! modules `cloudfront` and `kvs`).

mod distributions;
mod functions;
mod kvs;
mod records;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::emulator::store::records::{DistributionRecord, FunctionRecord, KvsRecord};
use crate::types::{Etag, FunctionName};

pub use distributions::DistributionView;
pub use kvs::{DataView, KeyChanges, KvsView};
pub use records::{Association, DistributionSpec, FunctionSpec, StageView};

/// Format version of the state file, bumped on incompatible changes.
const STATE_FORMAT: u32 = 1;

/// The state file could not be read, parsed or written.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// Reading or writing the file failed.
    #[error("state file {path}: {source}")]
    Io {
        /// The state file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The file is not a state file of this emulator.
    #[error("state file {path} is not valid emulator state: {reason}")]
    Invalid {
        /// The state file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}

#[derive(Serialize, Deserialize)]
struct PersistedState {
    format: u32,
    functions: Vec<FunctionRecord>,
    /// Absent in files written before key value stores existed.
    #[serde(default)]
    key_value_stores: Vec<KvsRecord>,
    /// Absent in files written before distributions existed.
    #[serde(default)]
    distributions: Vec<DistributionRecord>,
}

/// Everything the emulator holds, as loaded from a state file or empty.
#[derive(Debug, Default)]
struct Loaded {
    functions: BTreeMap<FunctionName, FunctionRecord>,
    stores: BTreeMap<String, KvsRecord>,
    distributions: BTreeMap<String, DistributionRecord>,
}

struct State {
    functions: BTreeMap<FunctionName, FunctionRecord>,
    /// Key value stores by name, with their keys.
    stores: BTreeMap<String, KvsRecord>,
    /// Distributions by id.
    distributions: BTreeMap<String, DistributionRecord>,
    /// Bumped on every mutation so an older snapshot never overwrites a newer file.
    generation: u64,
    rng: fastrand::Rng,
}

struct Persister {
    path: PathBuf,
    /// Generation last written to disk.
    written: tokio::sync::Mutex<u64>,
}

struct Shared {
    state: Mutex<State>,
    persister: Option<Persister>,
    max_functions: usize,
}

/// Handle to the emulator's state; cheap to clone, shared by all requests.
#[derive(Clone)]
pub struct Store {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

impl Store {
    /// An empty in-memory store allowing `max_functions` functions.
    pub fn in_memory(max_functions: usize) -> Self {
        Self::with_state(Loaded::default(), None, max_functions)
    }

    /// A store persisted to `path`: loads it when it exists, else starts empty.
    pub fn persistent(path: &Path, max_functions: usize) -> Result<Self, StateError> {
        let loaded = match std::fs::read(path) {
            Ok(bytes) => load_state(path, &bytes)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Loaded::default(),
            Err(source) => {
                return Err(StateError::Io {
                    path: path.to_owned(),
                    source,
                });
            }
        };
        let persister = Persister {
            path: path.to_owned(),
            written: tokio::sync::Mutex::new(0),
        };
        Ok(Self::with_state(loaded, Some(persister), max_functions))
    }

    fn with_state(loaded: Loaded, persister: Option<Persister>, max_functions: usize) -> Self {
        let state = State {
            functions: loaded.functions,
            stores: loaded.stores,
            distributions: loaded.distributions,
            generation: 0,
            rng: fastrand::Rng::new(),
        };
        Self {
            shared: Arc::new(Shared {
                state: Mutex::new(state),
                persister,
                max_functions,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave a half-applied change (each change is a
        // single assignment at the end), so a poisoned lock is still consistent.
        self.shared
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Serialises the state after a mutation, under the lock, tagged with a new generation.
    fn snapshot(&self, st: &mut State) -> Option<(u64, String)> {
        self.shared.persister.as_ref()?;
        st.generation += 1;
        let persisted = PersistedState {
            format: STATE_FORMAT,
            functions: st.functions.values().cloned().collect(),
            key_value_stores: st.stores.values().cloned().collect(),
            distributions: st.distributions.values().cloned().collect(),
        };
        match serde_json::to_string_pretty(&persisted) {
            Ok(json) => Some((st.generation, json)),
            Err(e) => {
                tracing::error!("could not serialise emulator state: {e}");
                None
            }
        }
    }

    /// Writes a snapshot atomically (temp file + rename) unless a newer one is already on disk.
    async fn persist(&self, snapshot: Option<(u64, String)>) {
        let (Some(persister), Some((generation, json))) = (&self.shared.persister, snapshot) else {
            return;
        };
        let mut written = persister.written.lock().await;
        if *written >= generation {
            return;
        }
        let path = persister.path.clone();
        let result = tokio::task::spawn_blocking(move || write_atomically(&path, json.as_bytes()))
            .await
            .map_err(|e| std::io::Error::other(e.to_string()))
            .and_then(|r| r);
        match result {
            Ok(()) => *written = generation,
            // The change is applied in memory; the next mutation tries the write again.
            Err(e) => tracing::error!("state file {}: {e}", persister.path.display()),
        }
    }
}

fn load_state(path: &Path, bytes: &[u8]) -> Result<Loaded, StateError> {
    let invalid = |reason: String| StateError::Invalid {
        path: path.to_owned(),
        reason,
    };
    // Names, ETags and runtimes are checked as they are read (their types parse them).
    let persisted: PersistedState =
        serde_json::from_slice(bytes).map_err(|e| invalid(e.to_string()))?;
    if persisted.format != STATE_FORMAT {
        return Err(invalid(format!(
            "format {} (this emulator reads format {STATE_FORMAT})",
            persisted.format
        )));
    }
    Ok(Loaded {
        functions: persisted
            .functions
            .into_iter()
            .map(|f| (f.name.clone(), f))
            .collect(),
        stores: persisted
            .key_value_stores
            .into_iter()
            .map(|s| (s.name.clone(), s))
            .collect(),
        distributions: persisted
            .distributions
            .into_iter()
            .map(|d| (d.id.clone(), d))
            .collect(),
    })
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(format!(".tmp-{}", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

/// A fresh ETag in the service's style (`E` + 13 of `A-Z0-9`), different from `previous`.
fn new_etag(rng: &mut fastrand::Rng, previous: Option<&Etag>) -> Etag {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    loop {
        let mut text = String::with_capacity(14);
        text.push('E');
        for _ in 0..13 {
            text.push(char::from(ALPHABET[rng.usize(..ALPHABET.len())]));
        }
        // Always an ETag (non-empty, no whitespace); the loop only skips a repeat.
        if let Ok(etag) = text.parse::<Etag>()
            && previous != Some(&etag)
        {
            return etag;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::store::records::{FunctionStatus, StageCopy};
    use crate::types::Runtime;

    #[test]
    fn etags_look_like_the_service_and_change() {
        let mut rng = fastrand::Rng::with_seed(1);
        let a = new_etag(&mut rng, None);
        assert_eq!(a.as_str().len(), 14);
        assert!(a.as_str().starts_with('E'));
        assert!(
            a.as_str()
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        );
    }

    #[test]
    fn state_file_round_trips_and_rejects_other_formats() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let record = FunctionRecord {
            name: "f".parse().unwrap(),
            created_ms: 1,
            in_use: false,
            development: StageCopy {
                etag: "E1".parse().unwrap(),
                status: FunctionStatus::Unpublished,
                comment: "c".to_owned(),
                runtime: Runtime::Js1,
                kvs_arns: vec![],
                code: vec![0, 159, 146, 150],
                last_modified_ms: 2,
            },
            live: None,
        };
        let json = serde_json::to_vec(&PersistedState {
            format: STATE_FORMAT,
            functions: vec![record.clone()],
            key_value_stores: Vec::new(),
            distributions: Vec::new(),
        })
        .unwrap();
        let text = String::from_utf8(json.clone()).unwrap();
        assert!(text.contains(r#""runtime":"cloudfront-js-1.0""#), "{text}");
        assert!(text.contains(r#""status":"UNPUBLISHED""#), "{text}");
        write_atomically(&path, &json).unwrap();
        let loaded = load_state(&path, &std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(loaded.functions.get(&record.name), Some(&record));
        // A file from before key value stores existed still loads.
        let old = load_state(&path, br#"{"format":1,"functions":[]}"#).unwrap();
        assert!(old.stores.is_empty());
        let err = load_state(&path, br#"{"format":99,"functions":[]}"#).unwrap_err();
        assert!(err.to_string().contains("state.json"), "{err}");
        let bad_runtime = text.replace("cloudfront-js-1.0", "cloudfront-js-9.0");
        let err = load_state(&path, bad_runtime.as_bytes()).unwrap_err();
        assert!(err.to_string().contains("cloudfront-js-9.0"), "{err}");
    }
}
