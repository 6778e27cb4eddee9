//! The emulator's state: every function with its DEVELOPMENT and LIVE copies, and the rules that
//! guard them (existence, `If-Match` compare-and-set, quota), plus persistence to a JSON file.
//!
//! Every check and change of one request happens under one lock, so two writers holding the same
//! ETag can never both succeed. Not for: argument validation or wire formats (see `routes`, `xml`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::errors::ApiError;
use crate::runtime::KeyValueStore;
use crate::types::Stage;

/// `Status` of a stage that was created or updated but not published.
pub const STATUS_UNPUBLISHED: &str = "UNPUBLISHED";
/// `Status` of a published function that no distribution uses.
pub const STATUS_UNASSOCIATED: &str = "UNASSOCIATED";
/// `Status` of a published function that a distribution uses.
pub const STATUS_DEPLOYED: &str = "DEPLOYED";

/// Format version of the state file, bumped on incompatible changes.
const STATE_FORMAT: u32 = 1;

/// One stage's copy of a function: code, config, ETag and status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageCopy {
    /// The ETag that `If-Match` must name to change or test this copy.
    pub etag: String,
    /// `UNPUBLISHED`, `UNASSOCIATED` or `DEPLOYED`.
    pub status: String,
    /// FunctionConfig.Comment.
    pub comment: String,
    /// FunctionConfig.Runtime (validated when stored).
    pub runtime: String,
    /// FunctionConfig.KeyValueStoreAssociations, as ARNs.
    pub kvs_arns: Vec<String>,
    /// The code bytes exactly as uploaded.
    #[serde(with = "base64_bytes")]
    pub code: Vec<u8>,
    /// LastModifiedTime, in milliseconds since the Unix epoch.
    pub last_modified_ms: u64,
}

/// A function with both stages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionRecord {
    /// The function name.
    pub name: String,
    /// CreatedTime, in milliseconds since the Unix epoch.
    pub created_ms: u64,
    /// Whether a (pretend) distribution uses the function: blocks DeleteFunction.
    #[serde(default)]
    pub in_use: bool,
    /// The DEVELOPMENT copy.
    pub development: StageCopy,
    /// The LIVE copy, once published.
    pub live: Option<StageCopy>,
}

impl FunctionRecord {
    /// The copy of `stage`, if it exists.
    pub fn stage(&self, stage: Stage) -> Option<&StageCopy> {
        match stage {
            Stage::Development => Some(&self.development),
            Stage::Live => self.live.as_ref(),
        }
    }
}

/// One stage of one function as an answer shows it (a FunctionSummary).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageView {
    /// The function name.
    pub name: String,
    /// Which stage this is.
    pub stage: Stage,
    /// CreatedTime in milliseconds since the Unix epoch.
    pub created_ms: u64,
    /// The stage's copy.
    pub copy: StageCopy,
}

/// The config and code of a CreateFunction or UpdateFunction, already validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionSpec {
    /// FunctionConfig.Comment.
    pub comment: String,
    /// FunctionConfig.Runtime.
    pub runtime: String,
    /// Key value store ARNs (at most one).
    pub kvs_arns: Vec<String>,
    /// The code bytes.
    pub code: Vec<u8>,
}

/// What a test needs once `If-Match` has been checked: the stage's summary and code.
#[derive(Debug, Clone)]
pub struct TestSnapshot {
    /// The tested stage.
    pub view: StageView,
    /// Contents of the associated key value store, if the function has one.
    pub kvs: Option<KeyValueStore>,
}

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
}

struct State {
    functions: BTreeMap<String, FunctionRecord>,
    /// Contents of key value stores by ARN; tests fill them, they are not persisted.
    kvs: BTreeMap<String, KeyValueStore>,
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
        Self::with_state(BTreeMap::new(), None, max_functions)
    }

    /// A store persisted to `path`: loads it when it exists, else starts empty.
    pub fn persistent(path: &Path, max_functions: usize) -> Result<Self, StateError> {
        let functions = match std::fs::read(path) {
            Ok(bytes) => load_state(path, &bytes)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
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
        Ok(Self::with_state(functions, Some(persister), max_functions))
    }

    fn with_state(
        functions: BTreeMap<String, FunctionRecord>,
        persister: Option<Persister>,
        max_functions: usize,
    ) -> Self {
        let state = State {
            functions,
            kvs: BTreeMap::new(),
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

    /// CreateFunction: adds `name` with a DEVELOPMENT copy.
    pub async fn create(&self, name: &str, spec: FunctionSpec) -> Result<StageView, ApiError> {
        let (view, snapshot) = {
            let mut st = self.lock();
            if st.functions.contains_key(name) {
                return Err(ApiError::function_already_exists(name));
            }
            if st.functions.len() >= self.shared.max_functions {
                return Err(ApiError::too_many_functions(self.shared.max_functions));
            }
            let now = now_ms();
            let copy = StageCopy {
                etag: new_etag(&mut st.rng, None),
                status: STATUS_UNPUBLISHED.to_owned(),
                comment: spec.comment,
                runtime: spec.runtime,
                kvs_arns: spec.kvs_arns,
                code: spec.code,
                last_modified_ms: now,
            };
            let record = FunctionRecord {
                name: name.to_owned(),
                created_ms: now,
                in_use: false,
                development: copy,
                live: None,
            };
            let view = view_of(&record, Stage::Development);
            st.functions.insert(name.to_owned(), record);
            (view, self.snapshot(&mut st))
        };
        self.persist(snapshot).await;
        view.ok_or_else(|| ApiError::no_such_function(name))
    }

    /// DescribeFunction / GetFunction: the copy of `stage`.
    pub fn describe(&self, name: &str, stage: Stage) -> Result<StageView, ApiError> {
        let st = self.lock();
        st.functions
            .get(name)
            .and_then(|f| view_of(f, stage))
            .ok_or_else(|| ApiError::no_such_function(name))
    }

    /// UpdateFunction: replaces the DEVELOPMENT copy when `if_match` is its current ETag.
    pub async fn update(
        &self,
        name: &str,
        if_match: &str,
        spec: FunctionSpec,
    ) -> Result<StageView, ApiError> {
        self.change_checked(name, if_match, Stage::Development, |record, rng| {
            record.development = StageCopy {
                etag: new_etag(rng, Some(&record.development.etag)),
                status: STATUS_UNPUBLISHED.to_owned(),
                comment: spec.comment,
                runtime: spec.runtime,
                kvs_arns: spec.kvs_arns,
                code: spec.code,
                last_modified_ms: now_ms(),
            };
        })
        .await
    }

    /// PublishFunction: copies DEVELOPMENT to LIVE when `if_match` is the DEVELOPMENT ETag.
    pub async fn publish(&self, name: &str, if_match: &str) -> Result<StageView, ApiError> {
        self.change_checked(name, if_match, Stage::Live, |record, rng| {
            let status = if record.in_use {
                STATUS_DEPLOYED
            } else {
                STATUS_UNASSOCIATED
            };
            let old_live = record.live.as_ref().map(|l| l.etag.clone());
            let mut live = record.development.clone();
            live.etag = new_etag(rng, old_live.as_deref());
            live.status = status.to_owned();
            live.last_modified_ms = now_ms();
            // The service reports one status per function: once published, DEVELOPMENT (now
            // equal to LIVE) is no longer UNPUBLISHED either.
            record.development.status = status.to_owned();
            record.live = Some(live);
        })
        .await
    }

    /// The compare-and-set both writers share: under one lock, checks that `if_match` is the
    /// DEVELOPMENT ETag, applies `change`, snapshots; then persists and returns `stage`'s view.
    async fn change_checked(
        &self,
        name: &str,
        if_match: &str,
        stage: Stage,
        change: impl FnOnce(&mut FunctionRecord, &mut fastrand::Rng),
    ) -> Result<StageView, ApiError> {
        let (view, snapshot) = {
            let mut st = self.lock();
            let State { functions, rng, .. } = &mut *st;
            let record = functions
                .get_mut(name)
                .ok_or_else(|| ApiError::no_such_function(name))?;
            check_if_match(&record.development, if_match)?;
            change(record, rng);
            let view = view_of(record, stage);
            (view, self.snapshot(&mut st))
        };
        self.persist(snapshot).await;
        view.ok_or_else(|| ApiError::no_such_function(name))
    }

    /// DeleteFunction: removes the function when `if_match` is its DEVELOPMENT ETag.
    pub async fn delete(&self, name: &str, if_match: &str) -> Result<(), ApiError> {
        let snapshot = {
            let mut st = self.lock();
            let record = st
                .functions
                .get(name)
                .ok_or_else(|| ApiError::no_such_function(name))?;
            check_if_match(&record.development, if_match)?;
            if record.in_use {
                return Err(ApiError::function_in_use(name));
            }
            st.functions.remove(name);
            self.snapshot(&mut st)
        };
        self.persist(snapshot).await;
        Ok(())
    }

    /// TestFunction's first half: checks `if_match` against `stage` and returns what to run.
    pub fn test_snapshot(
        &self,
        name: &str,
        stage: Stage,
        if_match: &str,
    ) -> Result<TestSnapshot, ApiError> {
        let st = self.lock();
        let view = st
            .functions
            .get(name)
            .and_then(|f| view_of(f, stage))
            .ok_or_else(|| ApiError::no_such_function(name))?;
        check_if_match(&view.copy, if_match)?;
        let kvs = view
            .copy
            .kvs_arns
            .first()
            .map(|arn| st.kvs.get(arn).cloned().unwrap_or_default());
        Ok(TestSnapshot { view, kvs })
    }

    /// ListFunctions: summaries after `marker` (a `NAME:STAGE` key), at most `max_items`, plus
    /// the marker of the next page when there is one.
    pub fn list(
        &self,
        stage: Option<Stage>,
        marker: Option<&str>,
        max_items: usize,
    ) -> Result<(Vec<StageView>, Option<String>), ApiError> {
        let after = marker.map(parse_marker).transpose()?;
        let st = self.lock();
        let mut all = st.functions.values().flat_map(|f| {
            [Stage::Development, Stage::Live]
                .into_iter()
                .filter(move |s| stage.is_none_or(|want| want == *s))
                .filter_map(move |s| view_of(f, s))
        });
        let mut page = Vec::new();
        let mut next = None;
        for view in all.by_ref() {
            if let Some((name, stage)) = &after
                && (view.name.as_str(), stage_rank(view.stage)) <= (name.as_str(), *stage)
            {
                continue;
            }
            if page.len() == max_items {
                next = page.last().map(marker_of);
                break;
            }
            page.push(view);
        }
        Ok((page, next))
    }

    /// Marks `name` as used by a distribution (or not): in-use functions cannot be deleted and
    /// their LIVE stage reports `DEPLOYED`. Returns false when there is no such function.
    pub async fn set_in_use(&self, name: &str, in_use: bool) -> bool {
        let snapshot = {
            let mut st = self.lock();
            let Some(record) = st.functions.get_mut(name) else {
                return false;
            };
            record.in_use = in_use;
            let status = if in_use {
                STATUS_DEPLOYED
            } else {
                STATUS_UNASSOCIATED
            };
            if let Some(live) = &mut record.live {
                live.status = status.to_owned();
                if record.development.status != STATUS_UNPUBLISHED {
                    record.development.status = status.to_owned();
                }
            }
            self.snapshot(&mut st)
        };
        self.persist(snapshot).await;
        true
    }

    /// Sets the contents of the key value store `arn` that TestFunction hands to functions
    /// associated with it (kept in memory only).
    pub fn put_key_value_store(&self, arn: &str, contents: KeyValueStore) {
        self.lock().kvs.insert(arn.to_owned(), contents);
    }

    /// Names of all functions, sorted.
    pub fn function_names(&self) -> Vec<String> {
        self.lock().functions.keys().cloned().collect()
    }

    /// Serialises the state after a mutation, under the lock, tagged with a new generation.
    fn snapshot(&self, st: &mut State) -> Option<(u64, String)> {
        self.shared.persister.as_ref()?;
        st.generation += 1;
        let persisted = PersistedState {
            format: STATE_FORMAT,
            functions: st.functions.values().cloned().collect(),
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

fn load_state(path: &Path, bytes: &[u8]) -> Result<BTreeMap<String, FunctionRecord>, StateError> {
    let invalid = |reason: String| StateError::Invalid {
        path: path.to_owned(),
        reason,
    };
    let persisted: PersistedState =
        serde_json::from_slice(bytes).map_err(|e| invalid(e.to_string()))?;
    if persisted.format != STATE_FORMAT {
        return Err(invalid(format!(
            "format {} (this emulator reads format {STATE_FORMAT})",
            persisted.format
        )));
    }
    let mut functions = BTreeMap::new();
    for f in persisted.functions {
        let runtimes = std::iter::once(&f.development).chain(f.live.as_ref());
        for copy in runtimes {
            copy.runtime
                .parse::<crate::types::Runtime>()
                .map_err(|e| invalid(format!("function {}: {e}", f.name)))?;
        }
        functions.insert(f.name.clone(), f);
    }
    Ok(functions)
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(format!(".tmp-{}", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

fn view_of(record: &FunctionRecord, stage: Stage) -> Option<StageView> {
    record.stage(stage).map(|copy| StageView {
        name: record.name.clone(),
        stage,
        created_ms: record.created_ms,
        copy: copy.clone(),
    })
}

fn check_if_match(copy: &StageCopy, if_match: &str) -> Result<(), ApiError> {
    if copy.etag == if_match {
        Ok(())
    } else {
        Err(ApiError::precondition_failed(
            "The If-Match version is missing or not valid for the resource.",
        ))
    }
}

/// A fresh ETag in the service's style (`E` + 13 of `A-Z0-9`), different from `previous`.
fn new_etag(rng: &mut fastrand::Rng, previous: Option<&str>) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    loop {
        let mut etag = String::with_capacity(14);
        etag.push('E');
        for _ in 0..13 {
            etag.push(char::from(ALPHABET[rng.usize(..ALPHABET.len())]));
        }
        if previous != Some(etag.as_str()) {
            return etag;
        }
    }
}

fn stage_rank(stage: Stage) -> u8 {
    match stage {
        Stage::Development => 0,
        Stage::Live => 1,
    }
}

fn marker_of(view: &StageView) -> String {
    format!("{}:{}", view.name, view.stage)
}

fn parse_marker(marker: &str) -> Result<(String, u8), ApiError> {
    let bad = || ApiError::invalid_argument(format!("Marker {marker:?} is not valid."));
    let (name, stage) = marker.rsplit_once(':').ok_or_else(bad)?;
    let stage: Stage = stage.parse().map_err(|_| bad())?;
    Ok((name.to_owned(), stage_rank(stage)))
}

mod base64_bytes {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD.decode(text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(code: &str) -> FunctionSpec {
        FunctionSpec {
            comment: String::new(),
            runtime: "cloudfront-js-2.0".to_owned(),
            kvs_arns: Vec::new(),
            code: code.as_bytes().to_vec(),
        }
    }

    #[tokio::test]
    async fn update_with_a_stale_etag_fails_and_keeps_the_code() {
        let store = Store::in_memory(10);
        let created = store.create("f", spec("a")).await.unwrap();
        let updated = store
            .update("f", &created.copy.etag, spec("b"))
            .await
            .unwrap();
        assert_ne!(updated.copy.etag, created.copy.etag);
        let err = store
            .update("f", &created.copy.etag, spec("c"))
            .await
            .unwrap_err();
        assert_eq!(err.code, "PreconditionFailed");
        let now = store.describe("f", Stage::Development).unwrap();
        assert_eq!(now.copy.code, b"b");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn of_many_parallel_writers_with_one_etag_exactly_one_wins() {
        let store = Store::in_memory(10);
        let etag = store.create("f", spec("a")).await.unwrap().copy.etag;
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..16 {
            let (store, etag) = (store.clone(), etag.clone());
            tasks.spawn(async move { store.update("f", &etag, spec(&i.to_string())).await });
        }
        let mut wins = 0;
        while let Some(done) = tasks.join_next().await {
            match done.unwrap() {
                Ok(_) => wins += 1,
                Err(e) => assert_eq!(e.code, "PreconditionFailed"),
            }
        }
        assert_eq!(wins, 1);
    }

    #[tokio::test]
    async fn publish_copies_development_to_live_with_its_own_etag() {
        let store = Store::in_memory(10);
        let dev = store.create("f", spec("a")).await.unwrap();
        assert!(store.describe("f", Stage::Live).is_err());
        let live = store.publish("f", &dev.copy.etag).await.unwrap();
        assert_eq!(live.copy.code, b"a");
        assert_eq!(live.copy.status, STATUS_UNASSOCIATED);
        assert_ne!(live.copy.etag, dev.copy.etag);
        // Publishing leaves the DEVELOPMENT ETag valid.
        assert!(
            store
                .test_snapshot("f", Stage::Development, &dev.copy.etag)
                .is_ok()
        );
    }

    #[tokio::test]
    async fn list_pages_through_both_stages_in_name_order() {
        let store = Store::in_memory(10);
        for name in ["c", "a", "b"] {
            let v = store.create(name, spec("x")).await.unwrap();
            if name == "a" {
                store.publish(name, &v.copy.etag).await.unwrap();
            }
        }
        let (page, next) = store.list(None, None, 2).unwrap();
        let keys: Vec<String> = page.iter().map(marker_of).collect();
        assert_eq!(keys, ["a:DEVELOPMENT", "a:LIVE"]);
        let (page, next) = store.list(None, next.as_deref(), 2).unwrap();
        let keys: Vec<String> = page.iter().map(marker_of).collect();
        assert_eq!(keys, ["b:DEVELOPMENT", "c:DEVELOPMENT"]);
        assert_eq!(next, None);
        let (live, _) = store.list(Some(Stage::Live), None, 10).unwrap();
        assert_eq!(live.len(), 1);
        assert!(store.list(None, Some("garbage"), 2).is_err());
    }

    #[test]
    fn etags_look_like_the_service_and_change() {
        let mut rng = fastrand::Rng::with_seed(1);
        let a = new_etag(&mut rng, None);
        assert_eq!(a.len(), 14);
        assert!(a.starts_with('E'));
        assert!(
            a.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        );
    }

    #[test]
    fn state_file_round_trips_and_rejects_other_formats() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let record = FunctionRecord {
            name: "f".to_owned(),
            created_ms: 1,
            in_use: false,
            development: StageCopy {
                etag: "E1".to_owned(),
                status: STATUS_UNPUBLISHED.to_owned(),
                comment: "c".to_owned(),
                runtime: "cloudfront-js-1.0".to_owned(),
                kvs_arns: vec![],
                code: vec![0, 159, 146, 150],
                last_modified_ms: 2,
            },
            live: None,
        };
        let json = serde_json::to_vec(&PersistedState {
            format: STATE_FORMAT,
            functions: vec![record.clone()],
        })
        .unwrap();
        write_atomically(&path, &json).unwrap();
        let loaded = load_state(&path, &std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(loaded.get("f"), Some(&record));
        let err = load_state(&path, br#"{"format":99,"functions":[]}"#).unwrap_err();
        assert!(err.to_string().contains("state.json"), "{err}");
    }
}
