//! SQS's fixed numbers and naming rules, obeyed alike by the client (send, demo) and the
//! embedded server: one definition of each, so the two sides cannot drift apart.

use std::time::Duration;

use sha2::{Digest, Sha256};

/// The largest message body (and batch) SQS takes, in bytes (1 MiB since August 2025).
pub const MAX_MESSAGE_BYTES: u32 = 1_048_576;

/// Region used when neither a flag, the environment nor a profile names one; also the
/// embedded server's home region.
pub const DEFAULT_REGION: &str = "us-east-1";

/// How long a FIFO queue remembers a deduplication id (SQS: 5 minutes, kept after delete).
pub const DEDUP_WINDOW: Duration = Duration::from_secs(5 * 60);

/// Longest visibility timeout SQS accepts, in seconds (12 hours).
pub const MAX_VISIBILITY_SECS: i64 = 43_200;

/// Longest queue name SQS accepts, `.fifo` included.
pub const MAX_QUEUE_NAME_LEN: usize = 80;

/// Fastest MaxNumberOfMessagesPerSecond a message move task (DLQ redrive) accepts.
pub const MOVE_TASK_MAX_RATE: u32 = 500;

/// Most move tasks ListMessageMoveTasks answers (its MaxResults; the default is 1).
pub const MOVE_TASK_LIST_MAX: u32 = 10;

/// Most actions one AddPermission may grant.
pub const MAX_PERMISSION_ACTIONS: usize = 7;

/// The SQS queue-name rule: 1–80 characters of letters, digits, `-` and `_`; a FIFO name ends
/// in `.fifo` (counted in the 80).
#[must_use]
pub fn is_valid_queue_name(name: &str) -> bool {
    let stem = name.strip_suffix(".fifo").unwrap_or(name);
    !stem.is_empty()
        && name.len() <= MAX_QUEUE_NAME_LEN
        && stem
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Content-based deduplication id as SQS computes it: hex SHA-256 of the body (attributes
/// not included).
#[must_use]
pub fn content_dedup_id(body: &str) -> String {
    hex::encode(Sha256::digest(body.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_names_follow_sqs() {
        assert!(is_valid_queue_name("a-b_c.fifo"));
        assert!(is_valid_queue_name(&"x".repeat(80)));
        assert!(!is_valid_queue_name(&"x".repeat(81)));
        assert!(!is_valid_queue_name(".fifo"));
        assert!(!is_valid_queue_name("bad name"));
    }

    #[test]
    fn content_dedup_id_is_sha256_hex() {
        assert_eq!(
            content_dedup_id(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
