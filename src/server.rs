//! `queue serve`: an embedded SQS-compatible server that behaves like real SQS (reordering and
//! duplicates on standard queues, FIFO groups and the 5-minute dedup window).
//!
//! Entry points: [`run`] / [`run_with`] serve on a listener until `shutdown` resolves;
//! [`LocalServer`] starts one on `127.0.0.1:0` for tests and the demo; [`serve`] is the
//! `queue serve` command. Everything else is private to the server:
//!
//! - `http` (routing, `--latency`, `--fail-rate`), `query` and `xml` (the Query protocol) and
//!   `error` (`SqsError`) speak the wire;
//! - `engine` owns the state and the clock and waits for long polls (`waiting`: which servers
//!   each waiting poll listens to, and the wakes); `actions` has one file per group of SQS
//!   actions, found by name in `actions.rs`;
//! - `store` (`State`), `queue`, `attributes`, `standard`, `fifo`, `receipt`, `md5`, `validate`
//!   and `clock` are the state and the rules the actions apply;
//! - `auth` (`--auth`) holds the keys that may sign and checks each request's SigV4 signature;
//! - `move_tasks` keeps the message move tasks (DLQ redrive) and runs each in the background;
//! - `console` is the web console for browsers (pages, forms, live events) over the engine;
//! - `listen` is the accept loop, which holds clients to the [`Limits`] (`limits`) with the
//!   body guard in `http` and `write_timeout` for clients that stop reading; `fuzzing` is the
//!   entry of the fuzz targets in `fuzz/`.

mod actions;
mod answer;
mod attributes;
mod auth;
mod clock;
mod console;
mod durable;
mod engine;
mod error;
mod fifo;
mod http;
mod input;
mod journal;
mod limits;
mod listen;
mod md5;
mod metrics;
mod move_tasks;
mod query;
mod query_json;
mod queue;
mod queue_url;
mod receipt;
mod sns;
mod standard;
mod store;
mod validate;
mod waiting;
mod write_timeout;
mod xml;

mod command;
#[doc(hidden)]
pub mod fuzzing;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod test_support;

pub use limits::Limits;

use std::future::Future;
use std::process::ExitCode;
use std::time::Duration;

use std::net::SocketAddr;

use anyhow::{Context as _, Result, anyhow};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::cli::{
    PRAC_FIFO_QUEUE, PRAC_FIFO_TOPIC, PRAC_STANDARD_QUEUE, PRAC_SUBSCRIBER_FIFO_QUEUE,
    PRAC_SUBSCRIBER_QUEUE, PRAC_TOPIC, ServeArgs,
};
use crate::config::Config;
pub use auth::Keys;
pub(crate) use auth::canonical_path_and_query;
use engine::Engine;

/// How the server behaves.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Queues created at start, in the default region and account (a `.fifo` name makes a FIFO
    /// queue with content-based deduplication).
    pub queues: Vec<String>,
    /// SNS topics created at start with queues subscribed (raw delivery); the queues are
    /// created if missing.
    pub topics: Vec<StartupTopic>,
    /// Seed for every random choice; `None` seeds from the OS.
    pub seed: Option<u64>,
    /// Simulated storage servers per standard queue.
    pub servers: u32,
    /// Probability that a delete misses a replica (the message is delivered again later), for
    /// a message that arrived while a long poll waited or came from a busy queue.
    pub duplicate_rate: f64,
    /// Standard queues in strict order, no duplicates.
    pub ordered: bool,
    /// Added to every response.
    pub latency: Duration,
    /// Fraction of requests and batch entries answered with a retryable error.
    pub fail_rate: f64,
    /// `--auth`: only requests signed with one of these keys are served; `None` serves all.
    pub auth: Option<std::sync::Arc<Keys>>,
    /// Body and header sizes, connections and timeouts a client is held to.
    pub limits: Limits,
    /// `--data-dir`: keep queues and messages here, across restarts; `None` keeps them in
    /// memory only.
    pub data_dir: Option<std::path::PathBuf>,
    /// Serve the web console at `/` for browsers (docs/console.md); `--no-console` turns it
    /// off.
    pub console: bool,
}

/// A topic `queue serve` creates at start, and the queues it delivers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartupTopic {
    /// Topic name (`.fifo`: a FIFO topic with content-based deduplication).
    pub name: String,
    /// Names of the queues subscribed to it with raw delivery.
    pub queues: Vec<String>,
}

impl StartupTopic {
    /// The practical's two topics as `terraform/sns.tf` wires them (with `sns_fanout`): each
    /// delivers raw to the practical's queue of its kind and to a second subscriber queue.
    #[must_use]
    pub fn practical() -> Vec<Self> {
        vec![
            Self {
                name: PRAC_TOPIC.to_string(),
                queues: vec![
                    PRAC_STANDARD_QUEUE.to_string(),
                    PRAC_SUBSCRIBER_QUEUE.to_string(),
                ],
            },
            Self {
                name: PRAC_FIFO_TOPIC.to_string(),
                queues: vec![
                    PRAC_FIFO_QUEUE.to_string(),
                    PRAC_SUBSCRIBER_FIFO_QUEUE.to_string(),
                ],
            },
        ]
    }
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            queues: vec![PRAC_STANDARD_QUEUE.to_string(), PRAC_FIFO_QUEUE.to_string()],
            topics: StartupTopic::practical(),
            seed: None,
            servers: 5,
            duplicate_rate: 0.01,
            ordered: false,
            latency: Duration::ZERO,
            fail_rate: 0.0,
            auth: None,
            limits: Limits::default(),
            data_dir: None,
            console: true,
        }
    }
}

impl ServeOptions {
    /// Options for reproducible runs and tests: no queues or topics at start, this seed, strict order,
    /// no duplicates, no latency and no injected failures. Tests that want the realism model
    /// start from here and switch `ordered` off (and set `duplicate_rate`) themselves.
    #[must_use]
    pub fn deterministic(seed: u64) -> Self {
        Self {
            queues: Vec::new(),
            topics: Vec::new(),
            seed: Some(seed),
            servers: 5,
            duplicate_rate: 0.0,
            ordered: true,
            latency: Duration::ZERO,
            fail_rate: 0.0,
            auth: None,
            limits: Limits::default(),
            data_dir: None,
            console: true,
        }
    }
}

/// Serves SQS on `listener` with default options until `shutdown` resolves.
///
/// # Errors
/// The listener failed.
pub async fn run(
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    run_with(listener, ServeOptions::default(), shutdown).await
}

/// Serves SQS on `listener` until `shutdown` resolves, then finishes the requests in flight
/// (waiting long polls answer empty at once) and returns.
///
/// # Errors
/// The listener failed.
pub async fn run_with(
    listener: TcpListener,
    options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let engine = Engine::open(&options).await?;
    serve_engine(listener, engine, &options, shutdown).await
}

/// Serves `engine` on `listener` until `shutdown` resolves.
async fn serve_engine(
    listener: TcpListener,
    engine: Engine,
    options: &ServeOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    sns::warm_up();
    engine.start_sampler();
    let stopping = CancellationToken::new();
    let app = http::router(engine.clone(), options, stopping.clone());
    let server = listen::serve(listener, app, options.limits, stopping.clone());
    tokio::pin!(server, shutdown);
    tokio::select! {
        () = &mut server => {}
        () = &mut shutdown => {
            stopping.cancel();
            // Requests in flight get a grace period; a connection that never finishes its
            // request does not keep the server alive.
            let _ = tokio::time::timeout(SHUTDOWN_GRACE, &mut server).await;
        }
    }
    // Move tasks stop with the server.
    engine.stop_background().await;
    Ok(())
}

/// How long requests in flight may take to finish once shutdown starts.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// A server running in this process on a free loopback port (tests, the demo).
pub struct LocalServer {
    /// Where it listens.
    addr: SocketAddr,
    /// The engine, kept to move its clock.
    engine: Engine,
    /// Cancelled to stop the server (also on drop).
    stop: CancellationToken,
    /// The serving task, joined by [`LocalServer::stop`].
    task: Option<JoinHandle<Result<()>>>,
}

impl LocalServer {
    /// Starts a server on `127.0.0.1:0`.
    ///
    /// # Errors
    /// No port could be bound.
    pub async fn start(options: ServeOptions) -> Result<Self> {
        let listener = TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0))
            .await
            .context("cannot bind a loopback port for the local SQS server")?;
        let addr = listener.local_addr()?;
        let engine = Engine::open(&options).await?;
        let stop = CancellationToken::new();
        let task = tokio::spawn({
            let engine = engine.clone();
            let stopped = stop.clone().cancelled_owned();
            async move { serve_engine(listener, engine, &options, stopped).await }
        });
        Ok(Self {
            addr,
            engine,
            stop,
            task: Some(task),
        })
    }

    /// `http://127.0.0.1:PORT`.
    #[must_use]
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Moves the server's clock forward (visibility timeouts, delays, the dedup window):
    /// lets tests and the demo skip time without sleeping.
    pub fn advance_clock(&self, by: Duration) {
        self.engine.advance_clock(by);
    }

    /// Stops the server and waits for it.
    ///
    /// # Errors
    /// The server task failed.
    pub async fn stop(mut self) -> Result<()> {
        self.stop.cancel();
        match self.task.take() {
            Some(task) => task
                .await
                .map_err(|e| anyhow!("the local SQS server task failed: {e}"))?,
            None => Ok(()),
        }
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// `queue serve`: binds, prints the endpoint and the lines to paste, serves until SIGINT or
/// SIGTERM.
///
/// # Errors
/// A flag out of range (usage error), or the address could not be bound.
pub async fn serve(args: ServeArgs, config: &Config) -> Result<ExitCode> {
    command::serve(args, config).await
}
