//! The Query protocol's response side: renders an engine's JSON 1.0 output as SQS's XML
//! (`<{Op}Response><{Op}Result>…`, flattened lists, `ResponseMetadata`) and an [`SqsError`] as
//! an `ErrorResponse`, escaping text the way SQS does (`&#xD;`, `&quot;`).

use std::fmt::Write as _;

use serde_json::{Map, Value};

use super::error::SqsError;

/// The SQS XML namespace.
pub const NAMESPACE: &str = "http://queue.amazonaws.com/doc/2012-11-05/";

/// Operations whose response carries no `<{Op}Result>` element.
const NO_RESULT: &[&str] = &[
    "DeleteMessage",
    "DeleteQueue",
    "PurgeQueue",
    "SetQueueAttributes",
    "ChangeMessageVisibility",
    "TagQueue",
    "UntagQueue",
    "AddPermission",
    "RemovePermission",
];

/// Whether SQS's answer to `action` carries an `<{Op}Result>` (XML) or `{Op}Result` (JSON).
#[must_use]
pub fn has_result(action: &str) -> bool {
    !NO_RESULT.contains(&action)
}

/// The XML body for a successful `action` with JSON `output`.
#[must_use]
pub fn success(action: &str, output: &Value, request_id: &str) -> String {
    let mut xml = format!(r#"<?xml version="1.0"?><{action}Response xmlns="{NAMESPACE}">"#);
    if has_result(action) {
        let mut result = String::new();
        if let Value::Object(members) = output {
            write_members(&mut result, action, members, Context::Result);
        }
        // An empty result is one empty element, as SQS writes it (`<ReceiveMessageResult/>`).
        if result.is_empty() {
            let _ = write!(xml, "<{action}Result/>");
        } else {
            let _ = write!(xml, "<{action}Result>{result}</{action}Result>");
        }
    }
    let _ = write!(
        xml,
        "<ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata></{action}Response>",
        escape(request_id)
    );
    xml
}

/// The XML `ErrorResponse` for `error` (`RequestId` is a direct child, as SQS sends it).
#[must_use]
pub fn error(error: &SqsError, request_id: &str) -> String {
    format!(
        r#"<?xml version="1.0"?><ErrorResponse xmlns="{NAMESPACE}"><Error><Type>{}</Type><Code>{}</Code><Message>{}</Message><Detail/></Error><RequestId>{}</RequestId></ErrorResponse>"#,
        error.fault(),
        escape(error.code),
        escape(&query_message(error)),
        escape(request_id)
    )
}

/// The message as the Query protocol words it (a missing queue is "…for this wsdl version.").
pub(crate) fn query_message(error: &SqsError) -> String {
    if error.code == "AWS.SimpleQueueService.NonExistentQueue"
        && error.message == "The specified queue does not exist."
    {
        "The specified queue does not exist for this wsdl version.".to_string()
    } else {
        error.message.clone()
    }
}

/// Where a JSON object sits, which decides how some member names map to XML elements.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    /// Directly inside `<{Op}Result>`.
    Result,
    /// Anywhere deeper.
    Nested,
}

fn write_members(xml: &mut String, action: &str, members: &Map<String, Value>, at: Context) {
    for (name, value) in members {
        write_member(xml, action, name, value, at);
    }
}

fn write_member(xml: &mut String, action: &str, name: &str, value: &Value, at: Context) {
    match (name, value) {
        (_, Value::Null) => {}
        ("QueueUrls" | "queueUrls", Value::Array(items)) => {
            write_list(xml, action, "QueueUrl", items);
        }
        ("Attributes", Value::Object(map)) => write_pairs(xml, "Attribute", "Name", "Value", map),
        ("Tags", Value::Object(map)) => write_pairs(xml, "Tag", "Key", "Value", map),
        ("MessageAttributes" | "MessageSystemAttributes", Value::Object(map)) => {
            let element = name.trim_end_matches('s');
            for (key, attribute) in map {
                let _ = write!(xml, "<{element}><Name>{}</Name><Value>", escape(key));
                if let Value::Object(fields) = attribute {
                    write_members(xml, action, fields, Context::Nested);
                }
                let _ = write!(xml, "</Value></{element}>");
            }
        }
        ("StringListValues" | "BinaryListValues", Value::Array(items)) => {
            write_list(xml, action, name.trim_end_matches('s'), items);
        }
        ("Messages", Value::Array(items)) => write_list(xml, action, "Message", items),
        ("Successful", Value::Array(items)) if at == Context::Result => {
            write_list(xml, action, &format!("{action}ResultEntry"), items);
        }
        ("Failed", Value::Array(items)) if at == Context::Result => {
            write_list(xml, action, "BatchResultErrorEntry", items);
        }
        ("Results", Value::Array(items)) if at == Context::Result => {
            write_list(xml, action, &format!("{action}ResultEntry"), items);
        }
        (_, Value::Array(items)) => write_list(xml, action, name, items),
        (_, value) => write_element(xml, action, name, value),
    }
}

/// A flattened list: one element per item, no wrapper.
fn write_list(xml: &mut String, action: &str, element: &str, items: &[Value]) {
    for item in items {
        write_element(xml, action, element, item);
    }
}

fn write_element(xml: &mut String, action: &str, element: &str, value: &Value) {
    match value {
        Value::Null => {}
        Value::Object(members) => {
            let _ = write!(xml, "<{element}>");
            write_members(xml, action, members, Context::Nested);
            let _ = write!(xml, "</{element}>");
        }
        Value::Array(items) => write_list(xml, action, element, items),
        Value::String(text) => {
            let _ = write!(xml, "<{element}>{}</{element}>", escape(text));
        }
        Value::Bool(flag) => {
            let _ = write!(xml, "<{element}>{flag}</{element}>");
        }
        Value::Number(number) => {
            let _ = write!(xml, "<{element}>{number}</{element}>");
        }
    }
}

/// A string map as flattened `<element><key/><value/></element>` pairs.
fn write_pairs(xml: &mut String, element: &str, key: &str, value: &str, map: &Map<String, Value>) {
    for (name, item) in map {
        let text = match item {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        let _ = write!(
            xml,
            "<{element}><{key}>{}</{key}><{value}>{}</{value}></{element}>",
            escape(name),
            escape(&text)
        );
    }
}

/// XML text escaping as SQS does it: `&`, `<`, `>`, `"` and carriage return (an XML parser
/// would turn a raw `\r\n` into `\n`, changing the body and its MD5). A character XML 1.0
/// cannot carry at all (a control character an error message echoes) becomes U+FFFD, so the
/// answer always parses.
#[must_use]
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\r' => out.push_str("&#xD;"),
            '\t' | '\n' => out.push(c),
            '\0'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}' => out.push(char::REPLACEMENT_CHARACTER),
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const ID: &str = "00000000-0000-0000-0000-000000000001";

    fn body(xml: &str, action: &str) -> String {
        let open = format!(r#"<?xml version="1.0"?><{action}Response xmlns="{NAMESPACE}">"#);
        let close = format!(
            "<ResponseMetadata><RequestId>{ID}</RequestId></ResponseMetadata></{action}Response>"
        );
        assert!(xml.starts_with(&open), "{xml}");
        assert!(xml.ends_with(&close), "{xml}");
        xml[open.len()..xml.len() - close.len()].to_string()
    }

    #[test]
    fn create_queue_result() {
        let xml = success("CreateQueue", &json!({"QueueUrl": "http://h/0/q"}), ID);
        assert_eq!(
            body(&xml, "CreateQueue"),
            "<CreateQueueResult><QueueUrl>http://h/0/q</QueueUrl></CreateQueueResult>"
        );
    }

    #[test]
    fn no_output_actions_have_no_result_but_empty_receive_does() {
        let xml = success("DeleteMessage", &json!({}), ID);
        assert_eq!(body(&xml, "DeleteMessage"), "");
        let xml = success("ReceiveMessage", &json!({}), ID);
        assert_eq!(body(&xml, "ReceiveMessage"), "<ReceiveMessageResult/>");
    }

    #[test]
    fn list_queues_flattened_for_both_spellings() {
        let xml = success(
            "ListQueues",
            &json!({"QueueUrls": ["a", "b"], "NextToken": "t"}),
            ID,
        );
        assert_eq!(
            body(&xml, "ListQueues"),
            "<ListQueuesResult><NextToken>t</NextToken><QueueUrl>a</QueueUrl><QueueUrl>b</QueueUrl></ListQueuesResult>"
        );
        let xml = success(
            "ListDeadLetterSourceQueues",
            &json!({"queueUrls": ["a"]}),
            ID,
        );
        assert_eq!(
            body(&xml, "ListDeadLetterSourceQueues"),
            "<ListDeadLetterSourceQueuesResult><QueueUrl>a</QueueUrl></ListDeadLetterSourceQueuesResult>"
        );
    }

    #[test]
    fn attributes_and_tags_as_pairs() {
        let xml = success(
            "GetQueueAttributes",
            &json!({"Attributes": {"DelaySeconds": "0", "VisibilityTimeout": "30"}}),
            ID,
        );
        assert_eq!(
            body(&xml, "GetQueueAttributes"),
            "<GetQueueAttributesResult><Attribute><Name>DelaySeconds</Name><Value>0</Value></Attribute><Attribute><Name>VisibilityTimeout</Name><Value>30</Value></Attribute></GetQueueAttributesResult>"
        );
        let xml = success("ListQueueTags", &json!({"Tags": {"k": "v"}}), ID);
        assert_eq!(
            body(&xml, "ListQueueTags"),
            "<ListQueueTagsResult><Tag><Key>k</Key><Value>v</Value></Tag></ListQueueTagsResult>"
        );
    }

    #[test]
    fn receive_message_with_attributes_escapes_cr_and_quotes() {
        let output = json!({"Messages": [{
            "MessageId": "m",
            "ReceiptHandle": "r",
            "MD5OfBody": "d",
            "Body": "a\r\n\"b\" <&>",
            "Attributes": {"SenderId": "AIDA"},
            "MD5OfMessageAttributes": "e",
            "MessageAttributes": {"client": {"DataType": "String", "StringValue": "C1"}},
        }]});
        let xml = success("ReceiveMessage", &output, ID);
        let inner = body(&xml, "ReceiveMessage");
        assert!(
            inner.starts_with("<ReceiveMessageResult><Message>"),
            "{inner}"
        );
        assert!(inner.contains("<Body>a&#xD;\n&quot;b&quot; &lt;&amp;&gt;</Body>"));
        assert!(inner.contains("<Attribute><Name>SenderId</Name><Value>AIDA</Value></Attribute>"));
        assert!(inner.contains(
            "<MessageAttribute><Name>client</Name><Value><DataType>String</DataType><StringValue>C1</StringValue></Value></MessageAttribute>"
        ));
        assert!(inner.contains("<ReceiptHandle>r</ReceiptHandle>"));
    }

    #[test]
    fn batch_results_named_per_action() {
        let output = json!({
            "Successful": [{"Id": "1", "MessageId": "m", "MD5OfMessageBody": "d"}],
            "Failed": [{"Id": "2", "SenderFault": true, "Code": "InvalidParameterValue", "Message": "x"}],
        });
        let inner = body(
            &success("SendMessageBatch", &output, ID),
            "SendMessageBatch",
        );
        assert!(
            inner.contains("<SendMessageBatchResultEntry><Id>1</Id>"),
            "{inner}"
        );
        assert!(inner.contains(
            "<BatchResultErrorEntry><Code>InvalidParameterValue</Code><Id>2</Id><Message>x</Message><SenderFault>true</SenderFault></BatchResultErrorEntry>"
        ));
        let output = json!({"Successful": [{"Id": "1"}], "Failed": []});
        let inner = body(
            &success("DeleteMessageBatch", &output, ID),
            "DeleteMessageBatch",
        );
        assert_eq!(
            inner,
            "<DeleteMessageBatchResult><DeleteMessageBatchResultEntry><Id>1</Id></DeleteMessageBatchResultEntry></DeleteMessageBatchResult>"
        );
    }

    #[test]
    fn error_response_has_request_id_as_direct_child_and_wsdl_text() {
        let xml = error(&SqsError::queue_does_not_exist(), ID);
        assert_eq!(
            xml,
            format!(
                r#"<?xml version="1.0"?><ErrorResponse xmlns="{NAMESPACE}"><Error><Type>Sender</Type><Code>AWS.SimpleQueueService.NonExistentQueue</Code><Message>The specified queue does not exist for this wsdl version.</Message><Detail/></Error><RequestId>{ID}</RequestId></ErrorResponse>"#
            )
        );
        let xml = error(&SqsError::internal_failure(), ID);
        assert!(xml.contains("<Type>Receiver</Type><Code>InternalFailure</Code>"));
    }
}
