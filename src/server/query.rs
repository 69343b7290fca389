//! The Query protocol's request side: turns flattened form parameters (`Attribute.1.Name=…`,
//! `SendMessageBatchRequestEntry.2.MessageAttribute.1.Value.StringValue=…`) into the JSON 1.0
//! input shape the engine reads, so both protocols reach [`super::engine::Engine`] alike.

use std::collections::BTreeMap;

use serde_json::{Map, Number, Value};

use super::error::SqsError;

/// Members that are integers in the JSON protocol (the Query protocol sends them as text).
const INTEGER_MEMBERS: &[&str] = &[
    "DelaySeconds",
    "MaxNumberOfMessages",
    "WaitTimeSeconds",
    "VisibilityTimeout",
    "MaxResults",
    "MaxNumberOfMessagesPerSecond",
];

/// Segments in the deepest name SQS knows
/// (`SendMessageBatchRequestEntry.N.MessageAttribute.N.Value.StringListValue.N`), with room to
/// spare. Deeper names are no input of any action and are ignored, as unknown names are; the
/// parameter tree (built and dropped recursively) then never gets deeper than this.
const MAX_NAME_SEGMENTS: usize = 10;

/// Parameters that belong to the protocol or the signature, not to the action's input.
fn is_protocol_param(name: &str) -> bool {
    matches!(
        name,
        "Action"
            | "Version"
            | "AWSAccessKeyId"
            | "Signature"
            | "SignatureMethod"
            | "SignatureVersion"
            | "Timestamp"
            | "Expires"
            | "SecurityToken"
    ) || name.starts_with("X-Amz-")
}

/// A parameter tree: `A.1.B=v` becomes `A -> 1 -> B -> v`. A name used both bare and with
/// children (kombu's `AttributeName=All` next to `AttributeName.1=…`) keeps the bare value
/// under the empty key.
#[derive(Debug, Default)]
struct Node {
    value: Option<String>,
    children: BTreeMap<String, Node>,
}

impl Node {
    fn insert(&mut self, path: &[&str], value: String) {
        match path.split_first() {
            None => self.value = Some(value),
            Some((head, rest)) => self
                .children
                .entry((*head).to_string())
                .or_default()
                .insert(rest, value),
        }
    }

    /// Children whose key is a 1-based index, in index order (others are ignored).
    fn indexed(&self) -> Vec<&Node> {
        let mut items: Vec<(u32, &Node)> = self
            .children
            .iter()
            .filter_map(|(key, node)| key.parse::<u32>().ok().map(|index| (index, node)))
            .collect();
        items.sort_by_key(|(index, _)| *index);
        items.into_iter().map(|(_, node)| node).collect()
    }

    fn child_value(&self, key: &str) -> Option<&str> {
        self.children
            .get(key)
            .and_then(|node| node.value.as_deref())
    }

    fn text(&self) -> String {
        self.value.clone().unwrap_or_default()
    }
}

/// The JSON-shaped input for `action` built from its Query parameters (protocol and signature
/// parameters are dropped).
///
/// # Errors
/// An integer parameter that is not a number (`InvalidParameterValue`, as SQS answers).
pub fn to_json(action: &str, params: &[(String, String)]) -> Result<Value, SqsError> {
    let mut root = Node::default();
    for (name, value) in params {
        if is_protocol_param(name) || name.split('.').nth(MAX_NAME_SEGMENTS).is_some() {
            continue;
        }
        let path: Vec<&str> = name.split('.').collect();
        root.insert(&path, value.clone());
    }
    let tags_member = if action == "CreateQueue" {
        "tags"
    } else {
        "Tags"
    };
    members(&root, tags_member)
}

/// Converts one level of the tree (the request, or one batch entry) into a JSON object.
fn members(node: &Node, tags_member: &str) -> Result<Value, SqsError> {
    let mut out = Map::new();
    for (name, child) in &node.children {
        match name.as_str() {
            "Attribute" => {
                merge_map(
                    &mut out,
                    "Attributes",
                    name_value_map(child, "Name", "Value"),
                );
            }
            "Tag" => merge_map(&mut out, tags_member, name_value_map(child, "Key", "Value")),
            "MessageAttribute" => merge_map(&mut out, "MessageAttributes", attribute_map(child)),
            "MessageSystemAttribute" => {
                merge_map(&mut out, "MessageSystemAttributes", attribute_map(child));
            }
            "AttributeName" => push_list(&mut out, "AttributeNames", child),
            "MessageAttributeName" | "MessageAttributeNames" => {
                push_list(&mut out, "MessageAttributeNames", child);
            }
            "MessageSystemAttributeName" | "MessageSystemAttributeNames" => {
                push_list(&mut out, "MessageSystemAttributeNames", child);
            }
            "TagKey" => push_list(&mut out, "TagKeys", child),
            "AWSAccountId" => push_list(&mut out, "AWSAccountIds", child),
            "ActionName" => push_list(&mut out, "Actions", child),
            entry if entry.ends_with("BatchRequestEntry") => {
                let entries = child
                    .indexed()
                    .into_iter()
                    .map(|entry| members(entry, tags_member))
                    .collect::<Result<Vec<_>, _>>()?;
                out.insert("Entries".to_string(), Value::Array(entries));
            }
            scalar => {
                let Some(text) = &child.value else { continue };
                out.insert(scalar.to_string(), scalar_value(scalar, text)?);
            }
        }
    }
    Ok(Value::Object(out))
}

/// A scalar parameter: integers become JSON numbers, everything else stays a string.
fn scalar_value(name: &str, text: &str) -> Result<Value, SqsError> {
    if !INTEGER_MEMBERS.contains(&name) {
        return Ok(Value::String(text.to_string()));
    }
    text.trim()
        .parse::<i64>()
        .map(|n| Value::Number(Number::from(n)))
        .map_err(|_| {
            SqsError::invalid_parameter_value(format!(
                "Value {text} for parameter {name} is invalid. Reason: must be an integer."
            ))
        })
}

/// `X.N.Name` / `X.N.Value` pairs as a JSON map of strings.
fn name_value_map(node: &Node, key: &str, value: &str) -> Map<String, Value> {
    node.indexed()
        .into_iter()
        .filter_map(|item| {
            let name = item.child_value(key)?;
            let text = item.child_value(value).unwrap_or_default();
            Some((name.to_string(), Value::String(text.to_string())))
        })
        .collect()
}

/// `MessageAttribute.N.Name` + `MessageAttribute.N.Value.{DataType,StringValue,BinaryValue}`.
fn attribute_map(node: &Node) -> Map<String, Value> {
    node.indexed()
        .into_iter()
        .filter_map(|item| {
            let name = item.child_value("Name")?;
            let value = item
                .children
                .get("Value")
                .map_or_else(|| Value::Object(Map::new()), attribute_value);
            Some((name.to_string(), value))
        })
        .collect()
}

/// One `MessageAttributeValue`: scalars as strings, `StringListValue.N` as `StringListValues`.
fn attribute_value(node: &Node) -> Value {
    let mut out = Map::new();
    for (name, child) in &node.children {
        match name.as_str() {
            "StringListValue" | "BinaryListValue" => {
                let list = child.indexed().into_iter().map(|n| Value::String(n.text()));
                out.insert(format!("{name}s"), Value::Array(list.collect()));
            }
            _ => {
                if let Some(text) = &child.value {
                    out.insert(name.clone(), Value::String(text.clone()));
                }
            }
        }
    }
    Value::Object(out)
}

fn merge_map(out: &mut Map<String, Value>, member: &str, map: Map<String, Value>) {
    if let Value::Object(existing) = out
        .entry(member.to_string())
        .or_insert_with(|| Value::Object(Map::new()))
    {
        existing.extend(map);
    }
}

/// A list given as `X.N=v` (and possibly a bare `X=v`, which comes first).
fn push_list(out: &mut Map<String, Value>, member: &str, node: &Node) {
    let bare = node.value.iter().cloned();
    let indexed = node.indexed().into_iter().filter_map(|n| n.value.clone());
    let items = bare.chain(indexed).map(Value::String);
    if let Value::Array(existing) = out
        .entry(member.to_string())
        .or_insert_with(|| Value::Array(Vec::new()))
    {
        existing.extend(items);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect()
    }

    #[test]
    fn create_queue_attributes_and_lowercase_tags() {
        let input = to_json(
            "CreateQueue",
            &params(&[
                ("Action", "CreateQueue"),
                ("Version", "2012-11-05"),
                ("QueueName", "q.fifo"),
                ("Attribute.1.Name", "FifoQueue"),
                ("Attribute.1.Value", "true"),
                ("Attribute.2.Name", "VisibilityTimeout"),
                ("Attribute.2.Value", "45"),
                ("Tag.1.Key", "team"),
                ("Tag.1.Value", "blue"),
                ("DefaultVisibilityTimeout", "40"),
            ]),
        )
        .unwrap();
        assert_eq!(
            input,
            json!({
                "QueueName": "q.fifo",
                "Attributes": {"FifoQueue": "true", "VisibilityTimeout": "45"},
                "tags": {"team": "blue"},
                "DefaultVisibilityTimeout": "40",
            })
        );
    }

    #[test]
    fn tag_queue_uses_capital_tags_and_untag_keys() {
        let tag = to_json(
            "TagQueue",
            &params(&[
                ("QueueUrl", "u"),
                ("Tag.2.Key", "b"),
                ("Tag.2.Value", "2"),
                ("Tag.1.Key", "a"),
                ("Tag.1.Value", ""),
            ]),
        )
        .unwrap();
        assert_eq!(tag, json!({"QueueUrl": "u", "Tags": {"a": "", "b": "2"}}));
        let untag = to_json(
            "UntagQueue",
            &params(&[("QueueUrl", "u"), ("TagKey.2", "y"), ("TagKey.1", "x")]),
        )
        .unwrap();
        assert_eq!(untag, json!({"QueueUrl": "u", "TagKeys": ["x", "y"]}));
    }

    #[test]
    fn receive_lists_in_every_spelling() {
        let input = to_json(
            "ReceiveMessage",
            &params(&[
                ("QueueUrl", "u"),
                ("AttributeName", "All"),
                ("AttributeName.1", "SentTimestamp"),
                ("MessageAttributeNames.1", "client"),
                ("MessageAttributeName.1", "run"),
                ("MessageSystemAttributeName.1", "SenderId"),
                ("MaxNumberOfMessages", "10"),
                ("WaitTimeSeconds", "20"),
                ("VisibilityTimeout", "0"),
                (
                    "X-Amz-Credential",
                    "AKID/20240101/eu-west-1/sqs/aws4_request",
                ),
                ("X-Amz-Signature", "abc"),
            ]),
        )
        .unwrap();
        assert_eq!(input["AttributeNames"], json!(["All", "SentTimestamp"]));
        let names = input["MessageAttributeNames"].as_array().unwrap();
        assert_eq!(names.len(), 2);
        assert!(names.contains(&json!("client")) && names.contains(&json!("run")));
        assert_eq!(input["MessageSystemAttributeNames"], json!(["SenderId"]));
        assert_eq!(input["MaxNumberOfMessages"], json!(10));
        assert_eq!(input["WaitTimeSeconds"], json!(20));
        assert_eq!(input["VisibilityTimeout"], json!(0));
        assert!(input.get("X-Amz-Credential").is_none());
    }

    #[test]
    fn send_message_attributes() {
        let input = to_json(
            "SendMessage",
            &params(&[
                ("QueueUrl", "u"),
                ("MessageBody", "a\r\nb"),
                ("DelaySeconds", "5"),
                ("MessageAttribute.1.Name", "client"),
                ("MessageAttribute.1.Value.DataType", "String"),
                ("MessageAttribute.1.Value.StringValue", "Client 1"),
                ("MessageAttribute.2.Name", "blob"),
                ("MessageAttribute.2.Value.DataType", "Binary"),
                ("MessageAttribute.2.Value.BinaryValue", "AAE="),
                ("MessageSystemAttribute.1.Name", "AWSTraceHeader"),
                ("MessageSystemAttribute.1.Value.DataType", "String"),
                ("MessageSystemAttribute.1.Value.StringValue", "Root=1-abc"),
            ]),
        )
        .unwrap();
        assert_eq!(
            input,
            json!({
                "QueueUrl": "u",
                "MessageBody": "a\r\nb",
                "DelaySeconds": 5,
                "MessageAttributes": {
                    "client": {"DataType": "String", "StringValue": "Client 1"},
                    "blob": {"DataType": "Binary", "BinaryValue": "AAE="},
                },
                "MessageSystemAttributes": {
                    "AWSTraceHeader": {"DataType": "String", "StringValue": "Root=1-abc"},
                },
            })
        );
    }

    #[test]
    fn batch_entries_in_index_order_with_nested_attributes() {
        let input = to_json(
            "SendMessageBatch",
            &params(&[
                ("QueueUrl", "u"),
                ("SendMessageBatchRequestEntry.10.Id", "ten"),
                ("SendMessageBatchRequestEntry.10.MessageBody", "m10"),
                ("SendMessageBatchRequestEntry.2.Id", "two"),
                ("SendMessageBatchRequestEntry.2.MessageBody", "m2"),
                ("SendMessageBatchRequestEntry.2.MessageGroupId", "g"),
                ("SendMessageBatchRequestEntry.2.DelaySeconds", "3"),
                (
                    "SendMessageBatchRequestEntry.2.MessageAttribute.1.Name",
                    "n",
                ),
                (
                    "SendMessageBatchRequestEntry.2.MessageAttribute.1.Value.DataType",
                    "Number",
                ),
                (
                    "SendMessageBatchRequestEntry.2.MessageAttribute.1.Value.StringValue",
                    "7",
                ),
            ]),
        )
        .unwrap();
        assert_eq!(
            input["Entries"],
            json!([
                {"Id": "two", "MessageBody": "m2", "MessageGroupId": "g", "DelaySeconds": 3,
                 "MessageAttributes": {"n": {"DataType": "Number", "StringValue": "7"}}},
                {"Id": "ten", "MessageBody": "m10"},
            ])
        );
        let delete = to_json(
            "DeleteMessageBatch",
            &params(&[
                ("DeleteMessageBatchRequestEntry.1.Id", "a"),
                ("DeleteMessageBatchRequestEntry.1.ReceiptHandle", "h"),
            ]),
        )
        .unwrap();
        assert_eq!(
            delete,
            json!({"Entries": [{"Id": "a", "ReceiptHandle": "h"}]})
        );
        let change = to_json(
            "ChangeMessageVisibilityBatch",
            &params(&[
                ("ChangeMessageVisibilityBatchRequestEntry.1.Id", "a"),
                (
                    "ChangeMessageVisibilityBatchRequestEntry.1.ReceiptHandle",
                    "h",
                ),
                (
                    "ChangeMessageVisibilityBatchRequestEntry.1.VisibilityTimeout",
                    "60",
                ),
            ]),
        )
        .unwrap();
        assert_eq!(
            change,
            json!({"Entries": [{"Id": "a", "ReceiptHandle": "h", "VisibilityTimeout": 60}]})
        );
    }

    #[test]
    fn permissions_lists() {
        let input = to_json(
            "AddPermission",
            &params(&[
                ("Label", "l"),
                ("AWSAccountId.1", "111111111111"),
                ("ActionName.1", "SendMessage"),
                ("ActionName.2", "ReceiveMessage"),
            ]),
        )
        .unwrap();
        assert_eq!(
            input,
            json!({"Label": "l", "AWSAccountIds": ["111111111111"],
                   "Actions": ["SendMessage", "ReceiveMessage"]})
        );
    }

    #[test]
    fn non_numeric_integer_is_invalid_parameter_value() {
        let error =
            to_json("ReceiveMessage", &params(&[("MaxNumberOfMessages", "ten")])).unwrap_err();
        assert_eq!(error.code, "InvalidParameterValue");
        assert!(error.message.contains("MaxNumberOfMessages"), "{error}");
    }
}
