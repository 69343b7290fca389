//! Exit codes (0 success, 1 runtime failure, 2 usage error, 130 interrupted) and the one place
//! that prints a final error.

use std::process::ExitCode;

/// A usage error: printed as is, exit code 2.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Exit code for a run interrupted by Ctrl-C or SIGTERM.
pub const INTERRUPTED: u8 = 130;

/// Turns the outcome of [`crate::run`] into the process exit code, printing any error once.
#[must_use]
pub fn finish(outcome: anyhow::Result<ExitCode>) -> ExitCode {
    match outcome {
        Ok(code) => code,
        Err(_error) => {
            todo!("client helper: print `queue: {{error:#}}` + hint, map to 1/2, broken pipe 0")
        }
    }
}
