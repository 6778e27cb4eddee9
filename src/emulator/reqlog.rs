//! The request log: one JSON line per request with its start and end (as times, and as positions
//! in one counter of arrivals and completions), operation, function, status, error code and
//! whether its answer was lost, so tests can see the order of requests and which overlapped.
//!
//! Not for: diagnostics (see `tracing`); it never holds bodies or credentials.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Serialize;

/// One line of the request log.
#[derive(Debug, Clone, Serialize)]
pub struct LogEntry<'a> {
    /// When the request arrived, in milliseconds since the Unix epoch.
    pub start_ms: u64,
    /// When the response was ready (after any added latency), in milliseconds since the Unix epoch.
    pub end_ms: u64,
    /// Position of the arrival in the emulator's one counter of arrivals and completions.
    pub start_seq: u64,
    /// Position of the completion (the answer ready to send) in the same counter: request B
    /// overlapped A exactly when `B.start_seq < A.end_seq` and `A.start_seq < B.end_seq`.
    pub end_seq: u64,
    /// HTTP method.
    pub method: &'a str,
    /// Request path (no query).
    pub path: &'a str,
    /// API operation, e.g. `UpdateFunction`; null when the request matched none.
    pub operation: Option<&'a str>,
    /// Function name the request was about, if any.
    pub function: Option<&'a str>,
    /// Other resource the request was about: a key value store name or ARN, a distribution id.
    pub resource: Option<&'a str>,
    /// The signing scheme of the `Authorization` header (`AWS4-HMAC-SHA256` for SigV4,
    /// `AWS4-ECDSA-P256-SHA256` for SigV4A); never the credential or signature.
    pub auth: Option<&'a str>,
    /// HTTP status of the answer.
    pub status: u16,
    /// Error code of the answer; null on success.
    pub error_code: Option<&'a str>,
    /// `503` or `drop` when the write was applied (`status` says how) and its answer then lost;
    /// null when the client got the answer.
    pub lost: Option<&'a str>,
}

/// An append-only JSON-lines file.
#[derive(Debug)]
pub struct RequestLog {
    path: PathBuf,
    file: Mutex<File>,
}

impl RequestLog {
    /// Opens (creating if needed) `path` for appending.
    pub fn open(path: &Path) -> std::io::Result<Self> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(Self {
            path: path.to_owned(),
            file: Mutex::new(file),
        })
    }

    /// Appends one line; a failed write is reported, not fatal.
    pub fn write(&self, entry: &LogEntry<'_>) {
        let mut line = match serde_json::to_vec(entry) {
            Ok(line) => line,
            Err(e) => {
                tracing::error!("request log: {e}");
                return;
            }
        };
        line.push(b'\n');
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        // One write per line keeps lines whole even when another process appends too.
        if let Err(e) = file.write_all(&line) {
            tracing::error!("request log {}: {e}", self.path.display());
        }
    }
}
