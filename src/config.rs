//! Resolves the command line and the environment once: env files, terminal, colour, endpoint,
//! region. Nothing below this module reads environment variables or asks whether stdout is a
//! terminal.

use anyhow::Result;

use crate::cli::GlobalArgs;

/// Decisions every command needs, made once.
#[derive(Debug, Clone)]
pub struct Config {
    /// Endpoint override (`--endpoint-url`, `--local`, or `AWS_ENDPOINT_URL[_SQS]`).
    pub endpoint_url: Option<String>,
    /// Region from `--region`; `None` means the SDK's chain, then us-east-1.
    pub region: Option<String>,
    /// `--profile`.
    pub profile: Option<String>,
    /// `--local`: dummy credentials when none are configured.
    pub local: bool,
    /// Whether stdout is a terminal (or `QUEUE_TEST_PRETEND_TTY` is set).
    pub stdout_is_tty: bool,
    /// Whether to use colour.
    pub color: bool,
    /// Whether to print the banner line.
    pub banner: bool,
}

/// Loads env files and decides everything in [`Config`].
///
/// # Errors
/// An unreadable `--env-file`.
pub fn resolve(_global: &GlobalArgs) -> Result<Config> {
    todo!("client helper")
}
