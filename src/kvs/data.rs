//! Key value store data files: AWS's import format `{"data": [{"key": "k", "value": "v"}, ...]}`
//! or a flat map `{"k": "v"}`, as JSON or YAML, parsed strictly into [`KvsData`].
//!
//! Strict means: string values only, no duplicate keys (serde's maps keep the last one silently, so
//! the visitors here check as they read, which also gives the error its line), keys and values
//! within [`super::limits`] (UTF-8 bytes, as the emulator counts them), and the whole store within
//! its size limit. Error messages name the
//! file and the key or line, and never contain a value: serde's stock "invalid type" messages quote
//! the offending value, so every visitor here answers each kind of input itself.
//!
//! Not for: where the file name came from (the caller adds the input's name) or any AWS call.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::Deserialize as _;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::limits::{MAX_KEY_BYTES, MAX_STORE_BYTES, MAX_VALUE_BYTES};

/// A store's keys and values. Debug and Display show the keys' count and size, never a value,
/// so the type can go into any log or error without leaking what a store holds.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct KvsData(BTreeMap<String, String>);

impl KvsData {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when the store holds no key.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// True when `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }

    /// Keys in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    /// Keys and values in key order (for the writes and the local runtime only).
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Sets `key` to `value`.
    pub fn insert(&mut self, key: String, value: String) {
        self.0.insert(key, value);
    }

    /// Removes `key`.
    pub fn remove(&mut self, key: &str) {
        self.0.remove(key);
    }

    /// The store's size as the service counts it: keys' and values' UTF-8 bytes.
    pub fn total_bytes(&self) -> usize {
        self.0.iter().map(|(k, v)| k.len() + v.len()).sum()
    }

    /// The map, for the embedded runtime's store.
    pub fn into_map(self) -> BTreeMap<String, String> {
        self.0
    }
}

impl FromIterator<(String, String)> for KvsData {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

impl fmt::Debug for KvsData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KvsData")
            .field("keys", &self.0.keys().collect::<Vec<_>>())
            .field("bytes", &self.total_bytes())
            .finish_non_exhaustive()
    }
}

impl fmt::Display for KvsData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.len();
        let s = if n == 1 { "" } else { "s" };
        write!(f, "{n} key{s}, {} bytes", self.total_bytes())
    }
}

/// A data file that cannot be used; the message names the file and the key or line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct KvsDataError(pub String);

/// How a data file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataFormat {
    /// `*.json`
    Json,
    /// `*.yaml` / `*.yml`
    Yaml,
}

impl DataFormat {
    /// The format a file's extension names, if any.
    pub fn of(path: &Path) -> Option<Self> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("json") => Some(Self::Json),
            Some("yaml" | "yml") => Some(Self::Yaml),
            _ => None,
        }
    }
}

/// Reads and validates a data file; its extension (`.json`, `.yaml`, `.yml`) picks the parser.
pub fn load(path: &Path) -> Result<KvsData, KvsDataError> {
    let p = path.display();
    let format = DataFormat::of(path).ok_or_else(|| {
        KvsDataError(format!(
            "{p}: a key value store data file must be a .json, .yaml or .yml file"
        ))
    })?;
    let text = std::fs::read_to_string(path)
        .map_err(|e| KvsDataError(format!("{p}: cannot read the key value store data: {e}")))?;
    parse(&text, format, path)
}

/// Reads and validates the data file `file` (as the user wrote it) relative to `base`; messages
/// name `file`, not the joined path.
pub fn load_relative(base: &Path, file: &str) -> Result<KvsData, KvsDataError> {
    let shown = Path::new(file);
    let format = DataFormat::of(shown).ok_or_else(|| {
        KvsDataError(format!(
            "{file}: a key value store data file must be a .json, .yaml or .yml file"
        ))
    })?;
    let text = std::fs::read_to_string(base.join(file)).map_err(|e| {
        KvsDataError(format!(
            "{file}: cannot read the key value store data: {}",
            crate::checks::io_reason(&e)
        ))
    })?;
    parse(&text, format, shown)
}

/// Parses and validates data file text; `path` is only used in messages.
pub fn parse(text: &str, format: DataFormat, path: &Path) -> Result<KvsData, KvsDataError> {
    let p = path.display();
    if text.trim().is_empty() {
        return Err(KvsDataError(format!(
            "{p}: the key value store data file is empty (write {{}} for a store with no keys)"
        )));
    }
    let doc = match format {
        DataFormat::Json => {
            let mut de = serde_json::Deserializer::from_str(text);
            let doc = Doc::deserialize(&mut de).map_err(|e| e.to_string());
            doc.and_then(|d| de.end().map(|()| d).map_err(|e| e.to_string()))
        }
        DataFormat::Yaml => serde_yaml::Deserializer::from_str(text)
            .next()
            .ok_or_else(|| "the file holds no YAML document".to_owned())
            .and_then(|de| Doc::deserialize(de).map_err(|e| e.to_string())),
    }
    .map_err(|e| KvsDataError(format!("{p}: {}", ours(e))))?;
    let data = KvsData(doc.0);
    let total = data.total_bytes();
    if total > MAX_STORE_BYTES {
        return Err(KvsDataError(format!(
            "{p}: the keys and values add up to {total} bytes; a key value store holds at most {MAX_STORE_BYTES} bytes (5 MB)"
        )));
    }
    Ok(data)
}

/// Starts every message of ours, so that [`ours`] can drop what a parser puts in front of it:
/// serde_yaml writes the path (`data[1].key: `), which our messages already say in words.
const MARK: char = '\u{1}';

fn fail<E: de::Error>(msg: impl fmt::Display) -> E {
    E::custom(format_args!("{MARK}{msg}"))
}

/// A parser's error text with our message's prefix and marks removed.
fn ours(text: String) -> String {
    match text.split_once(MARK) {
        Some((_, rest)) => rest.replace(MARK, ""),
        None => text,
    }
}

const SHAPE: &str = "a key value store data file must be an object: {\"data\": [{\"key\": \"k\", \"value\": \"v\"}, ...]} (AWS's import format) or {\"k\": \"v\", ...}";

/// Shortens a key for a message: keys are not secret, but one of 5000 characters drowns the line.
fn shown(key: &str) -> String {
    const SHOW: usize = 60;
    if key.chars().count() <= SHOW {
        format!("{key:?}")
    } else {
        let head: String = key.chars().take(SHOW).collect();
        format!("{head:?}... ({} characters)", key.chars().count())
    }
}

fn check_key<E: de::Error>(key: &str) -> Result<(), E> {
    let n = key.len();
    if n == 0 {
        return Err(fail("a key is empty; keys have 1 to 512 bytes"));
    }
    if n > MAX_KEY_BYTES {
        return Err(fail(format!(
            "key {} is {n} bytes long (UTF-8); keys have at most {MAX_KEY_BYTES}",
            shown(key)
        )));
    }
    Ok(())
}

fn check_value<E: de::Error>(key: Option<&str>, value: &str) -> Result<(), E> {
    let n = value.len();
    if n > MAX_VALUE_BYTES {
        let whose = key.map_or_else(
            || "a value".to_owned(),
            |k| format!("the value of key {}", shown(k)),
        );
        return Err(fail(format!(
            "{whose} is {n} bytes long (UTF-8); values have at most {MAX_VALUE_BYTES}"
        )));
    }
    Ok(())
}

/// What a non-string value is, for messages that must not quote it.
fn not_a_string<E: de::Error>(key: Option<&str>, what: &str) -> E {
    let whose = key.map_or_else(
        || "a value".to_owned(),
        |k| format!("the value of key {}", shown(k)),
    );
    fail(format!(
        "{whose} is {what}; values must be strings (quote it in YAML)"
    ))
}

/// The whole document, as the flat map it stands for.
struct Doc(BTreeMap<String, String>);

impl<'de> de::Deserialize<'de> for Doc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(DocVisitor)
    }
}

/// Answers every kind of input so that no stock serde message (which quotes values) escapes.
macro_rules! reject_scalars {
    ($err:expr) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Err($err(self, "a boolean"))
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Err($err(self, "a number"))
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Err($err(self, "a number"))
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Err($err(self, "a number"))
        }
        fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<Self::Value, E> {
            Err($err(self, "binary data"))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Err($err(self, "null"))
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Err($err(self, "null"))
        }
        fn visit_enum<A: de::EnumAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
            Err($err(self, "a tagged value"))
        }
    };
}

struct DocVisitor;

fn doc_shape<E: de::Error>(_: DocVisitor, _: &str) -> E {
    fail(SHAPE)
}

impl<'de> Visitor<'de> for DocVisitor {
    type Value = Doc;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(SHAPE)
    }

    reject_scalars!(doc_shape);

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Doc, E> {
        Err(fail(SHAPE))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Doc, A::Error> {
        Err(fail(SHAPE))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Doc, A::Error> {
        let mut out = BTreeMap::new();
        let mut import = false;
        while let Some(key) = map.next_key_seed(KeySeed { seen: Some(&out) })? {
            if import {
                return Err(fail(format!(
                    "key {} next to \"data\": an import document holds only \"data\"",
                    shown(&key)
                )));
            }
            match map.next_value_seed(ValueSeed { key: &key })? {
                Entry::Str(value) => {
                    out.insert(key, value);
                }
                Entry::Items(items) if out.is_empty() => {
                    out = items;
                    import = true;
                }
                Entry::Items(_) => {
                    return Err(fail(
                        "\"data\" is a list next to other keys: an import document holds only \"data\"",
                    ));
                }
            }
        }
        Ok(Doc(out))
    }
}

/// A map key: strings only, named without serde's wording. With `seen` it is a store key: checked
/// for its length and against the keys read so far, here, so that the error carries the key's line.
struct KeySeed<'s> {
    seen: Option<&'s BTreeMap<String, String>>,
}

fn key_not_str<E: de::Error>(_: KeySeed<'_>, what: &str) -> E {
    fail(format!(
        "a key is {what}; keys must be strings (quote it in YAML)"
    ))
}

fn check_new_key<E: de::Error>(seen: &BTreeMap<String, String>, key: &str) -> Result<(), E> {
    check_key(key)?;
    if seen.contains_key(key) {
        return Err(fail(format!("duplicate key {}", shown(key))));
    }
    Ok(())
}

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = String;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_> {
    type Value = String;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string key")
    }
    reject_scalars!(key_not_str);
    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        if let Some(seen) = self.seen {
            check_new_key(seen, v)?;
        }
        Ok(v.to_owned())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<String, A::Error> {
        Err(key_not_str(self, "a list"))
    }
    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<String, A::Error> {
        Err(key_not_str(self, "an object"))
    }
}

/// A top-level value: a string (flat map), or the import format's list under `data`.
enum Entry {
    Str(String),
    Items(BTreeMap<String, String>),
}

struct ValueSeed<'k> {
    key: &'k str,
}

fn value_not_str<E: de::Error>(seed: ValueSeed<'_>, what: &str) -> E {
    not_a_string(Some(seed.key), what)
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_> {
    type Value = Entry;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Entry, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_> {
    type Value = Entry;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string value")
    }

    reject_scalars!(value_not_str);

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Entry, E> {
        check_value(Some(self.key), v)?;
        Ok(Entry::Str(v.to_owned()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Entry, A::Error> {
        if self.key != "data" {
            return Err(not_a_string(Some(self.key), "a list"));
        }
        let mut out = BTreeMap::new();
        let mut index = 0usize;
        while let Some((key, value)) = seq.next_element_seed(ItemSeed { index, seen: &out })? {
            out.insert(key, value);
            index += 1;
        }
        Ok(Entry::Items(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Entry, A::Error> {
        Err(not_a_string(Some(self.key), "an object"))
    }
}

/// One `{"key": "k", "value": "v"}` item of the import format.
struct ItemSeed<'s> {
    index: usize,
    seen: &'s BTreeMap<String, String>,
}

fn item_shape<E: de::Error>(seed: ItemSeed<'_>, what: &str) -> E {
    fail(format!(
        "data[{}] is {what}; each item is {{\"key\": \"k\", \"value\": \"v\"}}",
        seed.index
    ))
}

impl<'de> DeserializeSeed<'de> for ItemSeed<'_> {
    type Value = (String, String);
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ItemSeed<'_> {
    type Value = (String, String);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an item {\"key\": \"k\", \"value\": \"v\"}")
    }

    reject_scalars!(item_shape);

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Err(item_shape(self, "a string"))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(item_shape(self, "a list"))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let i = self.index;
        let mut key: Option<String> = None;
        let mut value: Option<String> = None;
        while let Some(field) = map.next_key_seed(KeySeed { seen: None })? {
            match field.as_str() {
                "key" if key.is_none() => {
                    key = Some(map.next_value_seed(FieldSeed {
                        index: i,
                        key: None,
                        seen: Some(self.seen),
                    })?);
                }
                "value" if value.is_none() => {
                    value = Some(map.next_value_seed(FieldSeed {
                        index: i,
                        key: key.as_deref(),
                        seen: None,
                    })?);
                }
                "key" | "value" => {
                    return Err(fail(format!("data[{i}]: {:?} appears twice", field)));
                }
                other => {
                    return Err(fail(format!(
                        "data[{i}]: unknown field {other:?} (an item has only \"key\" and \"value\")"
                    )));
                }
            }
        }
        let key = key.ok_or_else(|| fail(format!("data[{i}] has no \"key\"")))?;
        let value = value
            .ok_or_else(|| fail(format!("data[{i}] (key {}) has no \"value\"", shown(&key))))?;
        check_value(Some(&key), &value).map_err(|e: A::Error| fail(format!("data[{i}]: {e}")))?;
        Ok((key, value))
    }
}

/// The `key` or `value` field of an item: a string.
/// With `seen`, the field is the item's key: checked like a flat map's key, with its line.
struct FieldSeed<'k> {
    index: usize,
    key: Option<&'k str>,
    seen: Option<&'k BTreeMap<String, String>>,
}

fn field_not_str<E: de::Error>(seed: FieldSeed<'_>, what: &str) -> E {
    let e: E = not_a_string(seed.key, what);
    fail(format!("data[{}]: {e}", seed.index))
}

impl<'de> DeserializeSeed<'de> for FieldSeed<'_> {
    type Value = String;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for FieldSeed<'_> {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    reject_scalars!(field_not_str);

    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        if let Some(seen) = self.seen {
            check_new_key(seen, v).map_err(|e: E| fail(format!("data[{}]: {e}", self.index)))?;
        }
        Ok(v.to_owned())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<String, A::Error> {
        Err(field_not_str(self, "a list"))
    }

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<String, A::Error> {
        Err(field_not_str(self, "an object"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> Result<KvsData, String> {
        parse(text, DataFormat::Json, Path::new("kvs.json")).map_err(|e| e.0)
    }

    fn yaml(text: &str) -> Result<KvsData, String> {
        parse(text, DataFormat::Yaml, Path::new("kvs.yaml")).map_err(|e| e.0)
    }

    fn pairs(d: &KvsData) -> Vec<(String, String)> {
        d.iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }

    #[test]
    fn the_import_format_and_a_flat_map_give_the_same_data() {
        let import =
            json(r#"{"data": [{"key": "/old", "value": "/new"}, {"value": "2", "key": "b"}]}"#)
                .unwrap();
        let flat = json(r#"{"/old": "/new", "b": "2"}"#).unwrap();
        let y =
            yaml("data:\n  - key: /old\n    value: /new\n  - key: b\n    value: \"2\"\n").unwrap();
        let yflat = yaml("/old: /new\nb: \"2\"\n").unwrap();
        let want = vec![
            ("/old".to_owned(), "/new".to_owned()),
            ("b".to_owned(), "2".to_owned()),
        ];
        for d in [&import, &flat, &y, &yflat] {
            assert_eq!(pairs(d), want);
        }
    }

    #[test]
    fn a_flat_key_named_data_with_a_string_value_is_an_ordinary_key() {
        let d = json(r#"{"data": "x", "y": "z"}"#).unwrap();
        assert_eq!(d.get("data"), Some("x"));
        assert_eq!(d.len(), 2);
    }

    #[test]
    fn empty_objects_are_stores_without_keys_but_an_empty_file_is_an_error() {
        assert!(json("{}").unwrap().is_empty());
        assert!(json(r#"{"data": []}"#).unwrap().is_empty());
        let e = yaml("  \n").unwrap_err();
        assert!(e.starts_with("kvs.yaml: ") && e.contains("empty"), "{e}");
    }

    #[test]
    fn documents_that_are_not_objects_are_rejected_without_echoing_them() {
        for text in [r#"["s3cret"]"#, r#""s3cret""#, "42", "null"] {
            let e = json(text).unwrap_err();
            assert!(e.contains("must be an object"), "{e}");
            assert!(!e.contains("s3cret"), "{e}");
        }
        let e = yaml("- s3cret\n").unwrap_err();
        assert!(
            e.contains("must be an object") && !e.contains("s3cret"),
            "{e}"
        );
        let e = yaml("just s3cret text\n").unwrap_err();
        assert!(
            e.contains("must be an object") && !e.contains("s3cret"),
            "{e}"
        );
    }

    #[test]
    fn non_string_values_name_the_key_and_line_but_not_the_value() {
        let e = yaml("a: ok\nport: 8443\n").unwrap_err();
        assert!(e.contains("\"port\"") && e.contains("a number"), "{e}");
        assert!(e.contains("line 2"), "{e}");
        assert!(!e.contains("8443"), "{e}");
        let e = json("{\"a\": \"ok\",\n \"flag\": true}").unwrap_err();
        assert!(
            e.contains("\"flag\"") && e.contains("a boolean") && e.contains("line 2"),
            "{e}"
        );
        let e = json(r#"{"cfg": {"x": "s3cret"}}"#).unwrap_err();
        assert!(
            e.contains("\"cfg\"") && e.contains("an object") && !e.contains("s3cret"),
            "{e}"
        );
        let e = json(r#"{"data": [{"key": "k", "value": 7}]}"#).unwrap_err();
        assert!(
            e.contains("data[0]") && e.contains("\"k\"") && e.contains("a number"),
            "{e}"
        );
        let e = yaml("data:\n  - key: k\n    value: [s3cret]\n").unwrap_err();
        assert!(
            e.contains("data[0]") && e.contains("a list") && !e.contains("s3cret"),
            "{e}"
        );
    }

    #[test]
    fn duplicate_keys_are_errors_with_their_line_in_every_shape() {
        let e = json("{\"a\": \"1\",\n\"b\": \"2\",\n\"a\": \"3\"}").unwrap_err();
        assert!(
            e.contains("duplicate key \"a\"") && e.contains("line 3"),
            "{e}"
        );
        let e = yaml("a: '1'\nb: '2'\na: '3'\n").unwrap_err();
        assert!(
            e.contains("duplicate key \"a\"") && e.contains("line 3"),
            "{e}"
        );
        let e = json(
            "{\"data\": [\n{\"key\": \"a\", \"value\": \"1\"},\n{\"key\": \"a\", \"value\": \"2\"}\n]}",
        )
        .unwrap_err();
        assert!(
            e.contains("data[1]: duplicate key \"a\"") && e.contains("line 3"),
            "{e}"
        );
        let e = yaml("data:\n  - {key: a, value: '1'}\n  - {key: a, value: '2'}\n").unwrap_err();
        assert!(
            e.contains("duplicate key \"a\"") && e.contains("line 3"),
            "{e}"
        );
    }

    #[test]
    fn import_items_must_have_exactly_key_and_value() {
        let e = json(r#"{"data": [{"key": "a"}]}"#).unwrap_err();
        assert!(e.contains("data[0]") && e.contains("no \"value\""), "{e}");
        let e = json(r#"{"data": [{"value": "s3cret"}]}"#).unwrap_err();
        assert!(
            e.contains("data[0] has no \"key\"") && !e.contains("s3cret"),
            "{e}"
        );
        let e = json(r#"{"data": [{"key": "a", "value": "b", "ttl": "1"}]}"#).unwrap_err();
        assert!(e.contains("unknown field \"ttl\""), "{e}");
        let e = json(r#"{"data": ["s3cret"]}"#).unwrap_err();
        assert!(
            e.contains("data[0] is a string") && !e.contains("s3cret"),
            "{e}"
        );
        let e = json(r#"{"data": [{"key": "a", "value": "b"}], "extra": "x"}"#).unwrap_err();
        assert!(
            e.contains("\"extra\"") && e.contains("only \"data\""),
            "{e}"
        );
        let e = json(r#"{"extra": "x", "data": [{"key": "a", "value": "b"}]}"#).unwrap_err();
        assert!(e.contains("only \"data\""), "{e}");
    }

    #[test]
    fn keys_must_be_strings_of_1_to_512_bytes() {
        let e = yaml("301: /moved\n").unwrap_err();
        assert!(e.contains("keys must be strings"), "{e}");
        let e = json(r#"{"": "x"}"#).unwrap_err();
        assert!(e.contains("a key is empty"), "{e}");
        let at_limit = "k".repeat(MAX_KEY_BYTES);
        assert!(json(&format!(r#"{{"{at_limit}": "v"}}"#)).is_ok());
        // Bytes, as the emulator counts them: 257 two-byte characters are 514 bytes.
        let over = "é".repeat(MAX_KEY_BYTES / 2 + 1);
        let e = json(&format!(r#"{{"{over}": "v"}}"#)).unwrap_err();
        assert!(e.contains("514 bytes") && e.contains("at most 512"), "{e}");
        assert!(e.len() < 300, "a long key is shortened in the message: {e}");
        let e = json(&format!(
            r#"{{"data": [{{"key": "{over}", "value": "v"}}]}}"#
        ))
        .unwrap_err();
        assert!(e.contains("data[0]") && e.contains("514 bytes"), "{e}");
    }

    #[test]
    fn values_over_1024_bytes_name_the_key_not_the_value() {
        let at_limit = "é".repeat(MAX_VALUE_BYTES / 2);
        assert!(json(&format!(r#"{{"k": "{at_limit}"}}"#)).is_ok());
        assert!(json(&format!(r#"{{"k": "{at_limit}x"}}"#)).is_err());
        let over = format!("s3cret{}", "x".repeat(MAX_VALUE_BYTES));
        let e = json(&format!("{{\"ok\": \"1\",\n\"big\": \"{over}\"}}")).unwrap_err();
        assert!(
            e.contains("\"big\"") && e.contains("1030 bytes") && e.contains("line 2"),
            "{e}"
        );
        assert!(!e.contains("s3cret"), "{e}");
        let e = json(&format!(
            r#"{{"data": [{{"value": "{over}", "key": "late"}}]}}"#
        ))
        .unwrap_err();
        assert!(
            e.contains("data[0]") && e.contains("\"late\"") && !e.contains("s3cret"),
            "{e}"
        );
    }

    #[test]
    fn a_store_over_5_mb_is_rejected_with_its_size() {
        let value = "v".repeat(MAX_VALUE_BYTES);
        let n = MAX_STORE_BYTES / (MAX_VALUE_BYTES + 8) + 1;
        let body: Vec<String> = (0..n)
            .map(|i| format!("\"k{i:07}\": \"{value}\""))
            .collect();
        let text = format!("{{{}}}", body.join(","));
        let e = json(&text).unwrap_err();
        assert!(
            e.starts_with("kvs.json: ") && e.contains("at most 5242880 bytes"),
            "{e}"
        );
        let fits: Vec<String> = (0..n - 1)
            .map(|i| format!("\"k{i:07}\": \"{value}\""))
            .collect();
        assert_eq!(
            json(&format!("{{{}}}", fits.join(","))).unwrap().len(),
            n - 1
        );
    }

    #[test]
    fn trailing_content_and_syntax_errors_name_the_file() {
        let e = json(r#"{"a": "1"} {"b": "2"}"#).unwrap_err();
        assert!(e.starts_with("kvs.json: "), "{e}");
        let e = yaml("a: [unclosed\n").unwrap_err();
        assert!(e.starts_with("kvs.yaml: "), "{e}");
    }

    #[test]
    fn debug_and_display_show_keys_and_sizes_never_values() {
        let d: KvsData = [("jwt-key".to_owned(), "s3cret-signing-key".to_owned())]
            .into_iter()
            .collect();
        let shown = format!("{d:?} {d} {d:#?}");
        assert!(
            shown.contains("jwt-key") && shown.contains("1 key, 25 bytes"),
            "{shown}"
        );
        assert!(!shown.contains("s3cret"), "{shown}");
    }

    #[test]
    fn load_picks_the_parser_by_extension_and_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let y = dir.path().join("data.yml");
        std::fs::write(&y, "a: b\n").unwrap();
        assert_eq!(load(&y).unwrap().get("a"), Some("b"));
        let t = dir.path().join("data.txt");
        std::fs::write(&t, "{}").unwrap();
        let e = load(&t).unwrap_err().0;
        assert!(
            e.contains("data.txt") && e.contains(".json, .yaml or .yml"),
            "{e}"
        );
        let missing = dir.path().join("missing.json");
        assert!(
            load(&missing)
                .unwrap_err()
                .0
                .contains("missing.json: cannot read")
        );
    }
}
