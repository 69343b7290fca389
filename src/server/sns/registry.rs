//! SNS's state: every topic and subscription of every account and region, the confirmation
//! tokens, and the lookups the actions share (ARNs in and out). Kept in the engine's `State`,
//! under the same lock as the queues SNS delivers to.

use std::collections::BTreeMap;

use foldhash::HashMap;
use tokio::time::Instant;

use super::error::SnsError;
use super::filter::FilterPolicy;

/// One topic.
#[derive(Debug, Clone)]
pub struct Topic {
    /// `arn:aws:sns:<region>:<account>:<name>`.
    pub arn: String,
    /// Account id.
    pub account: String,
    /// Region.
    pub region: String,
    /// Attributes as set (defaults and counts are added when read).
    pub attributes: BTreeMap<String, String>,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// `PutDataProtectionPolicy`'s document.
    pub data_protection_policy: Option<String>,
    /// Subscriptions removed (for `SubscriptionsDeleted`).
    pub deleted_subscriptions: u64,
    /// FIFO topics: deduplication ids seen in the last 5 minutes.
    pub dedup: HashMap<String, Published>,
}

/// What a FIFO publish answered, kept for its deduplication window.
#[derive(Debug, Clone)]
pub struct Published {
    /// When the window ends.
    pub expires: Instant,
    /// The MessageId answered.
    pub message_id: String,
    /// The SequenceNumber answered.
    pub sequence_number: String,
}

impl Topic {
    /// Whether this is a FIFO topic.
    #[must_use]
    pub fn fifo(&self) -> bool {
        self.attributes
            .get("FifoTopic")
            .is_some_and(|v| v == "true")
    }

    /// Whether FIFO deduplication ids come from the message body.
    #[must_use]
    pub fn content_based_deduplication(&self) -> bool {
        self.attributes
            .get("ContentBasedDeduplication")
            .is_some_and(|v| v == "true")
    }
}

/// One subscription.
#[derive(Debug, Clone)]
pub struct Subscription {
    /// `<topic arn>:<uuid>`.
    pub arn: String,
    /// The topic's ARN.
    pub topic_arn: String,
    /// `sqs`, `http`, `email`, …
    pub protocol: String,
    /// The queue ARN, URL, address or number.
    pub endpoint: String,
    /// Account that subscribed.
    pub owner: String,
    /// Attributes as set (`RawMessageDelivery`, `FilterPolicy`, `RedrivePolicy`, …).
    pub attributes: BTreeMap<String, String>,
    /// The parsed `FilterPolicy`, when one is set.
    pub filter: Option<FilterPolicy>,
    /// Waiting for ConfirmSubscription (HTTP, HTTPS and email endpoints).
    pub pending: bool,
    /// The confirmation token.
    pub token: String,
}

impl Subscription {
    /// Whether the message is delivered as published, without the JSON envelope.
    #[must_use]
    pub fn raw(&self) -> bool {
        self.attributes
            .get("RawMessageDelivery")
            .is_some_and(|v| v == "true")
    }
}

/// Every topic and subscription.
#[derive(Debug, Default)]
pub struct Registry {
    /// Topics by ARN.
    pub topics: BTreeMap<String, Topic>,
    /// Subscriptions by ARN, in creation order within a topic (ARNs end in a uuid, so order
    /// is kept separately).
    pub subscriptions: BTreeMap<String, Subscription>,
    /// Subscription ARNs in the order they were made.
    pub order: Vec<String>,
    /// Confirmation tokens to subscription ARNs.
    pub tokens: HashMap<String, String>,
    /// The last FIFO sequence number given.
    pub sequence: u64,
}

impl Registry {
    /// The topic `arn` names, if `arn` is a well-formed topic ARN of the caller's region.
    ///
    /// # Errors
    /// A malformed ARN, another region, or no such topic.
    pub fn topic(&self, arn: &str, region: &str) -> Result<&Topic, SnsError> {
        check_arn(arn, "Topic")?;
        let parts: Vec<&str> = arn.split(':').collect();
        if parts.get(3) != Some(&region) {
            return Err(SnsError::invalid_parameter("TopicArn"));
        }
        self.topics
            .get(arn)
            .ok_or_else(|| SnsError::not_found("Topic does not exist"))
    }

    /// [`Registry::topic`], to change it.
    ///
    /// # Errors
    /// As [`Registry::topic`].
    pub fn topic_mut(&mut self, arn: &str, region: &str) -> Result<&mut Topic, SnsError> {
        self.topic(arn, region)?;
        self.topics
            .get_mut(arn)
            .ok_or_else(|| SnsError::not_found("Topic does not exist"))
    }

    /// The subscriptions of topic `arn`, in the order they were made.
    pub fn subscriptions_of<'a>(&'a self, arn: &'a str) -> impl Iterator<Item = &'a Subscription> {
        self.order
            .iter()
            .filter_map(|s| self.subscriptions.get(s))
            .filter(move |s| s.topic_arn == arn)
    }

    /// The next FIFO sequence number: 20 digits, always growing, like SNS's.
    pub fn next_sequence_number(&mut self) -> String {
        self.sequence += 1;
        format!("{:020}", 10_000_000_000_000_000_000_u64 + self.sequence)
    }
}

/// An ARN has six `:`-separated parts: `arn:aws:sns:<region>:<account>:<resource>`.
///
/// # Errors
/// `InvalidParameter` "<kind>Arn Reason: An ARN must have at least 6 elements, not N".
pub fn check_arn(arn: &str, kind: &str) -> Result<(), SnsError> {
    let count = arn.split(':').count();
    let parts: Vec<&str> = arn.split(':').collect();
    if count < 6 || parts[0] != "arn" || parts[1].is_empty() || parts[2].is_empty() {
        return Err(SnsError::invalid_parameter(format!(
            "{kind}Arn Reason: An ARN must have at least 6 elements, not {count}"
        )));
    }
    Ok(())
}

/// `arn:aws:sns:<region>:<account>:<name>`.
#[must_use]
pub fn topic_arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:sns:{region}:{account}:{name}")
}
