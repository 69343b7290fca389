//! Exit codes (0 success, 1 runtime failure, 2 usage error, 130 interrupted), the one place
//! that prints a final error (`queue: <one line>` and, when known, `hint: <what to do>`), the
//! shutdown signal ([`shutdown_signal`]) and the panic hook that words the one panic a user
//! can fix ([`install_panic_hook`]).

use std::io::Write;
use std::process::ExitCode;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// A usage error: printed as is, exit code 2.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// A runtime failure a student can fix: one line saying what happened and a hint saying what to
/// do. Exit code 1. Never carries secrets (built from our own words, not raw SDK output).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Friendly {
    /// What went wrong, one line.
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
}

impl Friendly {
    /// A failure with a hint.
    #[must_use]
    pub fn new(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            hint: Some(hint.into()),
        }
    }

    /// A failure without a hint.
    #[must_use]
    pub fn bare(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            hint: None,
        }
    }
}

impl std::fmt::Display for Friendly {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Friendly {}

/// Exit code for a successful run.
pub const SUCCESS: u8 = 0;
/// Exit code for a runtime failure.
pub const FAILURE: u8 = 1;
/// Exit code for a usage error.
pub const USAGE: u8 = 2;
/// Exit code for a run interrupted by Ctrl-C or SIGTERM.
pub const INTERRUPTED: u8 = 130;

/// A future that resolves on the first Ctrl-C (SIGINT) or SIGTERM (unix): the one shutdown
/// signal of the crate, for the client's commands and `queue serve` alike. The handlers are
/// installed when this is called, not when the future is first polled, so a signal that arrives
/// right after (say, once `queue serve` has printed its banner) is not lost to the default
/// action. SIGTERM matters when the binary runs as PID 1 in a container.
///
/// # Errors
/// A handler could not be installed.
pub fn shutdown_signal() -> std::io::Result<impl Future<Output = ()> + Send + 'static> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut terminate = signal(SignalKind::terminate())?;
        Ok(async move {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}

/// [`shutdown_signal`], or a future that never resolves when no handler can be installed (the
/// run then simply cannot be interrupted gracefully).
pub async fn interrupted() {
    match shutdown_signal() {
        Ok(signal) => signal.await,
        Err(_) => std::future::pending::<()>().await,
    }
}

/// Watches for [`interrupted`] while `cancel` lives: cancels it on Ctrl-C or SIGTERM. The task
/// ends once `cancel` is cancelled, answering whether an interrupt did it; await it after
/// cancelling.
#[must_use]
pub fn cancel_on_interrupt(cancel: CancellationToken) -> JoinHandle<bool> {
    tokio::spawn(async move {
        tokio::select! {
            () = interrupted() => {
                cancel.cancel();
                true
            }
            () = cancel.cancelled() => false,
        }
    })
}

/// Prints one line on stderr. A closed stderr is ignored (`eprintln!` would panic on
/// `queue send 2>&1 | head -1`): the line is only a note, the run goes on.
pub fn note(line: impl std::fmt::Display) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// What [`finish`] prints and returns for an error, without printing (testable).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorReport {
    /// The process exit code.
    pub code: u8,
    /// Lines for stderr (empty for a broken pipe).
    pub lines: Vec<String>,
}

/// Decides the exit code and the stderr lines for an error.
#[must_use]
pub fn describe(error: &anyhow::Error) -> ErrorReport {
    let broken_pipe = error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    });
    if broken_pipe {
        return ErrorReport {
            code: SUCCESS,
            lines: Vec::new(),
        };
    }
    let one_line = |text: String| text.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Some(usage) = error.downcast_ref::<UsageError>() {
        return ErrorReport {
            code: USAGE,
            lines: vec![format!("queue: {}", one_line(usage.0.clone()))],
        };
    }
    let mut lines = vec![format!("queue: {}", one_line(format!("{error:#}")))];
    if let Some(hint) = error
        .chain()
        .find_map(|cause| cause.downcast_ref::<Friendly>())
        .and_then(|friendly| friendly.hint.clone())
    {
        lines.push(format!("hint: {}", one_line(hint)));
    }
    ErrorReport {
        code: FAILURE,
        lines,
    }
}

/// Turns the outcome of [`crate::run`] into the process exit code, printing any error once.
#[must_use]
pub fn finish(outcome: anyhow::Result<ExitCode>) -> ExitCode {
    match outcome {
        Ok(code) => code,
        Err(error) => {
            let report = describe(&error);
            let mut stderr = std::io::stderr().lock();
            for line in &report.lines {
                // Nothing sensible is left to do when stderr itself is gone.
                let _ = writeln!(stderr, "{line}");
            }
            ExitCode::from(report.code)
        }
    }
}

/// Words of the panic the SDK's TLS set-up raises when it finds no CA certificates at all
/// (aws-smithy-http-client: "... no valid root certificates parsed!"). It is a
/// `debug_assert!`, so only debug builds raise it, for every endpoint, plain-HTTP ones
/// included, the first time a client sends a request; a release build goes on without roots,
/// and only an `https://` endpoint then fails, as a TLS error.
const NO_ROOTS_PANIC: &str = "no valid root certificates";

/// Turns the SDK's no-CA-certificates panic into the usual one line and hint (exit 1, no
/// backtrace). Any other panic goes on to the previous hook. Installed once, before the
/// first request (by [`crate::sqs`]); a later terminal hook (the TUI's) restores the
/// terminal first.
pub fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            let text = payload
                .downcast_ref::<&str>()
                .map(ToString::to_string)
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            if text.contains(NO_ROOTS_PANIC) {
                let failure = Friendly::new(
                    "no CA certificates found: TLS connections cannot be checked",
                    "install the CA certificates (e.g. apt-get install ca-certificates), or \
                     point SSL_CERT_FILE at a readable bundle; the AWS SDK needs them even for \
                     a local http:// endpoint",
                );
                for line in describe(&failure.into()).lines {
                    note(line);
                }
                std::process::exit(i32::from(FAILURE));
            }
            previous(info);
        }));
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn usage_errors_exit_2() {
        let outcome = describe(&anyhow::Error::new(UsageError("no command".into())));
        assert_eq!(outcome.code, USAGE);
        assert_eq!(outcome.lines, vec!["queue: no command".to_string()]);
    }

    #[test]
    fn friendly_errors_print_message_and_hint_and_exit_1() {
        let error = anyhow::Error::new(Friendly::new("queue x not found", "create it"))
            .context("sending to x");
        let outcome = describe(&error);
        assert_eq!(outcome.code, FAILURE);
        assert_eq!(
            outcome.lines,
            vec![
                "queue: sending to x: queue x not found".to_string(),
                "hint: create it".to_string()
            ]
        );
    }

    #[test]
    fn broken_pipe_is_success_and_silent() {
        let io = std::io::Error::from(std::io::ErrorKind::BrokenPipe);
        let error = Err::<(), _>(io).context("writing").unwrap_err();
        assert_eq!(
            describe(&error),
            ErrorReport {
                code: SUCCESS,
                lines: vec![]
            }
        );
    }

    #[test]
    fn other_errors_are_one_line() {
        let error = anyhow::anyhow!("first\nsecond");
        let outcome = describe(&error);
        assert_eq!(outcome.code, FAILURE);
        assert_eq!(outcome.lines, vec!["queue: first second".to_string()]);
    }
}
