//! `queue demo`: the embedded server (or another endpoint), a standard and a FIFO queue,
//! senders and one receiver per queue, shown side by side or summarised as figures.

use std::process::ExitCode;

use anyhow::Result;

use crate::cli::DemoArgs;
use crate::config::Config;

/// Runs the demo.
///
/// # Errors
/// The server could not start, or a queue could not be reached.
pub async fn run(_args: DemoArgs, _config: &Config) -> Result<ExitCode> {
    todo!("tui helper")
}
