//! A local emulator of the CloudFront API (2020-05-31, REST-XML: functions, key value stores,
//! distributions) and the CloudFront KeyValueStore data plane (2022-07-26, REST-JSON) over one
//! in-memory store.
//!
//! Real AWS SDKs talk to it. TestFunction runs code in the embedded [`crate::runtime`]. It knows
//! nothing of the pipeline: they meet only over HTTP. The CLI calls [`serve`]; the demo and tests
//! call [`start`] and talk to [`Running::endpoint_url`].
//!
//! Layout, in request order: `server` (the one handler: route, auth, faults, latency, log) →
//! an API module (`cloudfront` for the REST-XML API, `kvs` for the key value store data plane's
//! REST-JSON) → `store` (state and its rules). `wire`,
//! `operation`, `errors` and `app` are the small shared pieces they all use.

mod app;
mod cloudfront;
mod errors;
mod faults;
mod kvs;
mod operation;
mod reqlog;
mod server;
mod store;
mod wire;
mod workers;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub use faults::{LoseHow, LoseRule};
pub use operation::Operation;
pub use store::Store;

/// `--listen`: an address, or a host name with a port, resolved here. The first IPv4 address wins
/// (`localhost` is 127.0.0.1 as in the README's examples, which most clients try first).
fn parse_listen(s: &str) -> Result<SocketAddr, String> {
    use std::net::ToSocketAddrs;
    if let Ok(addr) = s.parse() {
        return Ok(addr);
    }
    let addrs: Vec<SocketAddr> = s
        .to_socket_addrs()
        .map_err(|e| format!("{s:?} is not an address or HOST:PORT ({e})"))?
        .collect();
    addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or(addrs.first())
        .copied()
        .ok_or_else(|| format!("{s:?} resolves to no address"))
}

/// Flags of `cloudfront-publish emulator`.
#[derive(Debug, Clone, clap::Args)]
pub struct EmulatorArgs {
    /// Address or HOST:PORT to listen on (`localhost:4566`; port 0 = any free port).
    #[arg(long, default_value = "127.0.0.1:4566", value_parser = parse_listen)]
    pub listen: SocketAddr,
    /// Delay added to every response, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Share of requests (0.0-1.0) answered with 503 ServiceUnavailable or 400 Throttling.
    #[arg(long, default_value_t = 0.0)]
    pub fault_rate: f64,
    /// Seed for the fault injection and the lost answers.
    #[arg(long, default_value_t = 0)]
    pub fault_seed: u64,
    /// Share of successful writes (0.0-1.0) that are applied and then answered with 503
    /// ServiceUnavailable or a dropped connection (seeded by --fault-seed).
    #[arg(long, default_value_t = 0.0)]
    pub lose_rate: f64,
    /// Lose the answers of these writes after applying them: OPERATION[:503|:drop][:COUNT|:all],
    /// comma-separated or repeated. OPERATION is CreateFunction, UpdateFunction,
    /// PublishFunction, DeleteFunction, Create/Update/DeleteKeyValueStore, PutKey, DeleteKey,
    /// UpdateKeys, Create/Update/DeleteDistribution (or `writes` for all); 503 (the default) answers
    /// ServiceUnavailable, drop closes the connection; COUNT (default 1) loses the first COUNT
    /// successful answers, `all` every one. E.g. `--lose CreateFunction,UpdateFunction:drop`.
    #[arg(long, value_delimiter = ',', value_name = "RULE")]
    pub lose: Vec<LoseRule>,
    /// Persist state to this JSON file and reload it at start.
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// Account id used in ARNs.
    #[arg(long, default_value = "123456789012")]
    pub account_id: String,
    /// Append one JSON line per request (method, path, status, error code).
    #[arg(long)]
    pub request_log: Option<PathBuf>,
}

/// The emulator could not start or stop cleanly.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct EmulatorError(pub String);

/// How to run the emulator; [`Config::default`] is an in-memory emulator on a free loopback port.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on (port 0 = any free port).
    pub listen: SocketAddr,
    /// Delay added to every response.
    pub latency: Duration,
    /// Share of requests (0.0-1.0) answered with 503 ServiceUnavailable or 400 Throttling.
    pub fault_rate: f64,
    /// Seed for the fault injection and the lost answers.
    pub fault_seed: u64,
    /// Share of successful writes (0.0-1.0) applied and then answered with 503 or a dropped
    /// connection.
    pub lose_rate: f64,
    /// Writes whose answers are lost after they are applied (see [`LoseRule`]).
    pub lose: Vec<LoseRule>,
    /// Persist state to this JSON file (atomically, after each change) and reload it at start.
    pub state_file: Option<PathBuf>,
    /// Account id used in ARNs (12 digits).
    pub account_id: String,
    /// Append one JSON line per request to this file.
    pub request_log: Option<PathBuf>,
    /// Largest accepted function code in bytes (the service quota is 10 KB).
    pub max_code_bytes: usize,
    /// Most functions the account may hold (TooManyFunctions beyond).
    pub max_functions: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            latency: Duration::ZERO,
            fault_rate: 0.0,
            fault_seed: 0,
            lose_rate: 0.0,
            lose: Vec::new(),
            state_file: None,
            account_id: "123456789012".to_owned(),
            request_log: None,
            max_code_bytes: crate::types::MAX_FUNCTION_CODE_BYTES,
            max_functions: 100,
        }
    }
}

impl From<EmulatorArgs> for Config {
    fn from(args: EmulatorArgs) -> Self {
        Self {
            listen: args.listen,
            latency: Duration::from_millis(args.latency_ms),
            fault_rate: args.fault_rate,
            fault_seed: args.fault_seed,
            lose_rate: args.lose_rate,
            lose: args.lose,
            state_file: args.state,
            account_id: args.account_id,
            request_log: args.request_log,
            ..Self::default()
        }
    }
}

impl Config {
    fn validate(&self) -> Result<(), EmulatorError> {
        if !(0.0..=1.0).contains(&self.fault_rate) {
            return Err(EmulatorError(format!(
                "--fault-rate {} is not between 0.0 and 1.0",
                self.fault_rate
            )));
        }
        if !(0.0..=1.0).contains(&self.lose_rate) {
            return Err(EmulatorError(format!(
                "--lose-rate {} is not between 0.0 and 1.0",
                self.lose_rate
            )));
        }
        if let Some(read) = self
            .lose
            .iter()
            .filter_map(|rule| rule.operation)
            .find(|op| !op.is_write())
        {
            return Err(EmulatorError(format!(
                "--lose {read}: only the answers of writes can be lost"
            )));
        }
        if self.account_id.len() != 12 || !self.account_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(EmulatorError(format!(
                "--account-id {:?} is not a 12-digit AWS account id",
                self.account_id
            )));
        }
        Ok(())
    }
}

/// Feeds untrusted bytes to every request decoder of the server (the router on `path`, the
/// Create/Update and TestFunction body parsers and validators) and drops the results.
/// For the fuzz targets in `fuzz/`; not part of the API.
#[doc(hidden)]
pub fn fuzz_decode(path: &str, body: &[u8]) {
    cloudfront::decode_untrusted(path, body);
    kvs::decode_untrusted(path, body);
}

/// A running emulator; dropping it stops the server too, [`Running::shutdown`] waits for that.
#[derive(Debug)]
pub struct Running {
    addr: SocketAddr,
    store: Store,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// The bound address (with the real port when the config asked for port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://HOST:PORT`, the endpoint URL to give an SDK.
    pub fn endpoint_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The emulator's state, for tests and the demo to inspect or arrange it.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Stops accepting requests, lets in-flight ones finish, and waits for the server to end.
    pub async fn shutdown(mut self) -> Result<(), EmulatorError> {
        if let Some(stop) = self.stop.take() {
            // The server may already be gone; then there is nobody to tell.
            let _ = stop.send(());
        }
        match (&mut self.task).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(EmulatorError(format!("emulator on {}: {e}", self.addr))),
            Err(e) => Err(EmulatorError(format!(
                "emulator on {} stopped: {e}",
                self.addr
            ))),
        }
    }
}

/// Binds, loads state and starts serving in the background.
pub async fn start(config: Config) -> Result<Running, EmulatorError> {
    config.validate()?;
    let store = match &config.state_file {
        Some(path) => Store::persistent(path, config.max_functions)
            .map_err(|e| EmulatorError(e.to_string()))?,
        None => Store::in_memory(config.max_functions),
    };
    let log = match &config.request_log {
        Some(path) => Some(
            reqlog::RequestLog::open(path)
                .map_err(|e| EmulatorError(format!("--request-log {}: {e}", path.display())))?,
        ),
        None => None,
    };
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| EmulatorError(format!("--listen {}: {e}", config.listen)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| EmulatorError(format!("--listen {}: {e}", config.listen)))?;

    let limits = crate::runtime::Limits {
        max_code_bytes: config.max_code_bytes,
        ..crate::runtime::Limits::default()
    };
    let app = Arc::new(app::App {
        store: store.clone(),
        account_id: config.account_id.clone(),
        latency: config.latency,
        faults: faults::Faults::new(config.fault_rate, config.fault_seed),
        losses: faults::Losses::new(config.lose_rate, &config.lose, config.fault_seed),
        events: std::sync::atomic::AtomicU64::new(0),
        log,
        max_code_bytes: config.max_code_bytes,
        limits,
        workers: workers::Workers::start()
            .map_err(|e| EmulatorError(format!("cannot start the TestFunction threads: {e}")))?,
    });
    let router = axum::Router::new().fallback(server::handle).with_state(app);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = axum::serve(listener, router).with_graceful_shutdown(async move {
        // Either an explicit stop or the `Running` handle being dropped ends the server.
        let _ = stopped.await;
    });
    let task = tokio::spawn(server.into_future());
    Ok(Running {
        addr,
        store,
        stop: Some(stop),
        task,
    })
}

/// Serves until SIGINT/SIGTERM; prints `listening on http://HOST:PORT` first.
pub async fn serve(args: EmulatorArgs) -> Result<(), EmulatorError> {
    // Handlers are installed before the listening line is printed: a supervisor that signals as
    // soon as it reads the line must get a graceful stop, not the default kill.
    let signals = Signals::install()?;
    serve_until(Config::from(args), &mut std::io::stdout(), signals.recv()).await
}

/// Starts the emulator, writes `listening on http://HOST:PORT` (and flushes) to `out`, and serves
/// until `stop` resolves; then shuts down gracefully.
pub async fn serve_until<W, F>(config: Config, out: &mut W, stop: F) -> Result<(), EmulatorError>
where
    W: std::io::Write,
    F: std::future::Future<Output = ()>,
{
    let running = start(config).await?;
    // One write, so the line arrives whole even on a pipe read as it comes.
    let line = format!("listening on {}\n", running.endpoint_url());
    out.write_all(line.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| EmulatorError(format!("stdout: {e}")))?;
    stop.await;
    running.shutdown().await
}

/// SIGINT and SIGTERM, registered at once (tokio registers a signal when its stream is created).
struct Signals {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
}

impl Signals {
    fn install() -> Result<Self, EmulatorError> {
        let signal_error =
            |e: std::io::Error| EmulatorError(format!("cannot listen for signals: {e}"));
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Self {
                term: signal(SignalKind::terminate()).map_err(signal_error)?,
                int: signal(SignalKind::interrupt()).map_err(signal_error)?,
            })
        }
        #[cfg(not(unix))]
        {
            let _ = signal_error;
            Ok(Self {})
        }
    }

    async fn recv(mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.int.recv() => {}
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser as _;

    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        args: EmulatorArgs,
    }

    #[test]
    fn the_fuzz_entry_survives_the_seed_corpus_and_cut_or_garbled_requests_of_every_api() {
        let corpus = concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/corpus/emulator_request");
        let mut inputs: Vec<Vec<u8>> = std::fs::read_dir(corpus)
            .map(|dir| {
                dir.filter_map(Result::ok)
                    .filter_map(|e| std::fs::read(e.path()).ok())
                    .collect()
            })
            .unwrap_or_default();
        assert!(!inputs.is_empty(), "the seed corpus is in {corpus}");
        let arn = "arn%3Aaws%3Acloudfront%3A%3A123456789012%3Akey-value-store%2Fa1b2c3d4-5678-90ab-cdef-000000011111";
        inputs.push(
            format!(
                "/key-value-stores/{arn}/keys/k\n{{\"Puts\":[{{\"Key\":\"k\",\"Value\":\"v\"}}]}}"
            )
            .into_bytes(),
        );
        inputs.push(b"/2020-05-31/distribution/E1/config\n<DistributionConfig><CallerReference>r</CallerReference><Enabled>true</Enabled><DefaultCacheBehavior><FunctionAssociations><Quantity>1</Quantity></FunctionAssociations></DefaultCacheBehavior></DistributionConfig>".to_vec());
        inputs.push(b"/2020-05-31/key-value-store/s\n<CreateKeyValueStoreRequest><Name>s</Name></CreateKeyValueStoreRequest>".to_vec());
        let mut rng = fastrand::Rng::with_seed(11);
        for input in inputs.clone() {
            // Every prefix, and copies with a few bytes replaced at random.
            for cut in 0..input.len().min(400) {
                inputs.push(input[..cut].to_vec());
            }
            for _ in 0..50 {
                let mut garbled = input.clone();
                for _ in 0..4 {
                    if !garbled.is_empty() {
                        let i = rng.usize(..garbled.len());
                        garbled[i] = rng.u8(..);
                    }
                }
                inputs.push(garbled);
            }
        }
        for data in &inputs {
            let (path, body) = match data.iter().position(|&b| b == b'\n') {
                Some(i) => (&data[..i], &data[i + 1..]),
                None => (&b""[..], &data[..]),
            };
            fuzz_decode(&String::from_utf8_lossy(path), body);
        }
    }

    #[test]
    fn lose_rules_come_comma_separated_or_repeated_and_reads_are_refused() {
        let cli = Cli::try_parse_from([
            "emulator",
            "--lose",
            "CreateFunction,UpdateFunction:drop",
            "--lose",
            "PublishFunction:503:2",
            "--lose-rate",
            "0.25",
        ])
        .unwrap();
        let config = Config::from(cli.args);
        let rules: Vec<String> = config.lose.iter().map(ToString::to_string).collect();
        assert_eq!(
            rules,
            [
                "CreateFunction:503:1",
                "UpdateFunction:drop:1",
                "PublishFunction:503:2"
            ]
        );
        assert_eq!(config.lose_rate, 0.25);
        let err = Cli::try_parse_from(["emulator", "--lose", "GetFunction"])
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("not a write"), "{err}");
    }
}
