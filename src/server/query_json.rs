//! The Query protocol's JSON answer, for a Query request that sends `Accept: application/json`
//! (a raw GET with query-string auth, say): SQS wraps a result as
//! `{"<Action>Response": {"<Action>Result": {…}, "ResponseMetadata": {"RequestId": …}}}` and
//! an error as `{"Error": {"Type", "Code", "Message"}, "RequestId": …}`, with the Query codes
//! and wording. Where SQS's recorded answers name members differently from JSON 1.0, they are
//! renamed: `queueUrls` (null when none), `messages`, and queue attributes as `Name`/`Value`
//! pairs.

use serde_json::{Map, Value, json};

use super::error::SqsError;
use super::xml;

/// `Content-Type` of these answers.
pub const CONTENT_TYPE: &str = "application/json";

/// The JSON body for a successful `action` with JSON 1.0 `output`.
#[must_use]
pub fn success(action: &str, output: Value, request_id: &str) -> Value {
    let mut response = Map::new();
    if xml::has_result(action) {
        response.insert(format!("{action}Result"), result(action, output));
    }
    response.insert(
        "ResponseMetadata".to_string(),
        json!({ "RequestId": request_id }),
    );
    let mut body = Map::new();
    body.insert(format!("{action}Response"), Value::Object(response));
    Value::Object(body)
}

/// The JSON body for `error`.
#[must_use]
pub fn error(error: &SqsError, request_id: &str) -> Value {
    json!({
        "Error": {
            "Type": error.fault(),
            "Code": error.code,
            "Message": xml::query_message(error),
        },
        "RequestId": request_id,
    })
}

/// The `<Action>Result` object: the JSON 1.0 members, renamed where SQS names them otherwise.
fn result(action: &str, output: Value) -> Value {
    let Value::Object(mut members) = output else {
        return Value::Object(Map::new());
    };
    if action == "ListQueues" {
        return json!({
            "NextExclusiveStartQueueName": null,
            "NextToken": members.remove("NextToken").unwrap_or(Value::Null),
            "queueUrls": members.remove("QueueUrls").unwrap_or(Value::Null),
        });
    }
    if action == "GetQueueAttributes"
        && let Some(Value::Object(attributes)) = members.remove("Attributes")
    {
        let pairs: Vec<Value> = attributes
            .into_iter()
            .map(|(name, value)| json!({ "Name": name, "Value": value }))
            .collect();
        members.insert("Attributes".to_string(), Value::Array(pairs));
    }
    if let Some(messages) = members.remove("Messages") {
        members.insert("messages".to_string(), messages);
    }
    Value::Object(members)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "11111111-2222-3333-4444-555555555555";

    #[test]
    fn list_queues_as_sqs_answers_it() {
        let output = json!({ "QueueUrls": ["http://localhost:9324/000000000000/q"] });
        assert_eq!(
            success("ListQueues", output, ID),
            json!({
                "ListQueuesResponse": {
                    "ListQueuesResult": {
                        "NextExclusiveStartQueueName": null,
                        "NextToken": null,
                        "queueUrls": ["http://localhost:9324/000000000000/q"],
                    },
                    "ResponseMetadata": { "RequestId": ID },
                }
            })
        );
        let none = success("ListQueues", json!({}), ID);
        assert_eq!(
            none["ListQueuesResponse"]["ListQueuesResult"]["queueUrls"],
            Value::Null
        );
    }

    #[test]
    fn attributes_become_name_value_pairs_and_messages_lower_case() {
        let attributes = success(
            "GetQueueAttributes",
            json!({ "Attributes": { "VisibilityTimeout": "30" } }),
            ID,
        );
        assert_eq!(
            attributes["GetQueueAttributesResponse"]["GetQueueAttributesResult"]["Attributes"],
            json!([{ "Name": "VisibilityTimeout", "Value": "30" }])
        );
        let received = success(
            "ReceiveMessage",
            json!({ "Messages": [{ "Body": "b" }] }),
            ID,
        );
        assert_eq!(
            received["ReceiveMessageResponse"]["ReceiveMessageResult"]["messages"][0]["Body"],
            "b"
        );
        // Other members keep their JSON 1.0 names.
        let sent = success("SendMessage", json!({ "MessageId": "m" }), ID);
        assert_eq!(
            sent["SendMessageResponse"]["SendMessageResult"]["MessageId"],
            "m"
        );
    }

    #[test]
    fn actions_without_a_result_carry_only_metadata() {
        assert_eq!(
            success("DeleteMessage", json!({}), ID),
            json!({ "DeleteMessageResponse": { "ResponseMetadata": { "RequestId": ID } } })
        );
    }

    #[test]
    fn errors_in_query_wording() {
        assert_eq!(
            error(&SqsError::queue_does_not_exist(), ID),
            json!({
                "Error": {
                    "Type": "Sender",
                    "Code": "AWS.SimpleQueueService.NonExistentQueue",
                    "Message": "The specified queue does not exist for this wsdl version.",
                },
                "RequestId": ID,
            })
        );
    }
}
