//! The numbered message: its body format (`{prepend}Message {i}`), the attributes our sender
//! attaches, and what a receiver makes of whatever body it gets.

use std::time::SystemTime;

/// String attribute with the sender's client name (the original tool's receivers read it).
pub const CLIENT_ATTRIBUTE: &str = "client";
/// Number attribute: when the sender sent the message, in milliseconds since the Unix epoch.
/// Used to show delivery latency.
pub const SENT_AT_ATTRIBUTE: &str = "sent_at";
/// String attribute: a short random id per `send` run, so a receiver can tell a re-run with
/// the same bodies from a duplicate delivery.
pub const RUN_ATTRIBUTE: &str = "run";

/// The body of message `i` with the given prefix.
#[must_use]
pub fn body(prepend: &str, i: u64) -> String {
    format!("{prepend}Message {i}")
}

/// The [`SENT_AT_ATTRIBUTE`] value for `at`: whole milliseconds since the Unix epoch.
#[must_use]
pub fn epoch_ms(at: SystemTime) -> String {
    at.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |since| since.as_millis())
        .to_string()
}

/// Reads an epoch-milliseconds value ([`SENT_AT_ATTRIBUTE`] or SQS's `SentTimestamp`).
/// Numbers may come back as "1700000000000" or "1700000000000.0": the integer part counts.
#[must_use]
pub fn parse_epoch_ms(text: &str) -> Option<SystemTime> {
    let millis: u64 = text.split('.').next()?.trim().parse().ok()?;
    SystemTime::UNIX_EPOCH.checked_add(std::time::Duration::from_millis(millis))
}

/// What a receiver reads out of a body: the text before `Message N`, and N.
///
/// Bodies that are not of our form (sent from the console, an SNS envelope) have no number and
/// the whole body as prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedBody {
    /// The text before `Message N` (the sender's `--prepend`), or the whole body.
    pub prefix: String,
    /// N, when the body ends in `Message N`.
    pub number: Option<u64>,
}

/// Splits `{prefix}Message {n}` into its parts; never fails.
#[must_use]
pub fn parse_body(body: &str) -> ParsedBody {
    if let Some(at) = body.rfind("Message ") {
        let digits = &body[at + "Message ".len()..];
        if !digits.is_empty()
            && digits.bytes().all(|b| b.is_ascii_digit())
            && let Ok(number) = digits.parse()
        {
            return ParsedBody {
                prefix: body[..at].to_string(),
                number: Some(number),
            };
        }
    }
    ParsedBody {
        prefix: body.to_string(),
        number: None,
    }
}

/// Where a delivery came from when SNS wrapped it in an envelope (no raw delivery).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// The topic it was published to.
    pub topic_arn: String,
    /// The SNS MessageId (the same in every copy of one published message).
    pub message_id: String,
}

impl Notification {
    /// The topic's name (the ARN's last part).
    #[must_use]
    pub fn topic(&self) -> &str {
        crate::sns::topic::name_from_arn(&self.topic_arn)
    }
}

/// One message as a receiver got it: everything the presenters and the tracker need.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// SQS MessageId (the same on every delivery of one message).
    pub message_id: String,
    /// Receipt handle of this delivery (needed to delete it).
    pub receipt_handle: String,
    /// The message: the body as received, or the published message inside an SNS envelope.
    pub body: String,
    /// The topic and SNS id, when the body was an SNS envelope.
    pub notification: Option<Notification>,
    /// The `client` attribute (of the envelope, for an SNS envelope), if present.
    pub client: Option<String>,
    /// The `run` attribute, if present.
    pub run: Option<String>,
    /// Prefix and number parsed from the body.
    pub parsed: ParsedBody,
    /// FIFO MessageGroupId (or a fair-queue tenant on a standard queue).
    pub group_id: Option<String>,
    /// FIFO SequenceNumber.
    pub sequence_number: Option<String>,
    /// ApproximateReceiveCount (1 on the first delivery).
    pub receive_count: u32,
    /// When it was sent: the `sent_at` attribute, else SQS's SentTimestamp.
    pub sent_at: Option<SystemTime>,
    /// When this receiver got it.
    pub received_at: SystemTime,
}

impl Delivery {
    /// What names one message across its deliveries: the SNS MessageId for an enveloped
    /// message (SNS may deliver one publish twice, as two SQS messages), else the SQS one.
    #[must_use]
    pub fn identity(&self) -> &str {
        self.notification
            .as_ref()
            .map_or(&self.message_id, |notification| &notification.message_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_round_trip() {
        assert_eq!(body("", 0), "Message 0");
        assert_eq!(body("A-", 42), "A-Message 42");
        assert_eq!(
            parse_body("A-Message 42"),
            ParsedBody {
                prefix: "A-".into(),
                number: Some(42)
            }
        );
        assert_eq!(parse_body("Message 7").number, Some(7));
    }

    #[test]
    fn foreign_bodies_are_kept_whole() {
        for text in [
            "hello",
            "Message ",
            "Message 1x",
            "{\"Type\":\"Notification\"}",
            "",
        ] {
            let parsed = parse_body(text);
            assert_eq!(parsed.number, None, "{text}");
            assert_eq!(parsed.prefix, text);
        }
        assert_eq!(
            parse_body("Message 99999999999999999999999").number,
            None,
            "overflow is not a number"
        );
    }
}
