//! The sender: numbered messages in batches (or one by one), FIFO group and deduplication,
//! retries of failed entries, and the progress bar.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;

use crate::cli::{DedupMode, SendArgs};
use crate::config::Config;
use crate::sqs::{QueueInfo, Sqs};

/// What to send.
#[derive(Debug, Clone)]
pub struct SendPlan {
    /// The `client` attribute.
    pub client_name: String,
    /// Messages `0..count`.
    pub count: u64,
    /// Body prefix.
    pub prepend: String,
    /// FIFO group id.
    pub group: String,
    /// FIFO deduplication id choice.
    pub dedup: DedupMode,
    /// One request per message.
    pub one_by_one: bool,
    /// Messages per second, if paced.
    pub rate: Option<f64>,
}

/// What happened.
#[derive(Debug, Clone, Default)]
pub struct SendReport {
    /// Messages SQS accepted.
    pub sent: u64,
    /// Wall time.
    pub elapsed: Duration,
    /// Message numbers never accepted, with the last error for each.
    pub failed: Vec<(u64, String)>,
}

/// Sends every message of the plan, calling `progress` with the number accepted so far.
///
/// # Errors
/// A failure that stops all sending (queue gone, credentials); per-message failures that
/// survive retries are in [`SendReport::failed`] instead.
pub async fn send_messages(
    _sqs: &Sqs,
    _queue: &QueueInfo,
    _plan: &SendPlan,
    _progress: &(dyn Fn(u64) + Send + Sync),
) -> Result<SendReport> {
    todo!("client helper")
}

/// `queue send` (and the original form without `--receive`).
///
/// # Errors
/// See [`send_messages`].
pub async fn run(_args: SendArgs, _config: &Config) -> Result<ExitCode> {
    todo!("client helper")
}
