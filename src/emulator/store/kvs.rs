//! Key value stores in the store: the control plane (create, describe, list, update, delete by
//! name) and the data plane (describe, get, list, put and delete keys by id, every write at the
//! data ETag), each under the store's one lock.
//!
//! Sizes of single keys and values are checked by the callers (see `kvs_limits`); the store
//! checks what needs its state: the total size and the ETags. Not for: wire formats (see
//! `cloudfront::key_value_stores` and `kvs`).

use std::collections::BTreeMap;

use crate::emulator::errors::ApiError;
use crate::emulator::store::records::KvsRecord;
use crate::emulator::store::{Store, new_etag, now_ms};
use crate::kvs_limits::{MAX_STORE_BYTES, entry_bytes};
use crate::types::Etag;

/// Most key value stores an account may hold (the service's default quota).
pub const MAX_STORES: usize = 50;

/// A store's metadata as the control plane shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KvsView {
    /// The name.
    pub name: String,
    /// The id in its ARN.
    pub id: String,
    /// The comment.
    pub comment: String,
    /// `PROVISIONING` in CreateKeyValueStore's answer, `READY` afterwards.
    pub status: &'static str,
    /// The control-plane ETag.
    pub etag: Etag,
    /// Last change, in milliseconds since the Unix epoch.
    pub last_modified_ms: u64,
}

/// A store's data-plane summary (DescribeKeyValueStore and every write's answer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataView {
    /// The id in its ARN.
    pub id: String,
    /// The data-plane ETag.
    pub etag: Etag,
    /// Number of keys.
    pub item_count: usize,
    /// Sum of key and value bytes.
    pub total_bytes: usize,
    /// Created, in milliseconds since the Unix epoch.
    pub created_ms: u64,
    /// Last change, in milliseconds since the Unix epoch.
    pub last_modified_ms: u64,
}

/// A page of ListKeys: keys with their values, and the last key when more follow.
pub type KeyPage = (Vec<(String, String)>, Option<String>);

/// One data-plane write: keys to put and keys to delete, all or nothing.
#[derive(Debug, Clone, Default)]
pub struct KeyChanges {
    /// Keys and their new values.
    pub puts: Vec<(String, String)>,
    /// Keys to delete.
    pub deletes: Vec<String>,
    /// DeleteKey of a key that is not there is ResourceNotFound; UpdateKeys ignores it.
    pub deletes_must_exist: bool,
}

fn kvs_view(record: &KvsRecord, status: &'static str) -> KvsView {
    KvsView {
        name: record.name.clone(),
        id: record.id.clone(),
        comment: record.comment.clone(),
        status,
        etag: record.etag.clone(),
        last_modified_ms: record.last_modified_ms,
    }
}

fn data_view(record: &KvsRecord) -> DataView {
    DataView {
        id: record.id.clone(),
        etag: record.data_etag.clone(),
        item_count: record.keys.len(),
        total_bytes: record.total_bytes(),
        created_ms: record.created_ms,
        last_modified_ms: record.last_modified_ms,
    }
}

fn not_found(name: &str) -> ApiError {
    ApiError::entity_not_found(&format!("key value store {name}"))
}

fn no_store(id: &str) -> ApiError {
    ApiError::resource_not_found(format!("The key value store {id} was not found."))
}

/// An id in the service's UUID form (36 of hex and dashes), as key value store ARNs end.
fn new_id(rng: &mut fastrand::Rng) -> String {
    let mut hex = |n: usize| -> String {
        (0..n)
            .map(|_| char::from(b"0123456789abcdef"[rng.usize(..16)]))
            .collect()
    };
    format!("{}-{}-{}-{}-{}", hex(8), hex(4), hex(4), hex(4), hex(12))
}

impl Store {
    /// CreateKeyValueStore: an empty store named `name`; its answer says PROVISIONING.
    pub async fn create_kvs(&self, name: &str, comment: String) -> Result<KvsView, ApiError> {
        let (view, snapshot) = {
            let mut st = self.lock();
            if st.stores.contains_key(name) {
                return Err(ApiError::entity_already_exists(&format!(
                    "key value store {name}"
                )));
            }
            if st.stores.len() >= MAX_STORES {
                return Err(ApiError::entity_limit_exceeded(format!(
                    "You have reached the maximum number of key value stores ({MAX_STORES})."
                )));
            }
            let now = now_ms();
            let record = KvsRecord {
                name: name.to_owned(),
                id: new_id(&mut st.rng),
                comment,
                etag: new_etag(&mut st.rng, None),
                data_etag: new_etag(&mut st.rng, None),
                created_ms: now,
                last_modified_ms: now,
                keys: BTreeMap::new(),
            };
            let view = kvs_view(&record, "PROVISIONING");
            st.stores.insert(name.to_owned(), record);
            (view, self.snapshot(&mut st))
        };
        self.persist(snapshot).await;
        Ok(view)
    }

    /// DescribeKeyValueStore (control plane).
    pub fn describe_kvs(&self, name: &str) -> Result<KvsView, ApiError> {
        let st = self.lock();
        st.stores
            .get(name)
            .map(|r| kvs_view(r, "READY"))
            .ok_or_else(|| not_found(name))
    }

    /// ListKeyValueStores: stores after `marker` (a name), at most `max_items`, and the next
    /// marker when there are more.
    pub fn list_kvs(
        &self,
        marker: Option<&str>,
        max_items: usize,
    ) -> (Vec<KvsView>, Option<String>) {
        let st = self.lock();
        let mut page: Vec<KvsView> = st
            .stores
            .values()
            .filter(|r| marker.is_none_or(|m| r.name.as_str() > m))
            .take(max_items + 1)
            .map(|r| kvs_view(r, "READY"))
            .collect();
        let next = if page.len() > max_items {
            page.truncate(max_items);
            page.last().map(|v| v.name.clone())
        } else {
            None
        };
        (page, next)
    }

    /// UpdateKeyValueStore: a new comment at the control-plane ETag.
    pub async fn update_kvs(
        &self,
        name: &str,
        if_match: &Etag,
        comment: String,
    ) -> Result<KvsView, ApiError> {
        let (view, snapshot) = {
            let mut st = self.lock();
            let crate::emulator::store::State { stores, rng, .. } = &mut *st;
            let record = stores.get_mut(name).ok_or_else(|| not_found(name))?;
            if &record.etag != if_match {
                return Err(ApiError::precondition_failed(
                    "The If-Match version is missing or not valid for the resource.",
                ));
            }
            record.comment = comment;
            record.etag = new_etag(rng, Some(&record.etag));
            record.last_modified_ms = now_ms();
            let view = kvs_view(record, "READY");
            (view, self.snapshot(&mut st))
        };
        self.persist(snapshot).await;
        Ok(view)
    }

    /// DeleteKeyValueStore: at the control-plane ETag, and only when no function stage is
    /// associated with the store (`arn_suffix` is `:key-value-store/ID` of this store).
    pub async fn delete_kvs(&self, name: &str, if_match: &Etag) -> Result<(), ApiError> {
        let snapshot = {
            let mut st = self.lock();
            let record = st.stores.get(name).ok_or_else(|| not_found(name))?;
            if &record.etag != if_match {
                return Err(ApiError::precondition_failed(
                    "The If-Match version is missing or not valid for the resource.",
                ));
            }
            let suffix = format!(":key-value-store/{}", record.id);
            let in_use = st.functions.values().any(|f| {
                std::iter::once(&f.development)
                    .chain(f.live.as_ref())
                    .any(|copy| copy.kvs_arns.iter().any(|arn| arn.ends_with(&suffix)))
            });
            if in_use {
                return Err(ApiError::cannot_delete_while_in_use(&format!(
                    "key value store {name}"
                )));
            }
            st.stores.remove(name);
            self.snapshot(&mut st)
        };
        self.persist(snapshot).await;
        Ok(())
    }

    /// DescribeKeyValueStore (data plane), by id.
    pub fn describe_data(&self, id: &str) -> Result<DataView, ApiError> {
        let st = self.lock();
        st.stores
            .values()
            .find(|r| r.id == id)
            .map(data_view)
            .ok_or_else(|| no_store(id))
    }

    /// GetKey: the value of `key` and the store's summary.
    pub fn get_key(&self, id: &str, key: &str) -> Result<(String, DataView), ApiError> {
        let st = self.lock();
        let record = st
            .stores
            .values()
            .find(|r| r.id == id)
            .ok_or_else(|| no_store(id))?;
        let value =
            record.keys.get(key).cloned().ok_or_else(|| {
                ApiError::resource_not_found(format!("The key {key} was not found."))
            })?;
        Ok((value, data_view(record)))
    }

    /// ListKeys: keys after `after`, at most `max`, and the last key of the page when there
    /// are more.
    pub fn list_keys(
        &self,
        id: &str,
        after: Option<&str>,
        max: usize,
    ) -> Result<KeyPage, ApiError> {
        let st = self.lock();
        let record = st
            .stores
            .values()
            .find(|r| r.id == id)
            .ok_or_else(|| no_store(id))?;
        let mut page: Vec<(String, String)> = record
            .keys
            .iter()
            .filter(|(k, _)| after.is_none_or(|a| k.as_str() > a))
            .take(max + 1)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let next = if page.len() > max {
            page.truncate(max);
            page.last().map(|(k, _)| k.clone())
        } else {
            None
        };
        Ok((page, next))
    }

    /// PutKey, DeleteKey and UpdateKeys: all of `changes` at the data ETag `if_match`, or none.
    pub async fn change_keys(
        &self,
        id: &str,
        if_match: &Etag,
        changes: KeyChanges,
    ) -> Result<DataView, ApiError> {
        let (view, snapshot) = {
            let mut st = self.lock();
            let crate::emulator::store::State { stores, rng, .. } = &mut *st;
            let record = stores
                .values_mut()
                .find(|r| r.id == id)
                .ok_or_else(|| no_store(id))?;
            if &record.data_etag != if_match {
                return Err(ApiError::conflict(
                    "Pre-Condition failed: the If-Match ETag is not the store's current ETag.",
                ));
            }
            let mut keys = record.keys.clone();
            for key in &changes.deletes {
                if keys.remove(key).is_none() && changes.deletes_must_exist {
                    return Err(ApiError::resource_not_found(format!(
                        "The key {key} was not found."
                    )));
                }
            }
            for (key, value) in changes.puts {
                keys.insert(key, value);
            }
            let total: usize = keys.iter().map(|(k, v)| entry_bytes(k, v)).sum();
            if total > MAX_STORE_BYTES {
                return Err(ApiError::service_quota_exceeded(format!(
                    "The key value store would hold {total} bytes; the maximum is {MAX_STORE_BYTES} bytes."
                )));
            }
            record.keys = keys;
            record.data_etag = new_etag(rng, Some(&record.data_etag));
            record.last_modified_ms = now_ms();
            let view = data_view(record);
            (view, self.snapshot(&mut st))
        };
        self.persist(snapshot).await;
        Ok(view)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(k: &str, v: &str) -> KeyChanges {
        KeyChanges {
            puts: vec![(k.to_owned(), v.to_owned())],
            ..KeyChanges::default()
        }
    }

    #[tokio::test]
    async fn key_writes_need_the_current_data_etag_and_are_all_or_nothing() {
        let store = Store::in_memory(10);
        let created = store.create_kvs("s", String::new()).await.unwrap();
        assert_eq!(created.status, "PROVISIONING");
        assert_eq!(store.describe_kvs("s").unwrap().status, "READY");
        let first = store.describe_data(&created.id).unwrap();
        let after = store
            .change_keys(&created.id, &first.etag, put("a", "1"))
            .await
            .unwrap();
        assert_eq!((after.item_count, after.total_bytes), (1, 2));
        let stale = store
            .change_keys(&created.id, &first.etag, put("b", "2"))
            .await
            .unwrap_err();
        assert_eq!(stale.code, "ConflictException");
        let missing = KeyChanges {
            puts: vec![("c".to_owned(), "3".to_owned())],
            deletes: vec!["nope".to_owned()],
            deletes_must_exist: true,
        };
        let err = store
            .change_keys(&created.id, &after.etag, missing)
            .await
            .unwrap_err();
        assert_eq!(err.code, "ResourceNotFoundException");
        let (keys, next) = store.list_keys(&created.id, None, 50).unwrap();
        assert_eq!(keys, [("a".to_owned(), "1".to_owned())], "c was not put");
        assert_eq!(next, None);
        let huge = "v".repeat(1024);
        let mut changes = KeyChanges::default();
        for i in 0..(MAX_STORE_BYTES / 1024 + 1) {
            changes.puts.push((format!("k{i:05}"), huge.clone()));
        }
        let err = store
            .change_keys(&created.id, &after.etag, changes)
            .await
            .unwrap_err();
        assert_eq!(err.code, "ServiceQuotaExceededException");
    }

    #[tokio::test]
    async fn list_keys_pages_in_key_order() {
        let store = Store::in_memory(10);
        let id = store.create_kvs("s", String::new()).await.unwrap().id;
        let etag = store.describe_data(&id).unwrap().etag;
        let changes = KeyChanges {
            puts: ["c", "a", "b"]
                .iter()
                .map(|k| (k.to_string(), k.to_uppercase()))
                .collect(),
            ..KeyChanges::default()
        };
        store.change_keys(&id, &etag, changes).await.unwrap();
        let (page, next) = store.list_keys(&id, None, 2).unwrap();
        assert_eq!(
            page.iter().map(|p| p.0.as_str()).collect::<Vec<_>>(),
            ["a", "b"]
        );
        let (page, next) = store.list_keys(&id, next.as_deref(), 2).unwrap();
        assert_eq!(page, [("c".to_owned(), "C".to_owned())]);
        assert_eq!(next, None);
    }
}
