//! Shell completions and the man page, generated from the clap definitions.

use std::process::ExitCode;

use anyhow::Result;

/// Prints the completion script for `shell` on stdout.
///
/// # Errors
/// Writing to stdout failed.
pub fn print_completions(_shell: clap_complete::Shell) -> Result<ExitCode> {
    todo!("ship helper")
}

/// Prints the man page (roff) on stdout.
///
/// # Errors
/// Writing to stdout failed.
pub fn print_man() -> Result<ExitCode> {
    todo!("ship helper")
}
