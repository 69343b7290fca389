//! The live terminal view of `queue receive`: owns the terminal (ratatui init/restore), the
//! event loop, and confirms to the receiver what it has drawn.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::receive::Batch;

/// What the header shows.
#[derive(Debug, Clone)]
pub struct ViewHeader {
    /// Queue name.
    pub queue: String,
    /// A FIFO queue.
    pub fifo: bool,
    /// Endpoint in use.
    pub endpoint: String,
    /// Region in use.
    pub region: String,
}

/// When the view exits by itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct Limits {
    /// After this many messages.
    pub count: Option<u64>,
    /// After this long without a message.
    pub idle: Option<Duration>,
}

/// Runs the receive view until `q`, Ctrl-C, a limit, or the receiver ends; restores the
/// terminal on every path. Cancels `cancel` when it stops.
///
/// # Errors
/// Terminal I/O failures.
pub async fn run_receive_view(
    _header: ViewHeader,
    _batches: mpsc::Receiver<Batch>,
    _limits: Limits,
    _cancel: CancellationToken,
) -> Result<ExitCode> {
    todo!("tui helper")
}
