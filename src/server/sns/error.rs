//! `SnsError`: an SNS error as the Query protocol carries it (`<Code>`, `<Message>`, HTTP
//! status, fault side), with constructors for the codes SNS answers.

use std::fmt;

use crate::server::error::SqsError;

/// One SNS error. Build it with the constructors so codes and statuses stay right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnsError {
    /// `<Code>` (`InvalidParameter`, `NotFound`).
    pub code: &'static str,
    /// `<Message>`.
    pub message: String,
    /// HTTP status.
    pub status: u16,
    /// `Sender` (the client's fault) or `Receiver`.
    pub sender_fault: bool,
}

impl fmt::Display for SnsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for SnsError {}

impl From<SqsError> for SnsError {
    /// A failure of the engine under an SNS action (the data directory, say).
    fn from(error: SqsError) -> Self {
        Self {
            code: "InternalError",
            message: error.message,
            status: 500,
            sender_fault: false,
        }
    }
}

impl SnsError {
    /// `--auth` refused the request: SQS's code and text, which name the signature problem
    /// the same way for every service.
    #[must_use]
    pub fn denied(error: SqsError) -> Self {
        Self {
            code: error.code,
            message: error.message,
            status: error.status,
            sender_fault: error.sender_fault,
        }
    }

    fn sender(code: &'static str, status: u16, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            status,
            sender_fault: true,
        }
    }

    /// `InvalidParameter` with SNS's "Invalid parameter: " prefix.
    #[must_use]
    pub fn invalid_parameter(detail: impl fmt::Display) -> Self {
        Self::sender(
            "InvalidParameter",
            400,
            format!("Invalid parameter: {detail}"),
        )
    }

    /// `InvalidParameter` with a message that has no prefix.
    #[must_use]
    pub fn invalid_parameter_raw(message: impl Into<String>) -> Self {
        Self::sender("InvalidParameter", 400, message)
    }

    /// `InvalidParameterValue` (its code on the wire is `ParameterValueInvalid`).
    #[must_use]
    pub fn parameter_value_invalid(message: impl Into<String>) -> Self {
        Self::sender("ParameterValueInvalid", 400, message)
    }

    /// `NotFound`, e.g. "Topic does not exist".
    #[must_use]
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::sender("NotFound", 404, message)
    }

    /// Tagging a resource that does not exist.
    #[must_use]
    pub fn resource_not_found() -> Self {
        Self::sender("ResourceNotFound", 404, "Resource does not exist")
    }

    /// A required member missing, as the service's validation words it.
    #[must_use]
    pub fn validation_null(path: &str) -> Self {
        Self::sender(
            "ValidationError",
            400,
            format!(
                "1 validation error detected: Value null at '{path}' failed to satisfy constraint: Member must not be null"
            ),
        )
    }

    /// More than 50 tags on a resource.
    #[must_use]
    pub fn tag_limit_exceeded() -> Self {
        Self::sender(
            "TagLimitExceeded",
            400,
            "Could not complete request: tag quota of per resource exceeded",
        )
    }

    /// An action SNS does not have.
    #[must_use]
    pub fn invalid_action(action: &str) -> Self {
        Self::sender(
            "InvalidAction",
            400,
            format!("The action {action} is not valid for this endpoint."),
        )
    }

    /// A batch with more than 10 entries.
    #[must_use]
    pub fn too_many_entries() -> Self {
        Self::sender(
            "TooManyEntriesInBatchRequest",
            400,
            "The batch request contains more entries than permissible.",
        )
    }

    /// A batch with no entries.
    #[must_use]
    pub fn empty_batch() -> Self {
        Self::sender(
            "EmptyBatchRequest",
            400,
            "The batch request doesn't contain any entries.",
        )
    }

    /// Two entries with one Id.
    #[must_use]
    pub fn batch_ids_not_distinct() -> Self {
        Self::sender(
            "BatchEntryIdsNotDistinct",
            400,
            "Two or more batch entries in the request have the same Id.",
        )
    }

    /// An entry Id that is too long or has other characters than letters, digits, `-`, `_`.
    #[must_use]
    pub fn invalid_batch_entry_id(id: &str, too_long: bool) -> Self {
        let why = if too_long {
            "is too long"
        } else {
            "contains an impermissible character"
        };
        Self::sender(
            "InvalidBatchEntryId",
            400,
            format!("The Id of a batch entry in the batch request {why}: {id}"),
        )
    }

    /// A batch whose messages add up to more than 256 KiB.
    #[must_use]
    pub fn batch_too_long() -> Self {
        Self::sender(
            "BatchRequestTooLong",
            400,
            "The length of all the messages put together is more than the limit.",
        )
    }

    /// `Sender` or `Receiver`.
    #[must_use]
    pub fn fault(&self) -> &'static str {
        if self.sender_fault {
            "Sender"
        } else {
            "Receiver"
        }
    }
}
