//! What a sync changes in a store and how: the diff against the wanted data, the UpdateKeys
//! batches that carry it out, the plan that undoes it after a failed run, and the check that
//! recognises a write of ours whose answer was lost.
//!
//! The order (puts before the first test, deletes after the publish) is the pipeline's; this module
//! only computes what each phase sends. Everything here works on keys and [`KvsData`] and is pure;
//! Debug output of a [`Batch`] lists keys only.

use std::collections::BTreeSet;
use std::fmt;

use super::data::KvsData;
use super::limits::MAX_KEYS_PER_UPDATE;

/// Keys that differ between a store and the wanted data, each list sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Changes {
    /// In the wanted data, not in the store.
    pub added: Vec<String>,
    /// In both, with a different value.
    pub changed: Vec<String>,
    /// In the store, not in the wanted data.
    pub removed: Vec<String>,
}

impl Changes {
    /// The keys that turn `current` into `wanted`.
    pub fn between(current: &KvsData, wanted: &KvsData) -> Self {
        let mut c = Changes::default();
        for (k, v) in wanted.iter() {
            match current.get(k) {
                None => c.added.push(k.to_owned()),
                Some(old) if old != v => c.changed.push(k.to_owned()),
                Some(_) => {}
            }
        }
        c.removed = current
            .keys()
            .filter(|k| !wanted.contains_key(k))
            .map(str::to_owned)
            .collect();
        c
    }

    /// True when the store already holds the wanted data.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty() && self.removed.is_empty()
    }

    /// The `key-value-store-changes` output: `{"added": [...], "changed": [...], "removed": [...]}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "added": self.added,
            "changed": self.changed,
            "removed": self.removed,
        })
    }
}

/// One UpdateKeys call: puts and deletes together at most [`MAX_KEYS_PER_UPDATE`] keys.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Batch {
    /// Keys with the values to write.
    pub puts: Vec<(String, String)>,
    /// Keys to delete.
    pub deletes: Vec<String>,
}

impl Batch {
    /// Number of keys the call touches.
    pub fn len(&self) -> usize {
        self.puts.len() + self.deletes.len()
    }

    /// True when the call would change nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl fmt::Debug for Batch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Batch")
            .field(
                "puts",
                &self.puts.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .field("deletes", &self.deletes)
            .finish()
    }
}

/// Splits puts and deletes into calls within the per-call key limit (puts first). Several calls
/// are not one transaction: each goes at the ETag the previous one returned, and a failure half way
/// is undone by [`restore_plan`], which looks at what the store holds rather than at what was sent.
pub fn batches(puts: Vec<(String, String)>, deletes: Vec<String>) -> Vec<Batch> {
    let mut out: Vec<Batch> = Vec::new();
    let mut cur = Batch::default();
    for p in puts {
        if cur.len() == MAX_KEYS_PER_UPDATE {
            out.push(std::mem::take(&mut cur));
        }
        cur.puts.push(p);
    }
    for d in deletes {
        if cur.len() == MAX_KEYS_PER_UPDATE {
            out.push(std::mem::take(&mut cur));
        }
        cur.deletes.push(d);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The writes before the tests: the added and changed keys with their wanted values.
pub fn put_batches(changes: &Changes, wanted: &KvsData) -> Vec<Batch> {
    let puts = changes
        .added
        .iter()
        .chain(&changes.changed)
        .filter_map(|k| wanted.get(k).map(|v| (k.clone(), v.to_owned())))
        .collect();
    batches(puts, Vec::new())
}

/// The writes after the publish: the removed keys.
pub fn delete_batches(changes: &Changes) -> Vec<Batch> {
    batches(Vec::new(), changes.removed.clone())
}

/// How to undo a run's puts, decided against what the store holds now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Restore {
    /// The calls that put back the old values and delete the added keys.
    pub batches: Vec<Batch>,
    /// Keys the run wrote that another writer has changed since: left as they are, reported.
    pub skipped: Vec<String>,
}

/// Plans the undo of the puts that took `before` towards `wanted`, given the store `now`.
///
/// A key still holding this run's value goes back (deleted if the run added it, its old value put
/// back if the run changed it); a key already back as it was needs nothing; any other value was
/// written by someone else after us, and overwriting it would be the blind write the SPEC forbids.
pub fn restore_plan(
    before: &KvsData,
    wanted: &KvsData,
    changes: &Changes,
    now: &KvsData,
) -> Restore {
    let mut puts = Vec::new();
    let mut deletes = Vec::new();
    let mut skipped = Vec::new();
    for k in &changes.added {
        match now.get(k) {
            None => {}
            Some(v) if Some(v) == wanted.get(k) => deletes.push(k.clone()),
            Some(_) => skipped.push(k.clone()),
        }
    }
    for k in &changes.changed {
        let (old, ours) = (before.get(k), wanted.get(k));
        match now.get(k) {
            v if v == old => {}
            v if v == ours => {
                if let Some(old) = old {
                    puts.push((k.clone(), old.to_owned()));
                }
            }
            _ => skipped.push(k.clone()),
        }
    }
    Restore {
        batches: batches(puts, deletes),
        skipped,
    }
}

/// True when `now` shows every write of `batch` (its puts with their values, its deletes gone):
/// the test for an UpdateKeys whose answer was lost and whose retry met our own new ETag.
pub fn holds(now: &KvsData, batch: &Batch) -> bool {
    batch
        .puts
        .iter()
        .all(|(k, v)| now.get(k) == Some(v.as_str()))
        && batch.deletes.iter().all(|k| !now.contains_key(k))
}

/// The writes that make `current` equal `wanted`: puts of added and changed keys, then deletes.
pub fn converge_batches(current: &KvsData, wanted: &KvsData) -> Vec<Batch> {
    let c = Changes::between(current, wanted);
    let puts = c
        .added
        .iter()
        .chain(&c.changed)
        .filter_map(|k| wanted.get(k).map(|v| (k.clone(), v.to_owned())))
        .collect();
    batches(puts, c.removed)
}

/// `data` after `batch` was written.
pub fn apply(data: &mut KvsData, batch: &Batch) {
    for (k, v) in &batch.puts {
        data.insert(k.clone(), v.clone());
    }
    for k in &batch.deletes {
        data.remove(k);
    }
}

/// After a re-read: the keys this run has not written take what the store holds `now`, so that a
/// restore puts back another writer's value rather than the one we read before it wrote.
pub fn rebase(before: &mut KvsData, now: &KvsData, written: &BTreeSet<String>) {
    let keys: BTreeSet<String> = before.keys().chain(now.keys()).map(str::to_owned).collect();
    for k in keys.difference(written) {
        match now.get(k) {
            Some(v) => before.insert(k.clone(), v.to_owned()),
            None => before.remove(k),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(pairs: &[(&str, &str)]) -> KvsData {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn keys(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn changes_sort_keys_into_added_changed_and_removed() {
        let current = data(&[("a", "1"), ("b", "2"), ("gone", "x")]);
        let wanted = data(&[("a", "1"), ("b", "3"), ("new", "y")]);
        let c = Changes::between(&current, &wanted);
        assert_eq!(c.added, keys(&["new"]));
        assert_eq!(c.changed, keys(&["b"]));
        assert_eq!(c.removed, keys(&["gone"]));
        assert!(!c.is_empty());
        assert!(Changes::between(&wanted, &wanted).is_empty());
    }

    #[test]
    fn the_changes_output_has_the_three_lists_even_when_empty() {
        let c = Changes {
            added: keys(&["k"]),
            ..Changes::default()
        };
        assert_eq!(
            c.to_json().to_string(),
            r#"{"added":["k"],"changed":[],"removed":[]}"#
        );
    }

    #[test]
    fn puts_carry_the_wanted_values_and_deletes_only_keys() {
        let current = data(&[("b", "2"), ("gone", "x")]);
        let wanted = data(&[("b", "3"), ("new", "y")]);
        let c = Changes::between(&current, &wanted);
        let puts = put_batches(&c, &wanted);
        assert_eq!(puts.len(), 1);
        assert_eq!(
            puts[0].puts,
            vec![("new".into(), "y".into()), ("b".into(), "3".into())]
        );
        assert!(puts[0].deletes.is_empty());
        let dels = delete_batches(&c);
        assert_eq!(dels.len(), 1);
        assert_eq!(dels[0].deletes, keys(&["gone"]));
        assert!(dels[0].puts.is_empty());
        assert!(put_batches(&Changes::default(), &wanted).is_empty());
    }

    #[test]
    fn batches_hold_at_most_the_per_call_limit_and_keep_every_key_once() {
        let puts: Vec<(String, String)> = (0..MAX_KEYS_PER_UPDATE + 7)
            .map(|i| (format!("p{i}"), "v".to_owned()))
            .collect();
        let deletes: Vec<String> = (0..MAX_KEYS_PER_UPDATE * 2)
            .map(|i| format!("d{i}"))
            .collect();
        let b = batches(puts.clone(), deletes.clone());
        assert_eq!(b.len(), 4);
        assert!(
            b.iter()
                .all(|x| x.len() <= MAX_KEYS_PER_UPDATE && !x.is_empty())
        );
        let all_puts: Vec<_> = b.iter().flat_map(|x| x.puts.clone()).collect();
        let all_dels: Vec<_> = b.iter().flat_map(|x| x.deletes.clone()).collect();
        assert_eq!(all_puts, puts);
        assert_eq!(all_dels, deletes);
        assert_eq!(batches(Vec::new(), Vec::new()), Vec::<Batch>::new());
    }

    #[test]
    fn restore_deletes_added_keys_and_puts_back_changed_ones() {
        let before = data(&[("b", "old"), ("same", "s")]);
        let wanted = data(&[("b", "new"), ("same", "s"), ("added", "a")]);
        let c = Changes::between(&before, &wanted);
        // The puts went through: the store holds the wanted data.
        let r = restore_plan(&before, &wanted, &c, &wanted);
        assert!(r.skipped.is_empty());
        assert_eq!(r.batches.len(), 1);
        assert_eq!(r.batches[0].puts, vec![("b".into(), "old".into())]);
        assert_eq!(r.batches[0].deletes, keys(&["added"]));
        // Applying the restore gives back the store as it was.
        let mut after = wanted.clone();
        for (k, v) in &r.batches[0].puts {
            after.insert(k.clone(), v.clone());
        }
        for k in &r.batches[0].deletes {
            after.remove(k);
        }
        assert_eq!(after, before);
    }

    #[test]
    fn restore_leaves_keys_another_writer_changed_and_skips_writes_that_never_landed() {
        let before = data(&[("b", "old"), ("c", "old")]);
        let wanted = data(&[("b", "new"), ("c", "new"), ("x", "1"), ("y", "1")]);
        let c = Changes::between(&before, &wanted);
        // b and x were overwritten by someone else; c and y never got our write (a batch failed).
        let now = data(&[("b", "theirs"), ("c", "old"), ("x", "theirs")]);
        let r = restore_plan(&before, &wanted, &c, &now);
        assert!(r.batches.is_empty(), "{:?}", r.batches);
        let mut skipped = r.skipped.clone();
        skipped.sort();
        assert_eq!(skipped, keys(&["b", "x"]));
    }

    #[test]
    fn holds_recognises_a_store_that_already_has_the_batch() {
        let b = Batch {
            puts: vec![("k".into(), "v".into())],
            deletes: keys(&["gone"]),
        };
        assert!(holds(&data(&[("k", "v"), ("other", "o")]), &b));
        assert!(!holds(&data(&[("k", "v"), ("gone", "g")]), &b));
        assert!(!holds(&data(&[("k", "w")]), &b));
        assert!(!holds(&data(&[]), &b));
    }

    #[test]
    fn converging_puts_then_deletes_and_apply_reaches_the_wanted_data() {
        let current = data(&[("b", "2"), ("gone", "x"), ("same", "s")]);
        let wanted = data(&[("b", "3"), ("new", "y"), ("same", "s")]);
        let bs = converge_batches(&current, &wanted);
        assert_eq!(bs.len(), 1);
        assert_eq!(bs[0].deletes, keys(&["gone"]));
        let mut d = current.clone();
        for b in &bs {
            apply(&mut d, b);
        }
        assert_eq!(d, wanted);
        assert!(converge_batches(&wanted, &wanted).is_empty());
    }

    #[test]
    fn rebase_takes_the_stores_values_for_keys_this_run_has_not_written() {
        let mut before = data(&[("ours", "old"), ("theirs", "old"), ("dropped", "d")]);
        let now = data(&[("ours", "mine"), ("theirs", "new"), ("fresh", "f")]);
        let written: BTreeSet<String> = ["ours".to_owned()].into();
        rebase(&mut before, &now, &written);
        assert_eq!(
            before,
            data(&[("ours", "old"), ("theirs", "new"), ("fresh", "f")])
        );
    }

    #[test]
    fn a_batch_debug_never_shows_values() {
        let b = Batch {
            puts: vec![("jwt".into(), "s3cret".into())],
            deletes: keys(&["old"]),
        };
        let shown = format!("{b:?}");
        assert!(shown.contains("jwt") && shown.contains("old"), "{shown}");
        assert!(!shown.contains("s3cret"), "{shown}");
    }
}
