//! What every request handler shares: the store, the account, the limits, and the fault, loss,
//! latency and log settings of this emulator.
//!
//! Not for: behaviour (see `server` for the request path, the API modules for the operations).

use std::sync::atomic::AtomicU64;
use std::time::Duration;

use crate::emulator::faults::{Faults, Losses};
use crate::emulator::reqlog::RequestLog;
use crate::emulator::store::Store;
use crate::emulator::workers::Workers;
use crate::runtime::Limits;

/// Everything a request handler needs, shared by all requests.
#[derive(Debug)]
pub struct App {
    /// The functions.
    pub store: Store,
    /// Account id used in ARNs.
    pub account_id: String,
    /// Delay added to every response.
    pub latency: Duration,
    /// Fault injection (before a request is served).
    pub faults: Faults,
    /// Lost answers (after a write was applied).
    pub losses: Losses,
    /// One counter of request arrivals and completions: its values order them in the log.
    pub events: AtomicU64,
    /// Request log, when enabled.
    pub log: Option<RequestLog>,
    /// Largest accepted function code in bytes.
    pub max_code_bytes: usize,
    /// Limits handed to the runtime for TestFunction.
    pub limits: Limits,
    /// The threads TestFunction runs functions on.
    pub workers: Workers,
}
