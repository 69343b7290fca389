//! An action's answer on its way to the wire. Most actions answer a JSON-protocol-shaped
//! [`Value`]; the three that run millions of times (ReceiveMessage, SendMessageBatch,
//! DeleteMessageBatch) answer typed structs instead, which the JSON protocol serializes
//! straight into its body: no map, no key strings, no value tree built and dropped for every
//! message. Their fields are declared in the order `serde_json`'s sorted `Map` writes its
//! keys, so both routes write the same bytes; the Query protocol (XML, and its JSON) and the
//! tests read the [`Value`] that [`Answer::into_value`] builds.

use serde::Serialize;
use serde_json::{Map, Value};

/// What an action answered.
#[derive(Debug)]
pub enum Answer {
    /// Any answer, JSON-protocol-shaped (`Null` is written as `{}`).
    Value(Value),
    /// ReceiveMessage with messages: `{"Messages": [...]}`.
    Received(Received),
    /// SendMessageBatch.
    Sent(Batch<SendResult>),
    /// DeleteMessageBatch and ChangeMessageVisibilityBatch: successes are their Ids.
    Ids(Batch<EntryId>),
}

impl Answer {
    /// How many messages a ReceiveMessage answer delivers.
    #[must_use]
    pub fn delivered(&self) -> usize {
        match self {
            Self::Received(received) => received.messages.len(),
            Self::Value(value) => value
                .get("Messages")
                .and_then(Value::as_array)
                .map_or(0, Vec::len),
            Self::Sent(_) | Self::Ids(_) => 0,
        }
    }
}

impl From<Value> for Answer {
    fn from(value: Value) -> Self {
        Self::Value(value)
    }
}

impl From<Received> for Answer {
    fn from(received: Received) -> Self {
        Self::Received(received)
    }
}

impl From<Batch<SendResult>> for Answer {
    fn from(batch: Batch<SendResult>) -> Self {
        Self::Sent(batch)
    }
}

impl From<Batch<EntryId>> for Answer {
    fn from(batch: Batch<EntryId>) -> Self {
        Self::Ids(batch)
    }
}

impl Answer {
    /// The answer as the JSON protocol's body (what `serde_json::to_vec` writes for
    /// [`Answer::into_value`], without building it).
    #[must_use]
    pub fn to_json_bytes(&self) -> Vec<u8> {
        let written = match self {
            Self::Value(Value::Null) => return b"{}".to_vec(),
            Self::Value(value) => serde_json::to_vec(value),
            Self::Received(received) => serde_json::to_vec(received),
            Self::Sent(batch) => serde_json::to_vec(batch),
            Self::Ids(batch) => serde_json::to_vec(batch),
        };
        written.unwrap_or_else(|_| b"{}".to_vec())
    }

    /// The answer as a JSON-protocol-shaped value (for the Query protocol and the tests).
    #[must_use]
    pub fn into_value(self) -> Value {
        match self {
            Self::Value(value) => value,
            Self::Received(received) => to_value(&received),
            Self::Sent(batch) => to_value(&batch),
            Self::Ids(batch) => to_value(&batch),
        }
    }
}

/// A typed answer as a value: the map its `Serialize` describes (serializing this module's
/// structs cannot fail: their keys are strings).
pub fn to_value(answer: &impl Serialize) -> Value {
    serde_json::to_value(answer).unwrap_or_else(|_| Value::Object(Map::new()))
}

/// ReceiveMessage's answer when it delivers.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Received {
    /// The delivered messages, in delivery order.
    pub messages: Vec<ReceivedMessage>,
}

/// One delivered message; fields in the JSON protocol's (sorted) key order.
#[derive(Debug, Serialize)]
pub struct ReceivedMessage {
    /// The system attributes asked for, if any.
    #[serde(rename = "Attributes", skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Map<String, Value>>,
    /// The body.
    #[serde(rename = "Body")]
    pub body: String,
    /// MD5 of the body.
    #[serde(rename = "MD5OfBody")]
    pub md5_of_body: String,
    /// MD5 of the user attributes returned, if any.
    #[serde(
        rename = "MD5OfMessageAttributes",
        skip_serializing_if = "Option::is_none"
    )]
    pub md5_of_message_attributes: Option<String>,
    /// The user attributes returned, if any.
    #[serde(rename = "MessageAttributes", skip_serializing_if = "Option::is_none")]
    pub message_attributes: Option<Value>,
    /// MessageId.
    #[serde(rename = "MessageId")]
    pub message_id: String,
    /// The new receipt handle.
    #[serde(rename = "ReceiptHandle")]
    pub receipt_handle: String,
}

/// A batch answer: `Failed` then `Successful` (sorted), each left out when empty as SQS
/// does (SDKs default the missing list).
#[derive(Debug, Serialize)]
pub struct Batch<T> {
    /// Failed entries (`Id`, `SenderFault`, `Code`, `Message`).
    #[serde(rename = "Failed", skip_serializing_if = "Vec::is_empty")]
    pub failed: Vec<Value>,
    /// Successful entries.
    #[serde(rename = "Successful", skip_serializing_if = "Vec::is_empty")]
    pub successful: Vec<T>,
}

/// A successful batch entry reported by its Id alone.
#[derive(Debug, Serialize)]
pub struct EntryId {
    /// The entry's `Id`.
    #[serde(rename = "Id")]
    pub id: String,
}

/// What a send answers (SendMessage, and each SendMessageBatch entry with its `Id`); fields
/// in sorted key order.
#[derive(Debug, Serialize)]
pub struct SendResult {
    /// The batch entry's `Id` (none for SendMessage).
    #[serde(rename = "Id", skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// MD5 of the user attributes, if any.
    #[serde(
        rename = "MD5OfMessageAttributes",
        skip_serializing_if = "Option::is_none"
    )]
    pub md5_of_message_attributes: Option<String>,
    /// MD5 of the body.
    #[serde(rename = "MD5OfMessageBody")]
    pub md5_of_message_body: String,
    /// MD5 of the system attributes, if any.
    #[serde(
        rename = "MD5OfMessageSystemAttributes",
        skip_serializing_if = "Option::is_none"
    )]
    pub md5_of_message_system_attributes: Option<String>,
    /// MessageId.
    #[serde(rename = "MessageId")]
    pub message_id: String,
    /// FIFO SequenceNumber.
    #[serde(rename = "SequenceNumber", skip_serializing_if = "Option::is_none")]
    pub sequence_number: Option<String>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// Each typed answer writes the bytes its value writes.
    fn same_bytes(answer: Answer) {
        let typed = answer.to_json_bytes();
        let value = serde_json::to_vec(&answer.into_value()).unwrap();
        assert_eq!(
            String::from_utf8(typed).unwrap(),
            String::from_utf8(value).unwrap()
        );
    }

    #[test]
    fn typed_answers_write_what_their_values_write() {
        let mut attributes = Map::new();
        attributes.insert("SenderId".into(), json!("AIDA"));
        for (attributes, md5) in [(None, None), (Some(attributes), Some("m".to_string()))] {
            same_bytes(Answer::Received(Received {
                messages: vec![ReceivedMessage {
                    attributes,
                    body: "b\"\u{1}é".into(),
                    md5_of_body: "md5".into(),
                    md5_of_message_attributes: md5,
                    message_attributes: Some(json!({"a": {"DataType": "String"}})),
                    message_id: "id".into(),
                    receipt_handle: "AQEB".into(),
                }],
            }));
        }
        let sent = |id: Option<&str>, seq: Option<&str>| SendResult {
            id: id.map(str::to_string),
            md5_of_message_attributes: seq.map(str::to_string),
            md5_of_message_body: "md5".into(),
            md5_of_message_system_attributes: seq.map(str::to_string),
            message_id: "mid".into(),
            sequence_number: seq.map(str::to_string),
        };
        same_bytes(Answer::Sent(Batch {
            failed: vec![json!({"Id": "f", "Code": "c"})],
            successful: vec![sent(Some("a"), None), sent(Some("b"), Some("1"))],
        }));
        same_bytes(Answer::Ids(Batch {
            failed: Vec::new(),
            successful: vec![EntryId { id: "x".into() }],
        }));
        same_bytes(Answer::Ids(Batch {
            failed: Vec::new(),
            successful: Vec::new(),
        }));
        assert_eq!(Answer::Value(Value::Null).to_json_bytes(), b"{}");
        assert_eq!(
            Answer::Ids(Batch {
                failed: Vec::new(),
                successful: vec![EntryId { id: "x".into() }],
            })
            .into_value(),
            json!({"Successful": [{"Id": "x"}]})
        );
    }
}
