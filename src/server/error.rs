//! `SqsError`: an SQS error as the wire carries it (shape name for `__type`, legacy Query code
//! for `x-amzn-query-error` and XML `<Code>`, HTTP status, fault side). The wire layer renders
//! it; actions only build it.

use std::fmt;

/// Code (and shape) of [`SqsError::unknown_operation`].
const UNKNOWN_OPERATION: &str = "UnknownOperationException";

/// One SQS error. Build it with the constructors below so codes and statuses stay right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqsError {
    /// Smithy shape name, the suffix of JSON `__type` (`QueueDoesNotExist`).
    pub shape: &'static str,
    /// Legacy Query code, sent in `x-amzn-query-error` and XML `<Code>`
    /// (`AWS.SimpleQueueService.NonExistentQueue`).
    pub code: &'static str,
    /// Human text (`message` in JSON, `<Message>` in XML).
    pub message: String,
    /// HTTP status.
    pub status: u16,
    /// `Sender` (client's fault) or `Receiver` (server's fault).
    pub sender_fault: bool,
}

impl fmt::Display for SqsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for SqsError {}

impl SqsError {
    fn sender(
        shape: &'static str,
        code: &'static str,
        status: u16,
        message: impl Into<String>,
    ) -> Self {
        Self {
            shape,
            code,
            message: message.into(),
            status,
            sender_fault: true,
        }
    }

    /// The queue does not exist (JSON text; the Query layer adds "for this wsdl version.").
    #[must_use]
    pub fn queue_does_not_exist() -> Self {
        Self::sender(
            "QueueDoesNotExist",
            "AWS.SimpleQueueService.NonExistentQueue",
            400,
            "The specified queue does not exist.",
        )
    }

    /// CreateQueue with a different value for an existing queue's attribute.
    #[must_use]
    pub fn queue_name_exists(attribute: &str) -> Self {
        Self::sender(
            "QueueNameExists",
            "QueueAlreadyExists",
            400,
            format!(
                "A queue already exists with the same name and a different value for attribute {attribute}"
            ),
        )
    }

    /// Name reused within 60 s of DeleteQueue.
    #[must_use]
    pub fn queue_deleted_recently() -> Self {
        Self::sender(
            "QueueDeletedRecently",
            "AWS.SimpleQueueService.QueueDeletedRecently",
            400,
            "You must wait 60 seconds after deleting a queue before you can create another with the same name.",
        )
    }

    /// A second PurgeQueue within 60 s.
    #[must_use]
    pub fn purge_queue_in_progress(queue_name: &str) -> Self {
        Self::sender(
            "PurgeQueueInProgress",
            "AWS.SimpleQueueService.PurgeQueueInProgress",
            403,
            format!("Only one PurgeQueue operation on {queue_name} is allowed every 60 seconds."),
        )
    }

    /// A batch with no entries.
    #[must_use]
    pub fn empty_batch_request(entry_type: &str) -> Self {
        Self::sender(
            "EmptyBatchRequest",
            "AWS.SimpleQueueService.EmptyBatchRequest",
            400,
            format!("There should be at least one {entry_type} in the request."),
        )
    }

    /// More than 10 entries.
    #[must_use]
    pub fn too_many_entries_in_batch_request(sent: usize) -> Self {
        Self::sender(
            "TooManyEntriesInBatchRequest",
            "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
            400,
            format!("Maximum number of entries per request are 10. You have sent {sent}."),
        )
    }

    /// Two entries with one Id.
    #[must_use]
    pub fn batch_entry_ids_not_distinct(id: &str) -> Self {
        Self::sender(
            "BatchEntryIdsNotDistinct",
            "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
            400,
            format!("Id {id} repeated."),
        )
    }

    /// The whole batch is over the size limit.
    #[must_use]
    pub fn batch_request_too_long(limit: usize, sent: usize) -> Self {
        Self::sender(
            "BatchRequestTooLong",
            "AWS.SimpleQueueService.BatchRequestTooLong",
            400,
            format!(
                "Batch requests cannot be longer than {limit} bytes. You have sent {sent} bytes."
            ),
        )
    }

    /// A batch entry Id that is empty, too long or has other characters.
    #[must_use]
    pub fn invalid_batch_entry_id() -> Self {
        Self::sender(
            "InvalidBatchEntryId",
            "AWS.SimpleQueueService.InvalidBatchEntryId",
            400,
            "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.",
        )
    }

    /// A receipt handle that is not one of ours.
    #[must_use]
    pub fn receipt_handle_is_invalid(handle: &str) -> Self {
        Self::sender(
            "ReceiptHandleIsInvalid",
            "ReceiptHandleIsInvalid",
            404,
            format!("The input receipt handle \"{handle}\" is not a valid receipt handle."),
        )
    }

    /// A FIFO receipt handle used after its visibility timeout ran out (delete or change).
    #[must_use]
    pub fn receipt_handle_expired(handle: &str) -> Self {
        Self::invalid_parameter_value(format!(
            "Value {handle} for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired."
        ))
    }

    /// An action we do not serve (or that does not exist).
    #[must_use]
    pub fn unsupported_operation(action: &str) -> Self {
        Self::sender(
            "UnsupportedOperation",
            "AWS.SimpleQueueService.UnsupportedOperation",
            400,
            format!("The action {action} is not valid for this web service."),
        )
    }

    /// An action sent to a queue's URL that is not an action on a queue (CreateQueue,
    /// ListQueues) or not an SQS action at all.
    #[must_use]
    pub fn invalid_action(action: &str) -> Self {
        Self::sender(
            "InvalidAction",
            "InvalidAction",
            400,
            format!("The action {action} is not valid for this endpoint."),
        )
    }

    /// A Query request to a queue's URL without an `Action`: SQS answers 404 with a bare
    /// `<UnknownOperationException/>`, whatever the client accepts.
    #[must_use]
    pub fn unknown_operation() -> Self {
        Self::sender(UNKNOWN_OPERATION, UNKNOWN_OPERATION, 404, "")
    }

    /// Whether this is [`SqsError::unknown_operation`].
    #[must_use]
    pub fn is_unknown_operation(&self) -> bool {
        self.code == UNKNOWN_OPERATION
    }

    /// A request with no action at all.
    #[must_use]
    pub fn missing_action() -> Self {
        Self::sender(
            "MissingAction",
            "MissingAction",
            400,
            "The request must contain the parameter Action.",
        )
    }

    /// An attribute name that does not apply.
    #[must_use]
    pub fn invalid_attribute_name(message: impl Into<String>) -> Self {
        Self::sender("InvalidAttributeName", "InvalidAttributeName", 400, message)
    }

    /// An attribute value out of range.
    #[must_use]
    pub fn invalid_attribute_value(message: impl Into<String>) -> Self {
        Self::sender(
            "InvalidAttributeValue",
            "InvalidAttributeValue",
            400,
            message,
        )
    }

    /// A body with characters SQS does not allow.
    #[must_use]
    pub fn invalid_message_contents(message: impl Into<String>) -> Self {
        Self::sender(
            "InvalidMessageContents",
            "InvalidMessageContents",
            400,
            message,
        )
    }

    /// Most validation failures (`InvalidParameterValue`).
    #[must_use]
    pub fn invalid_parameter_value(message: impl Into<String>) -> Self {
        // [U] The JSON shape for this unmodelled error is seen as `InvalidParameterValueException`.
        Self::sender(
            "InvalidParameterValueException",
            "InvalidParameterValue",
            400,
            message,
        )
    }

    /// A required parameter is missing (`MissingParameter`).
    #[must_use]
    pub fn missing_parameter(name: &str) -> Self {
        Self::sender(
            "MissingRequiredParameterException",
            "MissingParameter",
            400,
            format!("The request must contain the parameter {name}."),
        )
    }

    /// A move task, or a queue named by ARN, that does not exist (404).
    #[must_use]
    pub fn resource_not_found(message: impl Into<String>) -> Self {
        Self::sender(
            "ResourceNotFoundException",
            "ResourceNotFoundException",
            404,
            message,
        )
    }

    /// More of something than SQS allows in one request (AddPermission's actions), 403.
    #[must_use]
    pub fn over_limit(message: impl Into<String>) -> Self {
        Self::sender("OverLimit", "OverLimit", 403, message)
    }

    /// A retryable server-side failure (`--fail-rate`).
    #[must_use]
    pub fn internal_failure() -> Self {
        Self {
            shape: "InternalFailure",
            code: "InternalFailure",
            message: "The request processing has failed because of an unknown error, exception or failure.".to_string(),
            status: 500,
            sender_fault: false,
        }
    }

    /// A batch entry's retryable server-side failure (`--fail-rate`), as SQS reports one in
    /// `Failed`: code `InternalError`, not the whole-request `InternalFailure`.
    #[must_use]
    pub fn internal_error() -> Self {
        Self {
            shape: "InternalError",
            code: "InternalError",
            message: "We encountered an internal error. Please try again.".to_string(),
            status: 500,
            sender_fault: false,
        }
    }

    /// A retryable throttle (`--fail-rate`).
    #[must_use]
    pub fn request_throttled() -> Self {
        Self::sender("RequestThrottled", "RequestThrottled", 403, "Rate exceeded")
    }

    /// A request with no signature, to a server started with `--auth`.
    #[must_use]
    pub fn missing_authentication_token() -> Self {
        Self::sender(
            "MissingAuthenticationToken",
            "MissingAuthenticationToken",
            403,
            "Request is missing Authentication Token",
        )
    }

    /// A malformed signature (`--auth`), with AWS's explanation.
    #[must_use]
    pub fn incomplete_signature(message: impl Into<String>) -> Self {
        Self::sender("IncompleteSignature", "IncompleteSignature", 400, message)
    }

    /// An access key that is not listed, or a session token that does not go with it.
    #[must_use]
    pub fn invalid_client_token_id() -> Self {
        Self::sender(
            "InvalidClientTokenId",
            "InvalidClientTokenId",
            403,
            "The security token included in the request is invalid.",
        )
    }

    /// A signature that is not the one the listed key gives (`--auth`).
    #[must_use]
    pub fn signature_does_not_match() -> Self {
        Self::sender(
            "SignatureDoesNotMatch",
            "SignatureDoesNotMatch",
            403,
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
        )
    }

    /// Signed more than 15 minutes from now, or a presigned URL past its expiry (`--auth`).
    #[must_use]
    pub fn request_expired() -> Self {
        Self::sender(
            "RequestExpired",
            "RequestExpired",
            400,
            "Request has expired.",
        )
    }

    /// `Sender` or `Receiver`, as the wire says it.
    #[must_use]
    pub fn fault(&self) -> &'static str {
        if self.sender_fault {
            "Sender"
        } else {
            "Receiver"
        }
    }
}
