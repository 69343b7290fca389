//! Publish and PublishBatch: SNS's checks of the message, FIFO topics' groups and
//! deduplication, and the fan-out to every confirmed SQS subscription whose filter passes
//! (raw or in the envelope), with a failed delivery going to the subscription's
//! dead-letter queue.

use std::collections::{BTreeMap, HashSet};

use serde_json::Value;

use super::envelope::{Links, Notification, Signed, timestamp};
use super::error::SnsError;
use super::params::Params;
use super::registry::{Published, Subscription, Topic};
use super::signing::SignatureVersion;
use super::xml::{Node, Output};
use crate::rules::{DEDUP_WINDOW, content_dedup_id};
use crate::server::actions::send::{self, Delivery};
use crate::server::engine::RequestContext;
use crate::server::md5::MessageAttribute;
use crate::server::queue::QueueKey;
use crate::server::store::{Now, State};

/// The largest message (body and attributes), in bytes.
const MAX_MESSAGE_BYTES: usize = 262_144;
/// The SenderId SQS records for messages SNS delivers.
pub const SNS_SENDER_ID: &str = "AIDAIT2UOQQY3AUEKVGXU";

/// One message to publish, checked.
#[derive(Debug)]
struct Outgoing {
    /// The message, or the `sqs` / `default` entry of a `MessageStructure=json` message.
    message: String,
    subject: Option<String>,
    attributes: BTreeMap<String, MessageAttribute>,
    group: Option<String>,
    /// FIFO topics: the explicit deduplication id, else (content-based deduplication) the
    /// SHA-256 of the whole published message; `None` on standard topics.
    dedup_id: Option<String>,
}

/// Publish.
///
/// # Errors
/// A message, topic or FIFO parameter SNS refuses.
pub fn publish(
    state: &mut State,
    ctx: &RequestContext,
    p: Params<'_>,
    now: Now,
) -> Result<Output, SnsError> {
    let subject = p.get("Subject");
    check_subject(subject)?;
    let message = p.get("Message").unwrap_or("");
    if message.is_empty() {
        return Err(SnsError::invalid_parameter("Empty message"));
    }
    let attributes = p.message_attributes("messageAttributes")?;
    check_size(message, &attributes)?;
    let phone = p.get("PhoneNumber");
    let arn = match (p.get("TopicArn"), p.get("TargetArn"), phone) {
        (Some(arn), None, None) | (None, Some(arn), None) => arn,
        (None, None, Some(number)) => {
            // SMS is accepted and not delivered anywhere (docs/sns.md).
            check_phone(number)?;
            return Ok(message_id_result(&uuid::Uuid::new_v4().to_string(), None));
        }
        (None, None, None) => {
            return Err(SnsError::invalid_parameter(
                "TopicArn or TargetArn Reason: no value for required parameter",
            ));
        }
        _ => {
            // [U] wording not recorded.
            return Err(SnsError::invalid_parameter(
                "TopicArn Reason: Only one of TopicArn, TargetArn or PhoneNumber may be specified",
            ));
        }
    };
    let group = p.get("MessageGroupId");
    let dedup = p.get("MessageDeduplicationId");
    let fifo = fifo_checks(state, ctx, arn, group, dedup)?;
    let dedup_id = fifo.then(|| dedup.map_or_else(|| content_dedup_id(message), str::to_string));
    let message = structured(message, p.get("MessageStructure"))?;
    let outgoing = Outgoing {
        message,
        subject: subject.map(str::to_string),
        attributes,
        group: group.map(str::to_string),
        dedup_id,
    };
    let (id, sequence) = fan_out(state, ctx, arn, outgoing, now)?;
    Ok(message_id_result(&id, sequence.as_deref()))
}

fn message_id_result(id: &str, sequence: Option<&str>) -> Output {
    let mut members = vec![Node::text("MessageId", id)];
    if let Some(sequence) = sequence {
        members.push(Node::text("SequenceNumber", sequence));
    }
    Output::Result(members)
}

/// Whether the topic is FIFO, held to FIFO rules: FIFO topics need a group and a
/// deduplication id (or content-based deduplication); standard ones take no deduplication id.
fn fifo_checks(
    state: &State,
    ctx: &RequestContext,
    arn: &str,
    group: Option<&str>,
    dedup: Option<&str>,
) -> Result<bool, SnsError> {
    if arn.contains(".fifo") {
        if group.is_none() {
            return Err(SnsError::invalid_parameter(
                "The MessageGroupId parameter is required for FIFO topics",
            ));
        }
        let topic = state.sns().topic(arn, &ctx.region)?;
        if !topic.content_based_deduplication() && dedup.is_none() {
            return Err(SnsError::invalid_parameter(
                "The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
            ));
        }
        return Ok(topic.fifo());
    }
    if dedup.is_some() {
        return Err(SnsError::invalid_parameter(
            "MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type",
        ));
    }
    state.sns().topic(arn, &ctx.region).map(Topic::fifo)
}

/// A subject is ASCII that starts with a letter, digit or punctuation, has no line breaks or
/// other control characters, and is under 100 characters.
fn check_subject(subject: Option<&str>) -> Result<(), SnsError> {
    let Some(subject) = subject else {
        return Ok(());
    };
    let valid = subject
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c.is_ascii_punctuation())
        && subject
            .chars()
            .all(|c| c.is_ascii() && !c.is_ascii_control())
        && subject.len() < 100;
    if valid {
        Ok(())
    } else {
        Err(SnsError::invalid_parameter("Subject"))
    }
}

/// Body and attributes together at most 256 KiB.
fn check_size(
    message: &str,
    attributes: &BTreeMap<String, MessageAttribute>,
) -> Result<(), SnsError> {
    if message_size(message, attributes) > MAX_MESSAGE_BYTES {
        return Err(SnsError::invalid_parameter("Message too long"));
    }
    Ok(())
}

fn message_size(message: &str, attributes: &BTreeMap<String, MessageAttribute>) -> usize {
    message.len() + attributes.iter().map(|(n, a)| a.size(n)).sum::<usize>()
}

fn check_phone(number: &str) -> Result<(), SnsError> {
    let digits = number.strip_prefix('+').unwrap_or(number);
    if (2..=15).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit()) {
        Ok(())
    } else {
        Err(SnsError::invalid_parameter(format!(
            "PhoneNumber Reason: {number} is not valid to publish to"
        )))
    }
}

/// `MessageStructure=json`: the message is a JSON object with a string per protocol and a
/// `default`; SQS subscribers get `sqs`, else `default`.
fn structured(message: &str, structure: Option<&str>) -> Result<String, SnsError> {
    if structure != Some("json") {
        return Ok(message.to_string());
    }
    let parsed: Value = serde_json::from_str(message).map_err(|_| {
        SnsError::invalid_parameter("Message Structure - JSON message body failed to parse")
    })?;
    let text = |key: &str| parsed.get(key).and_then(Value::as_str).map(str::to_string);
    if text("default").is_none() {
        return Err(SnsError::invalid_parameter(
            "Message Structure - No default entry in JSON message body",
        ));
    }
    Ok(text("sqs").or_else(|| text("default")).unwrap_or_default())
}

/// Delivers one checked message to the topic's subscriptions; answers its MessageId and,
/// on FIFO topics, its SequenceNumber (a duplicate within 5 minutes answers the first's and
/// delivers nothing).
fn fan_out(
    state: &mut State,
    ctx: &RequestContext,
    arn: &str,
    outgoing: Outgoing,
    now: Now,
) -> Result<(String, Option<String>), SnsError> {
    let topic =
        (state.sns().topics.get(arn)).ok_or_else(|| SnsError::not_found("Topic does not exist"))?;
    let fifo = topic.fifo();
    let version = (topic.attributes.get("SignatureVersion"))
        .and_then(|v| SignatureVersion::parse(v))
        .unwrap_or_default();
    // Deduplication is per topic, or per message group with `FifoThroughputScope=MessageGroup`.
    let per_group = topic
        .attributes
        .get("FifoThroughputScope")
        .is_some_and(|s| s == "MessageGroup");
    let dedup_id = outgoing.dedup_id.as_ref().filter(|_| fifo);
    let dedup_key = dedup_id.map(|id| match &outgoing.group {
        Some(group) if per_group => format!("{group}\u{0}{id}"),
        _ => id.clone(),
    });
    if let Some(dedup_key) = &dedup_key
        && let Some(first) = topic
            .dedup
            .get(dedup_key)
            .filter(|first| first.expires > now.at)
    {
        return Ok((
            first.message_id.clone(),
            Some(first.sequence_number.clone()),
        ));
    }
    let message_id = uuid::Uuid::new_v4().to_string();
    let sequence = fifo.then(|| state.sns_mut().next_sequence_number());
    if let (Some(dedup_key), Some(sequence)) = (&dedup_key, &sequence)
        && let Some(topic) = state.sns_mut().topics.get_mut(arn)
    {
        topic.dedup.retain(|_, p| p.expires > now.at);
        topic.dedup.insert(
            dedup_key.clone(),
            Published {
                expires: now.at + DEDUP_WINDOW,
                message_id: message_id.clone(),
                sequence_number: sequence.clone(),
            },
        );
    }
    let subscriptions: Vec<Subscription> = state
        .sns()
        .subscriptions_of(arn)
        .filter(|s| s.protocol == "sqs" && !s.pending)
        .filter(|s| {
            s.filter
                .as_ref()
                .is_none_or(|f| f.matches(&outgoing.attributes, &outgoing.message))
        })
        .cloned()
        .collect();
    let notification = Notification {
        message_id: &message_id,
        topic_arn: arn,
        subject: outgoing.subject.as_deref(),
        message: &outgoing.message,
        timestamp: timestamp(now.epoch_ms),
        sequence_number: sequence.as_deref(),
        attributes: &outgoing.attributes,
    };
    let links = Links { host: &ctx.host };
    let mut signed: Option<Signed> = None;
    for sub in &subscriptions {
        let body = if sub.raw() {
            outgoing.message.clone()
        } else {
            if signed.is_none() && !fifo {
                signed = Some(notification.sign(version, links));
            }
            notification.envelope(signed.as_ref(), &links.unsubscribe(&sub.arn))
        };
        let to_fifo_queue = sub.endpoint.ends_with(".fifo");
        let delivery = Delivery {
            attributes: if sub.raw() {
                outgoing.attributes.clone()
            } else {
                BTreeMap::new()
            },
            group: if fifo && !to_fifo_queue {
                None
            } else {
                outgoing.group.clone()
            },
            // The topic's deduplication id (explicit, or the message's SHA-256), not one of
            // the envelope, which differs on every publish.
            dedup_id: if fifo && to_fifo_queue {
                dedup_id.cloned()
            } else {
                None
            },
            body,
        };
        deliver(state, sub, delivery, now);
    }
    Ok((message_id, sequence))
}

/// Hands one copy to the subscription's queue; when that fails (the queue is gone, or
/// refuses the message), to its dead-letter queue if it has one, else the copy is dropped,
/// as SNS drops it. The other subscriptions' copies are not affected.
fn deliver(state: &mut State, sub: &Subscription, delivery: Delivery, now: Now) {
    let Some(key) = QueueKey::from_arn(&sub.endpoint) else {
        return;
    };
    let Err(_) = send::deliver(state, &key, SNS_SENDER_ID, delivery.clone(), now) else {
        return;
    };
    let dead_letter = sub
        .attributes
        .get("RedrivePolicy")
        .and_then(|p| serde_json::from_str::<Value>(p).ok())
        .and_then(|p| {
            p["deadLetterTargetArn"]
                .as_str()
                .and_then(QueueKey::from_arn)
        });
    if let Some(dlq) = dead_letter {
        let _ = send::deliver(state, &dlq, SNS_SENDER_ID, delivery, now);
    }
}

/// PublishBatch: up to 10 entries, each published like Publish; the whole request fails
/// on a malformed batch or entry, as SNS does.
///
/// # Errors
/// An empty or oversized batch, repeated or malformed ids, an entry SNS refuses.
pub fn publish_batch(
    state: &mut State,
    ctx: &RequestContext,
    p: Params<'_>,
    now: Now,
) -> Result<Output, SnsError> {
    let arn = p.required("TopicArn")?;
    let indexes = p.indexes("PublishBatchRequestEntries", "member");
    if indexes.len() > 10 {
        return Err(SnsError::too_many_entries());
    }
    let (fifo, content_dedup) = {
        let topic = state.sns().topic(arn, &ctx.region)?;
        (topic.fifo(), topic.content_based_deduplication())
    };
    if indexes.is_empty() {
        return Err(SnsError::empty_batch());
    }
    let prefixes: Vec<String> = indexes
        .iter()
        .map(|i| format!("PublishBatchRequestEntries.member.{i}."))
        .collect();
    let entries: Vec<Params<'_>> = prefixes.iter().map(|prefix| p.under(prefix)).collect();
    let ids: Vec<&str> = entries.iter().map(|e| e.get("Id").unwrap_or("")).collect();
    if ids.iter().collect::<HashSet<_>>().len() != ids.len() {
        return Err(SnsError::batch_ids_not_distinct());
    }
    for id in &ids {
        if id.len() > 80 {
            return Err(SnsError::invalid_batch_entry_id(id, true));
        }
        if id.is_empty()
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(SnsError::invalid_batch_entry_id(id, false));
        }
    }
    let mut checked = Vec::with_capacity(entries.len());
    let mut total = 0;
    for (n, entry) in entries.iter().enumerate() {
        let message = entry.get("Message").unwrap_or("");
        // A missing DataType fails the request's validation; a bad attribute value or a bad
        // subject fails only its entry (as AWS answers, reported by other emulators' users).
        let attributes = match entry.message_attributes(&format!(
            "publishBatchRequestEntries.{}.member.messageAttributes",
            n + 1
        )) {
            Err(error) if error.code == "ValidationError" => return Err(error),
            other => other,
        };
        if let Ok(attributes) = &attributes {
            total += message_size(message, attributes);
        }
        let published = message;
        let checked_entry = attributes.and_then(|attributes| {
            let message = structured(published, entry.get("MessageStructure"))?;
            if message.is_empty() {
                return Err(SnsError::invalid_parameter("Empty message"));
            }
            check_subject(entry.get("Subject"))?;
            let dedup_id = fifo.then(|| {
                entry
                    .get("MessageDeduplicationId")
                    .map_or_else(|| content_dedup_id(published), str::to_string)
            });
            Ok((message, dedup_id, attributes))
        });
        checked.push(checked_entry);
    }
    if fifo {
        if entries.iter().any(|e| e.get("MessageGroupId").is_none()) {
            return Err(SnsError::invalid_parameter(
                "The MessageGroupId parameter is required for FIFO topics",
            ));
        }
        if !content_dedup
            && entries
                .iter()
                .any(|e| e.get("MessageDeduplicationId").is_none())
        {
            return Err(SnsError::invalid_parameter(
                "The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
            ));
        }
    } else if entries
        .iter()
        .any(|e| e.get("MessageDeduplicationId").is_some())
    {
        return Err(SnsError::invalid_parameter(
            "MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type",
        ));
    }
    if total > MAX_MESSAGE_BYTES {
        return Err(SnsError::batch_too_long());
    }
    let mut successful = Vec::new();
    let mut failed = Vec::new();
    for ((entry, id), checked) in entries.iter().zip(&ids).zip(checked) {
        let (message, dedup_id, attributes) = match checked {
            Ok(checked) => checked,
            Err(error) => {
                let code = match error.code {
                    "ParameterValueInvalid" => "InvalidParameterValue",
                    code => code,
                };
                failed.push(vec![
                    Node::text("Id", *id),
                    Node::text("Code", code),
                    Node::text("Message", error.message),
                    Node::text("SenderFault", "true"),
                ]);
                continue;
            }
        };
        let outgoing = Outgoing {
            message,
            subject: entry.get("Subject").map(str::to_string),
            attributes,
            group: entry.get("MessageGroupId").map(str::to_string),
            dedup_id,
        };
        let (message_id, sequence) = fan_out(state, ctx, arn, outgoing, now)?;
        let mut member = vec![Node::text("Id", *id), Node::text("MessageId", message_id)];
        if let Some(sequence) = sequence {
            member.push(Node::text("SequenceNumber", sequence));
        }
        successful.push(member);
    }
    Ok(Output::Result(vec![
        Node::members("Successful", successful),
        Node::members("Failed", failed),
    ]))
}
