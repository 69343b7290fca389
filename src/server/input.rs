//! A request's input as the engine takes it: the JSON-protocol value every action reads, or,
//! for the actions run millions of times (SendMessageBatch, ReceiveMessage,
//! DeleteMessageBatch), the members read from the JSON body straight into [`Fields`]: no map
//! and no key string per member of every batch entry.
//!
//! [`Fields`] are only used when the body reads into them cleanly: a JSON object whose known
//! members have the types the actions want (strings, integers, objects for the entries) and
//! appear once. Anything else (a string where a number is expected, a repeated member, an
//! escaped member name, an array instead of an object) fails the typed read, and the body is
//! read into a [`Value`] as for every other action, so its checks and errors are the same.
//! Read through [`Input`], both give each member the same value.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::Value;

use super::validate::Input;

/// The actions whose JSON bodies are read into [`Fields`].
pub const TYPED_ACTIONS: [&str; 3] = ["SendMessageBatch", "ReceiveMessage", "DeleteMessageBatch"];

/// What an action is given.
#[derive(Debug)]
pub enum RequestInput {
    /// The JSON-protocol-shaped value (any action, any protocol).
    Value(Value),
    /// A hot action's JSON body read into fields.
    Fields(Box<Fields>),
}

impl RequestInput {
    /// The members, to read by name.
    #[must_use]
    pub fn input(&self) -> Input<'_> {
        match self {
            Self::Value(value) => Input::new(value),
            Self::Fields(fields) => Input::fields(fields),
        }
    }
}

/// One member as [`Fields`] hold it.
#[derive(Debug, Clone, Copy)]
pub enum Member<'a> {
    /// Absent or null.
    Absent,
    /// A string.
    Str(&'a str),
    /// An integer.
    Int(i64),
    /// Batch entries (objects).
    List(&'a [Fields]),
    /// Any other member, as it was sent (never null).
    Value(&'a Value),
}

/// The members of a hot action's request, or of one of its batch entries.
#[derive(Debug, Default)]
pub struct Fields {
    queue_url: Option<String>,
    entries: Option<Vec<Fields>>,
    id: Option<String>,
    message_body: Option<String>,
    delay_seconds: Option<i64>,
    message_attributes: Option<Value>,
    message_system_attributes: Option<Value>,
    message_group_id: Option<String>,
    message_deduplication_id: Option<String>,
    receipt_handle: Option<String>,
    max_number_of_messages: Option<i64>,
    wait_time_seconds: Option<i64>,
    visibility_timeout: Option<i64>,
    attribute_names: Option<Value>,
    message_system_attribute_names: Option<Value>,
    message_attribute_names: Option<Value>,
    receive_request_attempt_id: Option<String>,
    /// Members of other names, as sent (kombu sends Query-style keys in JSON).
    other: Vec<(String, Value)>,
}

impl Fields {
    /// The member called `name`.
    #[must_use]
    pub fn member(&self, name: &str) -> Member<'_> {
        fn text(field: &Option<String>) -> Member<'_> {
            field.as_deref().map_or(Member::Absent, Member::Str)
        }
        fn int(field: Option<i64>) -> Member<'static> {
            field.map_or(Member::Absent, Member::Int)
        }
        fn value(field: &Option<Value>) -> Member<'_> {
            field.as_ref().map_or(Member::Absent, Member::Value)
        }
        match name {
            "QueueUrl" => text(&self.queue_url),
            "Entries" => self.entries.as_deref().map_or(Member::Absent, Member::List),
            "Id" => text(&self.id),
            "MessageBody" => text(&self.message_body),
            "DelaySeconds" => int(self.delay_seconds),
            "MessageAttributes" => value(&self.message_attributes),
            "MessageSystemAttributes" => value(&self.message_system_attributes),
            "MessageGroupId" => text(&self.message_group_id),
            "MessageDeduplicationId" => text(&self.message_deduplication_id),
            "ReceiptHandle" => text(&self.receipt_handle),
            "MaxNumberOfMessages" => int(self.max_number_of_messages),
            "WaitTimeSeconds" => int(self.wait_time_seconds),
            "VisibilityTimeout" => int(self.visibility_timeout),
            "AttributeNames" => value(&self.attribute_names),
            "MessageSystemAttributeNames" => value(&self.message_system_attribute_names),
            "MessageAttributeNames" => value(&self.message_attribute_names),
            "ReceiveRequestAttemptId" => text(&self.receive_request_attempt_id),
            // The last of a repeated name, as a JSON object keeps it.
            _ => self
                .other
                .iter()
                .rev()
                .find(|(other, _)| other == name)
                .map_or(Member::Absent, |(_, v)| {
                    if v.is_null() {
                        Member::Absent
                    } else {
                        Member::Value(v)
                    }
                }),
        }
    }
}

impl<'de> Deserialize<'de> for Fields {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // An object only: a derived impl would also take an array, member by position.
        deserializer.deserialize_map(FieldsVisitor)
    }
}

struct FieldsVisitor;

impl<'de> Visitor<'de> for FieldsVisitor {
    type Value = Fields;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Fields, A::Error> {
        let mut fields = Fields::default();
        let mut seen = 0_u32;
        // A member name without escapes (else the typed read fails: the value route decodes
        // it), each known one at most once.
        while let Some(name) = map.next_key::<&'de str>()? {
            let bit = match name {
                "QueueUrl" => 0,
                "Entries" => 1,
                "Id" => 2,
                "MessageBody" => 3,
                "DelaySeconds" => 4,
                "MessageAttributes" => 5,
                "MessageSystemAttributes" => 6,
                "MessageGroupId" => 7,
                "MessageDeduplicationId" => 8,
                "ReceiptHandle" => 9,
                "MaxNumberOfMessages" => 10,
                "WaitTimeSeconds" => 11,
                "VisibilityTimeout" => 12,
                "AttributeNames" => 13,
                "MessageSystemAttributeNames" => 14,
                "MessageAttributeNames" => 15,
                "ReceiveRequestAttemptId" => 16,
                _ => {
                    let value: Value = map.next_value()?;
                    fields.other.push((name.to_string(), value));
                    continue;
                }
            };
            if seen & (1 << bit) != 0 {
                return Err(de::Error::custom(format_args!("member {name} repeated")));
            }
            seen |= 1 << bit;
            match bit {
                0 => fields.queue_url = map.next_value()?,
                1 => fields.entries = map.next_value()?,
                2 => fields.id = map.next_value()?,
                3 => fields.message_body = map.next_value()?,
                4 => fields.delay_seconds = map.next_value()?,
                5 => fields.message_attributes = map.next_value()?,
                6 => fields.message_system_attributes = map.next_value()?,
                7 => fields.message_group_id = map.next_value()?,
                8 => fields.message_deduplication_id = map.next_value()?,
                9 => fields.receipt_handle = map.next_value()?,
                10 => fields.max_number_of_messages = map.next_value()?,
                11 => fields.wait_time_seconds = map.next_value()?,
                12 => fields.visibility_timeout = map.next_value()?,
                13 => fields.attribute_names = map.next_value()?,
                14 => fields.message_system_attribute_names = map.next_value()?,
                15 => fields.message_attribute_names = map.next_value()?,
                _ => fields.receive_request_attempt_id = map.next_value()?,
            }
        }
        Ok(fields)
    }
}

/// A hot action's JSON body read into [`Fields`], if it reads cleanly (see the module
/// documentation); `None` sends it down the value route.
#[must_use]
pub fn typed(action: &str, body: &[u8]) -> Option<Fields> {
    if !TYPED_ACTIONS.contains(&action) {
        return None;
    }
    serde_json::from_slice(body).ok()
}

#[cfg(test)]
mod tests;
