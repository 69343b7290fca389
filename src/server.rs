//! `queue serve`: an embedded SQS-compatible server that behaves like real SQS (reordering and
//! duplicates on standard queues, FIFO groups and the 5-minute dedup window).
//!
//! Entry points: [`run`] / [`run_with`] serve on a listener until `shutdown` resolves;
//! [`LocalServer`] starts one on `127.0.0.1:0` for tests and the demo; [`serve`] is the
//! `queue serve` command.

pub mod dispatch;
pub mod error;

use std::future::Future;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;
use tokio::net::TcpListener;

use crate::cli::{PRAC_FIFO_QUEUE, PRAC_STANDARD_QUEUE, ServeArgs};
use crate::config::Config;

/// How the server behaves.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Queues created at start, in the default region and account (a `.fifo` name makes a FIFO
    /// queue with content-based deduplication).
    pub queues: Vec<String>,
    /// Seed for every random choice; `None` seeds from the OS.
    pub seed: Option<u64>,
    /// Simulated storage servers per standard queue.
    pub servers: u32,
    /// Probability that a delete misses a replica (the message is delivered again later).
    pub duplicate_rate: f64,
    /// Standard queues in strict order, no duplicates.
    pub ordered: bool,
    /// Added to every response.
    pub latency: Duration,
    /// Fraction of requests and batch entries answered with a retryable error.
    pub fail_rate: f64,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            queues: vec![PRAC_STANDARD_QUEUE.to_string(), PRAC_FIFO_QUEUE.to_string()],
            seed: None,
            servers: 5,
            duplicate_rate: 0.01,
            ordered: false,
            latency: Duration::ZERO,
            fail_rate: 0.0,
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

/// Serves SQS on `listener` until `shutdown` resolves.
///
/// # Errors
/// The listener failed.
pub async fn run_with(
    _listener: TcpListener,
    _options: ServeOptions,
    _shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    todo!("server wire helper")
}

/// A server running in this process on a free loopback port (tests, the demo).
pub struct LocalServer {
    // server wire helper: listener address, engine handle, shutdown token, task handle
}

impl LocalServer {
    /// Starts a server on `127.0.0.1:0`.
    ///
    /// # Errors
    /// No port could be bound.
    pub async fn start(_options: ServeOptions) -> Result<Self> {
        todo!("server wire helper")
    }

    /// `http://127.0.0.1:PORT`.
    #[must_use]
    pub fn endpoint(&self) -> String {
        todo!("server wire helper")
    }

    /// Moves the server's clock forward (visibility timeouts, delays, the dedup window):
    /// lets tests and the demo skip time without sleeping.
    pub fn advance_clock(&self, _by: Duration) {
        todo!("server engine helper")
    }

    /// Stops the server and waits for it.
    ///
    /// # Errors
    /// The server task failed.
    pub async fn stop(self) -> Result<()> {
        todo!("server wire helper")
    }
}

/// `queue serve`: binds, prints the endpoint and the lines to paste, serves until SIGINT or
/// SIGTERM.
///
/// # Errors
/// The address could not be bound.
pub async fn serve(_args: ServeArgs, _config: &Config) -> Result<ExitCode> {
    todo!("server wire helper")
}
