//! CloudFront Functions in the store: create, read, update, publish, delete, list, and the
//! snapshot TestFunction runs, each check and change under the store's one lock.
//!
//! Not for: request parsing or answers (see `cloudfront::functions`).

use crate::emulator::errors::ApiError;
use crate::emulator::store::distributions::{function_in_use, refresh_statuses};
use crate::emulator::store::records::{
    FunctionRecord, FunctionSpec, FunctionStatus, StageCopy, StageView,
};
use crate::emulator::store::{State, Store, new_etag, now_ms};
use crate::runtime::KeyValueStore;
use crate::types::{Etag, FunctionName, Stage};

/// What a test needs once `If-Match` has been checked: the stage's summary and code.
#[derive(Debug, Clone)]
pub struct TestSnapshot {
    /// The tested stage.
    pub view: StageView,
    /// Contents of the associated key value store, if the function has one.
    pub kvs: Option<KeyValueStore>,
}

impl Store {
    /// CreateFunction: adds `name` with a DEVELOPMENT copy.
    pub async fn create(
        &self,
        name: &FunctionName,
        spec: FunctionSpec,
    ) -> Result<StageView, ApiError> {
        let (view, snapshot) = {
            let mut st = self.lock();
            if st.functions.contains_key(name) {
                return Err(ApiError::function_already_exists(name.as_str()));
            }
            if st.functions.len() >= self.shared.max_functions {
                return Err(ApiError::too_many_functions(self.shared.max_functions));
            }
            let now = now_ms();
            let copy = StageCopy {
                etag: new_etag(&mut st.rng, None),
                status: FunctionStatus::Unpublished,
                comment: spec.comment,
                runtime: spec.runtime,
                kvs_arns: spec.kvs_arns,
                code: spec.code,
                last_modified_ms: now,
            };
            let record = FunctionRecord {
                name: name.clone(),
                created_ms: now,
                in_use: false,
                development: copy,
                live: None,
            };
            let view = record.view(Stage::Development);
            st.functions.insert(name.clone(), record);
            (view, self.snapshot(&mut st))
        };
        self.persist(snapshot).await;
        view.ok_or_else(|| ApiError::no_such_function(name.as_str()))
    }

    /// DescribeFunction / GetFunction: the copy of `stage`.
    pub fn describe(&self, name: &FunctionName, stage: Stage) -> Result<StageView, ApiError> {
        let st = self.lock();
        st.functions
            .get(name)
            .and_then(|f| f.view(stage))
            .ok_or_else(|| ApiError::no_such_function(name.as_str()))
    }

    /// UpdateFunction: replaces the DEVELOPMENT copy when `if_match` is its current ETag.
    pub async fn update(
        &self,
        name: &FunctionName,
        if_match: &Etag,
        spec: FunctionSpec,
    ) -> Result<StageView, ApiError> {
        self.change_checked(name, if_match, Stage::Development, |record, rng| {
            record.development = StageCopy {
                etag: new_etag(rng, Some(&record.development.etag)),
                status: FunctionStatus::Unpublished,
                comment: spec.comment,
                runtime: spec.runtime,
                kvs_arns: spec.kvs_arns,
                code: spec.code,
                last_modified_ms: now_ms(),
            };
            Ok(())
        })
        .await
    }

    /// PublishFunction: copies DEVELOPMENT to LIVE when `if_match` is the DEVELOPMENT ETag.
    ///
    /// The DEVELOPMENT ETag stays valid (the service's readers keep using it for the next
    /// UpdateFunction), but a DEVELOPMENT copy that is already LIVE is not published again: the
    /// service answers 412, which is what a retry meets when a publish's answer was lost.
    pub async fn publish(
        &self,
        name: &FunctionName,
        if_match: &Etag,
    ) -> Result<StageView, ApiError> {
        self.change_checked(name, if_match, Stage::Live, |record, rng| {
            if record.development.status != FunctionStatus::Unpublished {
                return Err(precondition_failed());
            }
            // DEPLOYED or not is settled by the distributions, after this change.
            let status = FunctionStatus::Unassociated;
            let old_live = record.live.as_ref().map(|l| l.etag.clone());
            let mut live = record.development.clone();
            live.etag = new_etag(rng, old_live.as_ref());
            live.status = status;
            live.last_modified_ms = now_ms();
            // The service reports one status per function: once published, DEVELOPMENT (now
            // equal to LIVE) is no longer UNPUBLISHED either.
            record.development.status = status;
            record.live = Some(live);
            Ok(())
        })
        .await
    }

    /// The compare-and-set both writers share: under one lock, checks that `if_match` is the
    /// DEVELOPMENT ETag, applies `change`, snapshots; then persists and returns `stage`'s view.
    async fn change_checked(
        &self,
        name: &FunctionName,
        if_match: &Etag,
        stage: Stage,
        change: impl FnOnce(&mut FunctionRecord, &mut fastrand::Rng) -> Result<(), ApiError>,
    ) -> Result<StageView, ApiError> {
        let (view, snapshot) = {
            let mut st = self.lock();
            {
                let State { functions, rng, .. } = &mut *st;
                let record = functions
                    .get_mut(name)
                    .ok_or_else(|| ApiError::no_such_function(name.as_str()))?;
                check_if_match(&record.development, if_match)?;
                change(record, rng)?;
            }
            // A published function that a distribution uses is DEPLOYED at once.
            refresh_statuses(&mut st);
            let view = st.functions.get(name).and_then(|r| r.view(stage));
            (view, self.snapshot(&mut st))
        };
        self.persist(snapshot).await;
        view.ok_or_else(|| ApiError::no_such_function(name.as_str()))
    }

    /// DeleteFunction: removes the function when `if_match` is its DEVELOPMENT ETag.
    pub async fn delete(&self, name: &FunctionName, if_match: &Etag) -> Result<(), ApiError> {
        let snapshot = {
            let mut st = self.lock();
            let record = st
                .functions
                .get(name)
                .ok_or_else(|| ApiError::no_such_function(name.as_str()))?;
            check_if_match(&record.development, if_match)?;
            if function_in_use(&st, name) {
                return Err(ApiError::function_in_use(name.as_str()));
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
        name: &FunctionName,
        stage: Stage,
        if_match: &Etag,
    ) -> Result<TestSnapshot, ApiError> {
        let st = self.lock();
        let view = st
            .functions
            .get(name)
            .and_then(|f| f.view(stage))
            .ok_or_else(|| ApiError::no_such_function(name.as_str()))?;
        check_if_match(&view.copy, if_match)?;
        // The store is found by the id its ARN ends with; a store deleted meanwhile reads empty.
        let kvs = view.copy.kvs_arns.first().map(|arn| {
            let id = arn.rsplit('/').next().unwrap_or_default();
            st.stores
                .values()
                .find(|s| s.id == id)
                .map(|s| s.keys.clone())
                .unwrap_or_default()
        });
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
                .filter_map(move |s| f.view(s))
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

    /// Marks `name` as used (or not) without creating a distribution, for tests: used functions
    /// cannot be deleted and their LIVE stage reports `DEPLOYED`. Returns false when there is no
    /// such function.
    pub async fn set_in_use(&self, name: &str, in_use: bool) -> bool {
        let Ok(name) = name.parse::<FunctionName>() else {
            return false;
        };
        let snapshot = {
            let mut st = self.lock();
            let Some(record) = st.functions.get_mut(&name) else {
                return false;
            };
            record.in_use = in_use;
            refresh_statuses(&mut st);
            self.snapshot(&mut st)
        };
        self.persist(snapshot).await;
        true
    }
}

fn precondition_failed() -> ApiError {
    ApiError::precondition_failed("The If-Match version is missing or not valid for the resource.")
}

fn check_if_match(copy: &StageCopy, if_match: &Etag) -> Result<(), ApiError> {
    if &copy.etag == if_match {
        Ok(())
    } else {
        Err(precondition_failed())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Runtime;

    fn spec(code: &str) -> FunctionSpec {
        FunctionSpec {
            comment: String::new(),
            runtime: Runtime::Js2,
            kvs_arns: Vec::new(),
            code: code.as_bytes().to_vec(),
        }
    }

    fn name(text: &str) -> FunctionName {
        text.parse().unwrap()
    }

    #[tokio::test]
    async fn update_with_a_stale_etag_fails_and_keeps_the_code() {
        let store = Store::in_memory(10);
        let f = name("f");
        let created = store.create(&f, spec("a")).await.unwrap();
        let updated = store
            .update(&f, &created.copy.etag, spec("b"))
            .await
            .unwrap();
        assert_ne!(updated.copy.etag, created.copy.etag);
        let err = store
            .update(&f, &created.copy.etag, spec("c"))
            .await
            .unwrap_err();
        assert_eq!(err.code, "PreconditionFailed");
        let now = store.describe(&f, Stage::Development).unwrap();
        assert_eq!(now.copy.code, b"b");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn of_many_parallel_writers_with_one_etag_exactly_one_wins() {
        let store = Store::in_memory(10);
        let f = name("f");
        let etag = store.create(&f, spec("a")).await.unwrap().copy.etag;
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..16 {
            let (store, etag, f) = (store.clone(), etag.clone(), f.clone());
            tasks.spawn(async move { store.update(&f, &etag, spec(&i.to_string())).await });
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
        let f = name("f");
        let dev = store.create(&f, spec("a")).await.unwrap();
        assert!(store.describe(&f, Stage::Live).is_err());
        let live = store.publish(&f, &dev.copy.etag).await.unwrap();
        assert_eq!(live.copy.code, b"a");
        assert_eq!(live.copy.status, FunctionStatus::Unassociated);
        assert_ne!(live.copy.etag, dev.copy.etag);
        // Publishing leaves the DEVELOPMENT ETag valid...
        assert!(
            store
                .test_snapshot(&f, Stage::Development, &dev.copy.etag)
                .is_ok()
        );
        // ...but the same DEVELOPMENT copy is not published twice.
        let again = store.publish(&f, &dev.copy.etag).await.unwrap_err();
        assert_eq!(again.code, "PreconditionFailed");
        let updated = store.update(&f, &dev.copy.etag, spec("b")).await.unwrap();
        let live = store.publish(&f, &updated.copy.etag).await.unwrap();
        assert_eq!(live.copy.code, b"b");
    }

    #[tokio::test]
    async fn list_pages_through_both_stages_in_name_order() {
        let store = Store::in_memory(10);
        for n in ["c", "a", "b"] {
            let v = store.create(&name(n), spec("x")).await.unwrap();
            if n == "a" {
                store.publish(&name(n), &v.copy.etag).await.unwrap();
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
}
