//! How a call failed, in the terms a retrying client needs: the error as one line and whether
//! trying again may work ([`CallError`]), and which entries of a batch answer failed and which
//! of those are worth sending again ([`Failures`]).

use crate::sqs::errors::problem_from_code;

/// Whether error `code` (bare, or namespaced as `com.amazonaws.sqs#RequestThrottled`) says the
/// call may work when tried again: a throttle or a transient server fault, as the rest of the
/// crate judges them (`queue serve --fail-rate` answers two of them).
#[must_use]
pub fn is_transient_code(code: &str) -> bool {
    let bare = code.rsplit('#').next().unwrap_or(code);
    // 400: judged by the code alone (a 5xx is transient whatever its code).
    problem_from_code(Some(bare), None, 400).is_retryable()
}

/// A call that failed as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallError {
    /// "Code: message", or what the connection said.
    pub text: String,
    /// No answer came (connection refused or reset, a timeout), or the answer was a 5xx or a
    /// throttling code: the same call may work later.
    pub retryable: bool,
}

impl CallError {
    /// A failure that trying again cannot mend (a bad request, an unreadable answer).
    #[must_use]
    pub fn fatal(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            retryable: false,
        }
    }

    /// A failure that may pass (no connection, no answer in time, a 5xx).
    #[must_use]
    pub fn transient(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            retryable: true,
        }
    }
}

/// One failed entry of a batch answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailedEntry {
    /// The entry's position in the request (its `Id` is the position); `None` for an `Id`
    /// the request did not have.
    pub index: Option<usize>,
    /// The server's fault (`SenderFault: false`) or a throttling code: worth sending again.
    pub retryable: bool,
}

impl FailedEntry {
    /// The failure of entry `id` with `code`; `sender_fault` as the answer says.
    #[must_use]
    pub fn new(id: &str, code: &str, sender_fault: bool) -> Self {
        Self {
            index: id.parse().ok(),
            retryable: !sender_fault || is_transient_code(code),
        }
    }
}

/// A batch answer's failures: which entries, and the first as text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Failures {
    /// The failed entries, in the answer's order.
    pub entries: Vec<FailedEntry>,
    /// The first failure, "Code: message".
    pub first: Option<String>,
}

impl Failures {
    /// No failure.
    #[must_use]
    pub fn none() -> Self {
        Self::default()
    }

    /// These failed entries, the first with this code and message.
    #[must_use]
    pub fn new(entries: Vec<FailedEntry>, first: Option<(&str, Option<&str>)>) -> Self {
        Self {
            entries,
            first: first.map(|(code, message)| match message {
                Some(message) => format!("{code}: {message}"),
                None => code.to_string(),
            }),
        }
    }

    /// How many entries failed.
    #[must_use]
    pub fn count(&self) -> u64 {
        self.entries.len() as u64
    }

    /// Whether entry `index` of the request failed.
    #[must_use]
    pub fn failed(&self, index: usize) -> bool {
        self.entries.iter().any(|entry| entry.index == Some(index))
    }

    /// Whether entry `index` failed in a way worth sending it again.
    #[must_use]
    pub fn retryable(&self, index: usize) -> bool {
        self.entries
            .iter()
            .any(|entry| entry.index == Some(index) && entry.retryable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_and_server_faults_are_worth_retrying() {
        for code in [
            "InternalError",
            "com.amazonaws.sqs#RequestThrottled",
            "InternalFailure",
            "ThrottlingException",
        ] {
            assert!(is_transient_code(code), "{code}");
        }
        for code in [
            "QueueDoesNotExist",
            "com.amazonaws.sqs#QueueDoesNotExist",
            "AWS.SimpleQueueService.NonExistentQueue",
            "InvalidParameterValue",
            "",
        ] {
            assert!(!is_transient_code(code), "{code}");
        }
    }

    #[test]
    fn a_batch_entry_is_retried_unless_the_sender_is_at_fault() {
        let server_fault = FailedEntry::new("3", "InternalError", false);
        assert_eq!(server_fault.index, Some(3));
        assert!(server_fault.retryable);
        assert!(FailedEntry::new("0", "RequestThrottled", true).retryable);
        assert!(!FailedEntry::new("1", "InvalidParameterValue", true).retryable);
        assert_eq!(FailedEntry::new("x", "InternalError", false).index, None);
    }

    #[test]
    fn failures_answer_per_entry() {
        let failures = Failures::new(
            vec![
                FailedEntry::new("1", "InternalError", false),
                FailedEntry::new("4", "InvalidParameterValue", true),
            ],
            Some(("InternalError", Some("try again"))),
        );
        assert_eq!(failures.count(), 2);
        assert!(failures.failed(1) && failures.failed(4) && !failures.failed(0));
        assert!(failures.retryable(1) && !failures.retryable(4));
        assert_eq!(failures.first.as_deref(), Some("InternalError: try again"));
        assert_eq!(Failures::none().count(), 0);
    }
}
