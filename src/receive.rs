//! The receiver: long-polls, hands each batch to a presenter, and deletes only what the
//! presenter says it has shown. Presenters: [`crate::tui`] in a terminal, plain lines or JSON
//! lines otherwise.

use std::process::ExitCode;

use anyhow::Result;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::cli::ReceiveArgs;
use crate::config::Config;
use crate::message::Delivery;
use crate::sqs::{QueueInfo, Sqs};

/// How to poll.
#[derive(Debug, Clone, Copy)]
pub struct ReceiveOptions {
    /// WaitTimeSeconds (1..=20).
    pub wait: i32,
    /// MaxNumberOfMessages (1..=10).
    pub max: i32,
}

/// One ReceiveMessage answer, handed to a presenter.
///
/// The presenter answers on `shown` with how many of `deliveries` (from the front) it has
/// shown or written; only those are deleted. Dropping `shown` deletes nothing: the messages
/// come back after their visibility timeout.
#[derive(Debug)]
pub struct Batch {
    /// The messages, in the order SQS returned them.
    pub deliveries: Vec<Delivery>,
    /// How many were shown.
    pub shown: oneshot::Sender<usize>,
}

/// Polls until `cancel` fires or `batches` is closed; deletes what presenters confirm.
///
/// # Errors
/// An SDK error that retrying cannot fix (queue deleted, credentials expired).
pub async fn receive_loop(
    _sqs: &Sqs,
    _queue: &QueueInfo,
    _options: ReceiveOptions,
    _batches: mpsc::Sender<Batch>,
    _cancel: CancellationToken,
) -> Result<()> {
    todo!("client helper")
}

/// `queue receive` (and the original form with `--receive`).
///
/// # Errors
/// See [`receive_loop`].
pub async fn run(_args: ReceiveArgs, _config: &Config) -> Result<ExitCode> {
    todo!("client helper")
}
