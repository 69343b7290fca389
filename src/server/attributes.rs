//! Queue attributes: the configurable ones (parse, validate, render as strings) and the
//! catalogue of names GetQueueAttributes knows.

use std::collections::BTreeMap;

use serde_json::Value;

use super::error::SqsError;
use crate::rules::MAX_VISIBILITY_SECS;

/// [`MAX_VISIBILITY_SECS`] as an attribute value.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
const MAX_VISIBILITY: u32 = MAX_VISIBILITY_SECS as u32;

/// Attributes only FIFO queues have.
pub const FIFO_ONLY: [&str; 4] = [
    "FifoQueue",
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "FifoThroughputLimit",
];

/// The `All` set of GetQueueAttributes, in AWS's order; configuration attributes appear only
/// when set.
pub const ALL: [&str; 21] = [
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesDelayed",
    "ApproximateNumberOfMessagesNotVisible",
    "CreatedTimestamp",
    "DelaySeconds",
    "LastModifiedTimestamp",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "QueueArn",
    "ReceiveMessageWaitTimeSeconds",
    "SqsManagedSseEnabled",
    "VisibilityTimeout",
    "Policy",
    "RedrivePolicy",
    "RedriveAllowPolicy",
    "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds",
    "FifoQueue",
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "FifoThroughputLimit",
];

/// Deprecated names SQS still answers when asked by name (never part of `All`).
const DEPRECATED: [&str; 2] = ["ApproximateNumberOfMessagesInFlight", "Attributes"];

/// Whether GetQueueAttributes accepts `name` (besides `All`).
#[must_use]
pub fn is_known(name: &str) -> bool {
    ALL.contains(&name) || DEPRECATED.contains(&name)
}

/// A parsed RedrivePolicy.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RedrivePolicy {
    /// ARN of the dead-letter queue.
    pub target_arn: String,
    /// Receives allowed before the next one moves the message to the DLQ (1–1000).
    pub max_receive_count: u32,
}

impl RedrivePolicy {
    /// The canonical JSON string GetQueueAttributes returns.
    #[must_use]
    pub fn render(&self) -> String {
        serde_json::json!({
            "deadLetterTargetArn": self.target_arn,
            "maxReceiveCount": self.max_receive_count,
        })
        .to_string()
    }

    /// Parses the attribute value.
    ///
    /// # Errors
    /// Not a JSON map with a target ARN and a count in 1–1000: InvalidParameterValue.
    pub fn parse(raw: &str) -> Result<Self, SqsError> {
        let invalid = |reason: &str| {
            SqsError::invalid_parameter_value(format!(
                "Value {raw} for parameter RedrivePolicy is invalid. Reason: {reason}"
            ))
        };
        let value: Value = serde_json::from_str(raw)
            .map_err(|_| invalid("Redrive policy is not a valid JSON map."))?;
        let target_arn = value
            .get("deadLetterTargetArn")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                invalid("Redrive policy does not contain mandatory attribute: deadLetterTargetArn.")
            })?
            .to_string();
        let count = match value.get("maxReceiveCount") {
            Some(Value::Number(n)) => n.as_i64(),
            Some(Value::String(s)) => s.parse().ok(),
            _ => None,
        }
        .ok_or_else(|| {
            invalid("Redrive policy does not contain mandatory attribute: maxReceiveCount.")
        })?;
        // [U] 1–1000 is LocalStack's range; AWS's exact text is unrecorded.
        let max_receive_count = u32::try_from(count)
            .ok()
            .filter(|c| (1..=1000).contains(c))
            .ok_or_else(|| {
                invalid("Invalid value for maxReceiveCount: must be between 1 and 1000.")
            })?;
        Ok(Self {
            target_arn,
            max_receive_count,
        })
    }
}

/// The settable configuration of one queue.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct QueueConfig {
    /// FIFO queue (fixed at creation).
    pub fifo: bool,
    /// Queue delay in seconds (0–900). Standard: applied at send; FIFO: retroactive.
    pub delay_seconds: u32,
    /// Largest message in bytes, attributes included (1024–1 MiB).
    pub maximum_message_size: u32,
    /// Seconds a message is kept before it expires silently (60 s–14 days).
    pub message_retention_period: u32,
    /// Long-poll wait when a receive does not say (0–20).
    pub receive_message_wait_time_seconds: u32,
    /// Default visibility timeout in seconds (0–12 h).
    pub visibility_timeout: u32,
    /// Dead-letter redrive, when set.
    pub redrive_policy: Option<RedrivePolicy>,
    /// RedriveAllowPolicy JSON, stored as sent.
    pub redrive_allow_policy: Option<String>,
    /// Access policy JSON, stored as sent (not enforced).
    pub policy: Option<String>,
    /// SSE-KMS key id (not enforced).
    pub kms_master_key_id: Option<String>,
    /// KMS data key reuse period (60–86400), when set.
    pub kms_data_key_reuse_period_seconds: Option<u32>,
    /// SSE-SQS flag (on by default, as in AWS).
    pub sqs_managed_sse_enabled: bool,
    /// FIFO: dedup id = SHA-256 of the body when the sender gives none.
    pub content_based_deduplication: bool,
    /// FIFO: dedup per message group (`messageGroup`) instead of per queue.
    pub dedup_per_group: bool,
    /// FIFO: `perMessageGroupId` throughput limit.
    pub throughput_per_group: bool,
}

impl QueueConfig {
    /// Defaults for a new queue of the given type.
    #[must_use]
    pub fn new(fifo: bool) -> Self {
        Self {
            fifo,
            delay_seconds: 0,
            maximum_message_size: 1_048_576,
            message_retention_period: 345_600,
            receive_message_wait_time_seconds: 0,
            visibility_timeout: 30,
            redrive_policy: None,
            redrive_allow_policy: None,
            policy: None,
            kms_master_key_id: None,
            kms_data_key_reuse_period_seconds: None,
            sqs_managed_sse_enabled: true,
            content_based_deduplication: false,
            dedup_per_group: false,
            throughput_per_group: false,
        }
    }

    /// Validates CreateQueue's attributes for `name` and builds the configuration.
    ///
    /// # Errors
    /// The InvalidAttributeName / InvalidAttributeValue / InvalidParameterValue SQS answers.
    pub fn for_create(name: &str, attributes: &BTreeMap<String, String>) -> Result<Self, SqsError> {
        let fifo_attr = attributes.get("FifoQueue").map(String::as_str);
        let fifo = match fifo_attr {
            Some(v) if v.eq_ignore_ascii_case("true") => true,
            Some(v) if v.eq_ignore_ascii_case("false") => false,
            Some(v) => {
                return Err(SqsError::invalid_attribute_value(format!(
                    "Invalid value for the parameter FifoQueue. Reason: {v} is not a boolean."
                )));
            }
            None => false,
        };
        if !fifo {
            if fifo_attr.is_some() {
                return Err(SqsError::invalid_attribute_name(
                    "Unknown Attribute FifoQueue.",
                ));
            }
            if attributes.contains_key("ContentBasedDeduplication") {
                return Err(SqsError::invalid_attribute_name(
                    "Unknown Attribute ContentBasedDeduplication.",
                ));
            }
            for name in ["DeduplicationScope", "FifoThroughputLimit"] {
                if attributes.contains_key(name) {
                    return Err(SqsError::invalid_attribute_name(format!(
                        "You can specify the {name} only when FifoQueue is set to true."
                    )));
                }
            }
        }
        // [U] Text from LocalStack; AWS rejects both mismatches with InvalidParameterValue.
        if fifo != name.ends_with(".fifo") {
            return Err(SqsError::invalid_parameter_value(
                "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.",
            ));
        }
        let mut config = Self::new(fifo);
        for (key, value) in attributes {
            config.set(key, value)?;
        }
        config.check_combination()?;
        Ok(config)
    }

    /// Applies SetQueueAttributes' attributes.
    ///
    /// # Errors
    /// As for CreateQueue, plus FifoQueue changes.
    pub fn for_update(&self, attributes: &BTreeMap<String, String>) -> Result<Self, SqsError> {
        let mut config = self.clone();
        for (key, value) in attributes {
            config.set(key, value)?;
        }
        config.check_combination()?;
        Ok(config)
    }

    fn check_combination(&self) -> Result<(), SqsError> {
        // [U] Exact text unrecorded.
        if self.throughput_per_group && !self.dedup_per_group {
            return Err(SqsError::invalid_attribute_value(
                "Invalid value for the parameter FifoThroughputLimit. Reason: perMessageGroupId is only valid when DeduplicationScope is messageGroup.",
            ));
        }
        Ok(())
    }

    fn set(&mut self, key: &str, value: &str) -> Result<(), SqsError> {
        let invalid =
            || SqsError::invalid_attribute_value(format!("Invalid value for the parameter {key}."));
        let range = |min: u32, max: u32| -> Result<u32, SqsError> {
            value
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|v| (min..=max).contains(v))
                .ok_or_else(invalid)
        };
        let boolean = || -> Result<bool, SqsError> {
            match value.to_ascii_lowercase().as_str() {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(invalid()),
            }
        };
        // A setting named by one of two words: `yes` turns it on, `no` off.
        let either = |yes: &str, no: &str| -> Result<bool, SqsError> {
            match value {
                v if v == yes => Ok(true),
                v if v == no => Ok(false),
                _ => Err(invalid()),
            }
        };
        let fifo_only = |fifo: bool| -> Result<(), SqsError> {
            if fifo {
                Ok(())
            } else if key == "FifoQueue" || key == "ContentBasedDeduplication" {
                Err(SqsError::invalid_attribute_name(format!(
                    "Unknown Attribute {key}."
                )))
            } else {
                Err(SqsError::invalid_attribute_name(format!(
                    "You can specify the {key} only when FifoQueue is set to true."
                )))
            }
        };
        match key {
            "DelaySeconds" => self.delay_seconds = range(0, 900)?,
            "MaximumMessageSize" => self.maximum_message_size = range(1024, 1_048_576)?,
            "MessageRetentionPeriod" => self.message_retention_period = range(60, 1_209_600)?,
            "ReceiveMessageWaitTimeSeconds" => {
                self.receive_message_wait_time_seconds = range(0, 20)?;
            }
            "VisibilityTimeout" => self.visibility_timeout = range(0, MAX_VISIBILITY)?,
            "RedrivePolicy" => {
                self.redrive_policy = if value.is_empty() {
                    None
                } else {
                    Some(RedrivePolicy::parse(value)?)
                };
            }
            "RedriveAllowPolicy" => {
                self.redrive_allow_policy = if value.is_empty() {
                    None
                } else {
                    let parsed: Value = serde_json::from_str(value).map_err(|_| {
                        SqsError::invalid_attribute_value(
                            "Invalid value for the parameter RedriveAllowPolicy. Reason: Amazon SQS can't create the redrive allow policy, as it's in an unsupported format.",
                        )
                    })?;
                    let permission = parsed.get("redrivePermission").and_then(Value::as_str);
                    if !matches!(permission, Some("allowAll" | "denyAll" | "byQueue")) {
                        return Err(SqsError::invalid_attribute_value(
                            "Invalid value for the parameter RedriveAllowPolicy. Reason: Amazon SQS can't create the redrive allow policy, as it's in an unsupported format.",
                        ));
                    }
                    Some(value.to_string())
                };
            }
            "Policy" => self.policy = (!value.is_empty()).then(|| value.to_string()),
            "KmsMasterKeyId" => {
                self.kms_master_key_id = (!value.is_empty()).then(|| value.to_string())
            }
            "KmsDataKeyReusePeriodSeconds" => {
                let seconds = range(60, 86_400)?;
                self.kms_data_key_reuse_period_seconds = (seconds != 300).then_some(seconds);
            }
            "SqsManagedSseEnabled" => self.sqs_managed_sse_enabled = boolean()?,
            "FifoQueue" => {
                fifo_only(self.fifo)?;
                if !boolean()? {
                    return Err(SqsError::invalid_attribute_value(
                        "Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported.",
                    ));
                }
            }
            "ContentBasedDeduplication" => {
                fifo_only(self.fifo)?;
                self.content_based_deduplication = boolean()?;
            }
            "DeduplicationScope" => {
                fifo_only(self.fifo)?;
                self.dedup_per_group = either("messageGroup", "queue")?;
            }
            "FifoThroughputLimit" => {
                fifo_only(self.fifo)?;
                self.throughput_per_group = either("perMessageGroupId", "perQueue")?;
            }
            _ => {
                return Err(SqsError::invalid_attribute_name(format!(
                    "Unknown Attribute {key}."
                )));
            }
        }
        Ok(())
    }

    /// The configured value of `key` as GetQueueAttributes shows it; `None` when unset or not
    /// a configuration attribute.
    #[must_use]
    pub fn render(&self, key: &str) -> Option<String> {
        let fifo = |v: String| self.fifo.then_some(v);
        match key {
            "DelaySeconds" => Some(self.delay_seconds.to_string()),
            "MaximumMessageSize" => Some(self.maximum_message_size.to_string()),
            "MessageRetentionPeriod" => Some(self.message_retention_period.to_string()),
            "ReceiveMessageWaitTimeSeconds" => {
                Some(self.receive_message_wait_time_seconds.to_string())
            }
            "VisibilityTimeout" => Some(self.visibility_timeout.to_string()),
            "RedrivePolicy" => self.redrive_policy.as_ref().map(RedrivePolicy::render),
            "RedriveAllowPolicy" => self.redrive_allow_policy.clone(),
            "Policy" => self.policy.clone(),
            "KmsMasterKeyId" => self.kms_master_key_id.clone(),
            "KmsDataKeyReusePeriodSeconds" => self
                .kms_data_key_reuse_period_seconds
                .map(|s| s.to_string()),
            "SqsManagedSseEnabled" => Some(self.sqs_managed_sse_enabled.to_string()),
            "FifoQueue" => fifo("true".to_string()),
            "ContentBasedDeduplication" => fifo(self.content_based_deduplication.to_string()),
            "DeduplicationScope" => fifo(
                if self.dedup_per_group {
                    "messageGroup"
                } else {
                    "queue"
                }
                .to_string(),
            ),
            "FifoThroughputLimit" => fifo(
                if self.throughput_per_group {
                    "perMessageGroupId"
                } else {
                    "perQueue"
                }
                .to_string(),
            ),
            _ => None,
        }
    }

    /// For CreateQueue on an existing name: the first attribute whose requested value differs
    /// from the current one.
    #[must_use]
    pub fn first_difference(&self, requested: &BTreeMap<String, String>) -> Option<String> {
        requested.iter().find_map(|(key, value)| {
            let current = self.render(key);
            let same = match key.as_str() {
                "RedrivePolicy" => {
                    current
                        .as_deref()
                        .and_then(|c| RedrivePolicy::parse(c).ok())
                        == RedrivePolicy::parse(value).ok()
                }
                "FifoQueue" | "ContentBasedDeduplication" | "SqsManagedSseEnabled" => current
                    .as_deref()
                    .is_some_and(|c| c.eq_ignore_ascii_case(value.trim())),
                _ => current.as_deref().map(str::trim) == Some(value.trim()),
            };
            (!same).then(|| key.clone())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect()
    }

    #[test]
    fn fifo_attributes_on_standard_are_unknown() {
        let err = QueueConfig::for_create("q", &attrs(&[("FifoQueue", "false")])).unwrap_err();
        assert_eq!(err.message, "Unknown Attribute FifoQueue.");
        let err =
            QueueConfig::for_create("q", &attrs(&[("DeduplicationScope", "queue")])).unwrap_err();
        assert_eq!(
            err.message,
            "You can specify the DeduplicationScope only when FifoQueue is set to true."
        );
        assert!(QueueConfig::for_create("q.fifo", &attrs(&[])).is_err());
        assert!(QueueConfig::for_create("q", &attrs(&[("FifoQueue", "true")])).is_err());
    }

    #[test]
    fn ranges_and_types() {
        assert!(QueueConfig::for_create("q", &attrs(&[("DelaySeconds", "901")])).is_err());
        assert!(QueueConfig::for_create("q", &attrs(&[("Bogus", "1")])).is_err());
        let fifo = QueueConfig::for_create("q.fifo", &attrs(&[("FifoQueue", "true")])).unwrap();
        let err = fifo
            .for_update(&attrs(&[("FifoQueue", "false")]))
            .unwrap_err();
        assert_eq!(
            err.message,
            "Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported."
        );
        assert_eq!(err.code, "InvalidAttributeValue");
    }

    #[test]
    fn idempotent_create_compares_values() {
        let config = QueueConfig::for_create("q", &attrs(&[("DelaySeconds", "5")])).unwrap();
        assert_eq!(
            config.first_difference(&attrs(&[("DelaySeconds", "5")])),
            None
        );
        assert_eq!(
            config.first_difference(&attrs(&[("DelaySeconds", "6")])),
            Some("DelaySeconds".to_string())
        );
    }
}
