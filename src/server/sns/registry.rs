//! SNS's state: every topic and subscription of every account and region, the confirmation
//! tokens, and the lookups the actions share (ARNs in and out). Kept in the engine's `State`,
//! under the same lock as the queues SNS delivers to, and in the data directory as a
//! [`Snapshot`].

use std::collections::BTreeMap;

use foldhash::HashMap;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use super::error::SnsError;
use super::filter::{FilterPolicy, Scope};
use crate::server::durable::{epoch_ms, instant};
use crate::server::store::Now;

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

/// The registry as the data directory keeps it (`--data-dir`): topics, subscriptions and
/// FIFO deduplication windows, with times as epoch milliseconds.
#[derive(Debug, Serialize, Deserialize)]
pub struct Snapshot {
    topics: Vec<TopicRecord>,
    /// In the order they were made.
    subscriptions: Vec<SubscriptionRecord>,
    sequence: u64,
}

#[derive(Debug, Serialize, Deserialize)]
struct TopicRecord {
    arn: String,
    account: String,
    region: String,
    attributes: BTreeMap<String, String>,
    tags: BTreeMap<String, String>,
    data_protection_policy: Option<String>,
    deleted_subscriptions: u64,
    /// Deduplication id, when its window ends (epoch ms), MessageId, SequenceNumber.
    dedup: Vec<(String, i64, String, String)>,
}

#[derive(Debug, Serialize, Deserialize)]
struct SubscriptionRecord {
    arn: String,
    topic_arn: String,
    protocol: String,
    endpoint: String,
    owner: String,
    attributes: BTreeMap<String, String>,
    pending: bool,
    token: String,
}

impl Registry {
    /// Everything, as the data directory keeps it, on the engine clock reading `now`.
    #[must_use]
    pub fn snapshot(&self, now: Now) -> Snapshot {
        Snapshot {
            topics: self
                .topics
                .values()
                .map(|t| TopicRecord {
                    arn: t.arn.clone(),
                    account: t.account.clone(),
                    region: t.region.clone(),
                    attributes: t.attributes.clone(),
                    tags: t.tags.clone(),
                    data_protection_policy: t.data_protection_policy.clone(),
                    deleted_subscriptions: t.deleted_subscriptions,
                    dedup: (t.dedup.iter())
                        .filter(|(_, p)| p.expires > now.at)
                        .map(|(id, p)| {
                            let expires = epoch_ms(p.expires, now);
                            (
                                id.clone(),
                                expires,
                                p.message_id.clone(),
                                p.sequence_number.clone(),
                            )
                        })
                        .collect(),
                })
                .collect(),
            subscriptions: (self.order.iter())
                .filter_map(|arn| self.subscriptions.get(arn))
                .map(|s| SubscriptionRecord {
                    arn: s.arn.clone(),
                    topic_arn: s.topic_arn.clone(),
                    protocol: s.protocol.clone(),
                    endpoint: s.endpoint.clone(),
                    owner: s.owner.clone(),
                    attributes: s.attributes.clone(),
                    pending: s.pending,
                    token: s.token.clone(),
                })
                .collect(),
            sequence: self.sequence,
        }
    }

    /// The registry a snapshot kept, on the engine clock reading `now` (time while the server
    /// was down counts against the deduplication windows). Filter policies are parsed again.
    #[must_use]
    pub fn restore(snapshot: Snapshot, now: Now) -> Self {
        let mut registry = Self {
            sequence: snapshot.sequence,
            ..Self::default()
        };
        for t in snapshot.topics {
            let dedup = (t.dedup.into_iter())
                .map(|(id, expires, message_id, sequence_number)| {
                    let expires = instant(expires, now);
                    let published = Published {
                        expires,
                        message_id,
                        sequence_number,
                    };
                    (id, published)
                })
                .collect();
            let topic = Topic {
                arn: t.arn.clone(),
                account: t.account,
                region: t.region,
                attributes: t.attributes,
                tags: t.tags,
                data_protection_policy: t.data_protection_policy,
                deleted_subscriptions: t.deleted_subscriptions,
                dedup,
            };
            registry.topics.insert(t.arn, topic);
        }
        for s in snapshot.subscriptions {
            let scope = s
                .attributes
                .get("FilterPolicyScope")
                .and_then(|scope| Scope::parse(scope))
                .unwrap_or_default();
            let filter = s
                .attributes
                .get("FilterPolicy")
                .filter(|p| !p.is_empty())
                .and_then(|p| FilterPolicy::parse(p, scope).ok());
            registry.tokens.insert(s.token.clone(), s.arn.clone());
            registry.order.push(s.arn.clone());
            let subscription = Subscription {
                arn: s.arn.clone(),
                topic_arn: s.topic_arn,
                protocol: s.protocol,
                endpoint: s.endpoint,
                owner: s.owner,
                attributes: s.attributes,
                filter,
                pending: s.pending,
                token: s.token,
            };
            registry.subscriptions.insert(s.arn, subscription);
        }
        registry
    }
}
