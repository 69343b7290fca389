//! Property tests of the server against hostile input: the Query parser, the whole request path
//! (JSON and Query, through [`super::http::router`]), the XML writer, receipt handles and the
//! attribute MD5. Nothing may panic, and every answer is a well-formed SQS success or error with
//! a 2xx or 4xx status. Cases are few so `cargo test` stays fast; `PROPTEST_CASES=10000` runs
//! more.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, header};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde_json::{Map, Value, json};
use tokio_util::sync::CancellationToken;
use tower::ServiceExt as _;

use super::engine::Engine;
use super::error::SqsError;
use super::md5::{AttributeValue, MessageAttribute, md5_of_attributes};
use super::receipt::{self, PADDING_LEN, ReceiptRef};
use super::{ServeOptions, http, query, xml};

/// `default_cases`, unless `PROPTEST_CASES` asks for another number.
fn config(default_cases: u32) -> ProptestConfig {
    if std::env::var_os("PROPTEST_CASES").is_some() {
        ProptestConfig::default()
    } else {
        ProptestConfig::with_cases(default_cases)
    }
}

/// Every action SQS has ([`super::fuzzing::ACTIONS`]), and two it does not.
fn actions() -> Vec<&'static str> {
    let mut actions = super::fuzzing::ACTIONS.to_vec();
    actions.extend(["Nope", ""]);
    actions
}

/// Member names of the JSON protocol's inputs (and a few of the Query protocol's).
const MEMBERS: &[&str] = &[
    "QueueUrl",
    "QueueName",
    "QueueNamePrefix",
    "MessageBody",
    "DelaySeconds",
    "MaxNumberOfMessages",
    "WaitTimeSeconds",
    "VisibilityTimeout",
    "ReceiptHandle",
    "Entries",
    "Id",
    "Attributes",
    "AttributeNames",
    "MessageAttributes",
    "MessageAttributeNames",
    "MessageSystemAttributes",
    "MessageSystemAttributeNames",
    "DataType",
    "StringValue",
    "BinaryValue",
    "StringListValues",
    "MessageGroupId",
    "MessageDeduplicationId",
    "ReceiveRequestAttemptId",
    "Tags",
    "tags",
    "TagKeys",
    "Label",
    "AWSAccountIds",
    "Actions",
    "SourceArn",
    "DestinationArn",
    "TaskHandle",
    "MaxResults",
    "NextToken",
    "MaxNumberOfMessagesPerSecond",
    "Policy",
    "RedrivePolicy",
    "FifoQueue",
];

/// Any text, control characters included (`any::<String>()` leaves them out).
fn any_text() -> impl Strategy<Value = String> {
    prop::collection::vec(any::<char>(), 0..24).prop_map(String::from_iter)
}

/// Values that mean something to the server, among arbitrary ones.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("/000000000000/q".to_string()),
        Just("http://127.0.0.1:4566/000000000000/q".to_string()),
        Just("q".to_string()),
        Just("All".to_string()),
        Just("String".to_string()),
        Just("Binary".to_string()),
        Just("Number".to_string()),
        Just("20".to_string()),
        Just("AQEBAAAA".to_string()),
        any_text(),
        "[0-9-]{1,25}",
    ]
}

fn member() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(MEMBERS).prop_map(str::to_string),
        1 => any_text(),
    ]
}

/// Any JSON, with the input's member names more often than not.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-1e12f64..1e12).prop_map(Value::from),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(member(), inner, 0..8)
                .prop_map(|map| Value::Object(map.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn json_object() -> impl Strategy<Value = Value> {
    prop::collection::btree_map(member(), json_value(), 0..8)
        .prop_map(|map| Value::Object(map.into_iter().collect::<Map<_, _>>()))
}

/// A Query parameter name: flattened names as the SDKs send them, or anything.
fn param_name() -> impl Strategy<Value = String> {
    let segment = prop_oneof![
        proptest::sample::select(MEMBERS).prop_map(str::to_string),
        proptest::sample::select(
            &[
                "Attribute",
                "Tag",
                "Name",
                "Value",
                "Key",
                "MessageAttribute",
                "AttributeName",
                "SendMessageBatchRequestEntry",
                "DeleteMessageBatchRequestEntry",
                "StringListValue",
                "Action",
            ][..]
        )
        .prop_map(str::to_string),
        (0u32..4).prop_map(|n| n.to_string()),
        Just("4294967296".to_string()),
    ];
    prop_oneof![
        4 => prop::collection::vec(segment, 1..7).prop_map(|parts| parts.join(".")),
        1 => any_text(),
    ]
}

fn params() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec((param_name(), text()), 0..16)
}

/// A request as a client could send it.
#[derive(Debug, Clone)]
enum Wire {
    Json {
        target: String,
        body: Vec<u8>,
    },
    Query {
        get: bool,
        path: String,
        action: String,
        params: Vec<(String, String)>,
        raw_form: Option<Vec<u8>>,
        accept_json: bool,
    },
}

fn wire() -> impl Strategy<Value = Wire> {
    let target = prop_oneof![
        4 => proptest::sample::select(actions()).prop_map(|a| format!("AmazonSQS.{a}")),
        1 => "[ -~]{0,40}",
    ];
    let body = prop_oneof![
        4 => json_object().prop_map(|v| v.to_string().into_bytes()),
        1 => any::<Vec<u8>>(),
        1 => json_value().prop_map(|v| v.to_string().into_bytes()),
    ];
    let json = (target, body).prop_map(|(target, body)| Wire::Json { target, body });
    let path = prop_oneof![
        Just("/".to_string()),
        Just("/000000000000/q".to_string()),
        Just("/000000000000/nope".to_string()),
        "/[a-zA-Z0-9._~-]{0,12}(/[a-zA-Z0-9._~-]{0,12}){0,3}",
    ];
    let query = (
        any::<bool>(),
        path,
        proptest::sample::select(actions()).prop_map(str::to_string),
        params(),
        proptest::option::weighted(0.2, any::<Vec<u8>>()),
        any::<bool>(),
    )
        .prop_map(
            |(get, path, action, params, raw_form, accept_json)| Wire::Query {
                get,
                path,
                action,
                params,
                raw_form,
                accept_json,
            },
        );
    prop_oneof![json, query]
}

/// `pairs` as `application/x-www-form-urlencoded`.
fn form(pairs: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

impl Wire {
    fn request(&self) -> Request<Body> {
        match self {
            Wire::Json { target, body } => Request::post("/")
                .header(header::CONTENT_TYPE, "application/x-amz-json-1.0")
                .header("x-amz-target", target.as_str())
                .body(Body::from(body.clone()))
                .expect("a JSON request"),
            Wire::Query {
                get,
                path,
                action,
                params,
                raw_form,
                accept_json,
            } => {
                let mut pairs = vec![("Action".to_string(), action.clone())];
                pairs.extend(params.iter().cloned());
                let encoded = form(&pairs);
                let builder = if *accept_json {
                    Request::builder().header(header::ACCEPT, "application/json")
                } else {
                    Request::builder()
                };
                if *get {
                    builder
                        .method("GET")
                        .uri(format!("{path}?{encoded}"))
                        .body(Body::empty())
                        .expect("a GET request")
                } else {
                    let body = raw_form.clone().unwrap_or_else(|| encoded.into_bytes());
                    builder
                        .method("POST")
                        .uri(path.as_str())
                        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                        .body(Body::from(body))
                        .expect("a POST request")
                }
            }
        }
    }
}

/// A router over a fresh engine that has a standard queue `q` and a FIFO queue `f.fifo`.
async fn app() -> super::http::App {
    let options = ServeOptions::deterministic(6400);
    let app = http::router(Engine::new(&options), &options, CancellationToken::new());
    for body in [
        r#"{"QueueName":"q"}"#,
        r#"{"QueueName":"f.fifo","Attributes":{"FifoQueue":"true"}}"#,
    ] {
        let create = Wire::Json {
            target: "AmazonSQS.CreateQueue".into(),
            body: body.into(),
        };
        let answer = app.clone().oneshot(create.request()).await.expect("served");
        assert!(answer.status().is_success());
    }
    app
}

/// A response, read whole.
struct Answer {
    status: u16,
    content_type: String,
    query_error: Option<String>,
    body: String,
}

/// Sends `wire` to a fresh server in paused time (a long poll ends at once) and reads the
/// answer; a request that takes an hour of server time has hung.
fn answer(wire: &Wire) -> Answer {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let app = app().await;
        let response = tokio::time::timeout(Duration::from_secs(3600), app.oneshot(wire.request()))
            .await
            .expect("the request is answered")
            .expect("infallible");
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let status = response.status().as_u16();
        let content_type = header("content-type").unwrap_or_default();
        let query_error = header("x-amzn-query-error");
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("a body");
        Answer {
            status,
            content_type,
            query_error,
            body: String::from_utf8(body.to_vec()).expect("a UTF-8 body"),
        }
    })
}

/// The answer is a success or an SQS error in a well-formed body, never a server error.
fn check(answer: &Answer) -> Result<(), TestCaseError> {
    let body = &answer.body;
    prop_assert!(
        (200..300).contains(&answer.status) || (400..500).contains(&answer.status),
        "status {}: {body}",
        answer.status
    );
    let failed = answer.status >= 400;
    match answer.content_type.as_str() {
        "application/x-amz-json-1.0" => {
            let value: Value = serde_json::from_str(body)
                .map_err(|e| TestCaseError::fail(format!("{e}: {body}")))?;
            prop_assert!(value.is_object(), "{body}");
            if failed {
                let shape = value["__type"].as_str().unwrap_or_default();
                prop_assert!(shape.starts_with("com.amazonaws.sqs#"), "{body}");
                prop_assert!(value["message"].is_string(), "{body}");
                prop_assert!(answer.query_error.is_some(), "{body}");
            }
        }
        "application/json" => {
            let value: Value = serde_json::from_str(body)
                .map_err(|e| TestCaseError::fail(format!("{e}: {body}")))?;
            if failed {
                prop_assert!(value["Error"]["Code"].is_string(), "{body}");
            }
        }
        "text/xml" => {
            well_formed(body).map_err(|e| TestCaseError::fail(format!("{e}: {body}")))?;
            if failed {
                prop_assert!(
                    body.contains("<Code>") || body == "<UnknownOperationException/>",
                    "{body}"
                );
            }
        }
        other => prop_assert!(false, "content type {other:?}: {body}"),
    }
    Ok(())
}

/// A small XML 1.0 well-formedness check, enough for what the writer produces: an optional
/// declaration, one root element, balanced tags with plain names, text and attribute values
/// free of raw `<` and of `&` outside an entity, and only characters XML 1.0 allows.
fn well_formed(xml: &str) -> Result<(), String> {
    if let Some(c) = xml.chars().find(|c| !is_xml_char(*c)) {
        return Err(format!("character {c:?} is not allowed in XML 1.0"));
    }
    let mut rest = xml.strip_prefix(r#"<?xml version="1.0"?>"#).unwrap_or(xml);
    let mut open: Vec<&str> = Vec::new();
    let mut roots = 0;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('<') {
            let end = after.find('>').ok_or("a tag is not closed")?;
            let tag = &after[..end];
            rest = &after[end + 1..];
            if tag.contains('<') {
                return Err(format!("'<' inside the tag {tag:?}"));
            }
            if let Some(name) = tag.strip_prefix('/') {
                if open.pop() != Some(name) {
                    return Err(format!("</{name}> closes nothing open"));
                }
                continue;
            }
            let (tag, empty) = match tag.strip_suffix('/') {
                Some(tag) => (tag, true),
                None => (tag, false),
            };
            let name = tag.split(' ').next().unwrap_or_default();
            let valid = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_.-:".contains(c));
            if !valid {
                return Err(format!("bad element name {name:?}"));
            }
            entities(&tag[name.len()..])?;
            if open.is_empty() {
                roots += 1;
            }
            if !empty {
                open.push(name);
            }
        } else {
            let end = rest.find('<').unwrap_or(rest.len());
            let text = &rest[..end];
            rest = &rest[end..];
            if open.is_empty() {
                return Err(format!("text {text:?} outside the root"));
            }
            entities(text)?;
        }
    }
    if !open.is_empty() {
        return Err(format!("{open:?} never closed"));
    }
    if roots != 1 {
        return Err(format!("{roots} root elements"));
    }
    Ok(())
}

/// Every `&` starts an entity or a character reference.
fn entities(text: &str) -> Result<(), String> {
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        rest = &rest[at + 1..];
        let end = rest.find(';').ok_or("'&' without ';'")?;
        let name = &rest[..end];
        let known = matches!(name, "amp" | "lt" | "gt" | "quot" | "apos")
            || name
                .strip_prefix("#x")
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .and_then(char::from_u32)
                .is_some_and(is_xml_char);
        if !known {
            return Err(format!("unknown entity &{name};"));
        }
        rest = &rest[end + 1..];
    }
    Ok(())
}

/// XML 1.0's `Char`.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn query_parser_accepts_or_rejects_any_form(action in "[A-Za-z]{0,20}", params in params()) {
        match query::to_json(&action, &params) {
            Ok(input) => prop_assert!(input.is_object()),
            Err(error) => {
                prop_assert_eq!(error.status, 400);
                prop_assert_eq!(error.code, "InvalidParameterValue");
            }
        }
    }

    #[test]
    fn xml_escape_leaves_no_markup(text in any_text()) {
        let escaped = xml::escape(&text);
        prop_assert!(!escaped.contains(['<', '>', '"', '\r']), "{escaped:?}");
        entities(&escaped).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn xml_answers_are_well_formed_for_any_text(text in any_text(), id in any_text()) {
        let output = json!({
            "QueueUrl": text,
            "Attributes": {text.clone(): text},
            "Messages": [{
                "Body": text,
                "MessageAttributes": {text.clone(): {"DataType": text, "StringValue": text}},
            }],
        });
        for action in ["ReceiveMessage", "GetQueueAttributes", "DeleteQueue"] {
            let xml = xml::success(action, &output, &id);
            well_formed(&xml).map_err(|e| TestCaseError::fail(format!("{e}: {xml}")))?;
        }
        let xml = xml::error(&SqsError::invalid_parameter_value(text.clone()), &id);
        well_formed(&xml).map_err(|e| TestCaseError::fail(format!("{e}: {xml}")))?;
    }

    #[test]
    fn receipt_handles_decode_anything_without_panicking(handle in any_text(), secret in any::<[u8; 16]>()) {
        let _ = receipt::decode(&secret, &handle);
    }

    #[test]
    fn receipt_handles_round_trip(
        secret in any::<[u8; 16]>(),
        other in any::<[u8; 16]>(),
        (incarnation, message, serial) in any::<(u64, u64, u64)>(),
        padding in prop::collection::vec(any::<u8>(), PADDING_LEN),
    ) {
        let padding: [u8; PADDING_LEN] = padding.try_into().expect("the padding's length");
        let r = ReceiptRef { incarnation, message, serial };
        let handle = receipt::encode(&secret, r, &padding);
        prop_assert_eq!(receipt::decode(&secret, &handle), Some(r));
        if other != secret {
            prop_assert_eq!(receipt::decode(&other, &handle), None);
        }
    }

    #[test]
    fn attribute_md5_takes_any_names_types_and_values(
        attributes in prop::collection::btree_map(
            any_text(),
            (any_text(), prop_oneof![
                any_text().prop_map(AttributeValue::Text),
                any::<Vec<u8>>().prop_map(AttributeValue::Bytes),
            ]),
            0..6,
        )
    ) {
        let attributes: BTreeMap<String, MessageAttribute> = attributes
            .into_iter()
            .map(|(name, (data_type, value))| (name, MessageAttribute { data_type, value }))
            .collect();
        let digest = md5_of_attributes(&attributes);
        prop_assert_eq!(digest.is_some(), !attributes.is_empty());
        if let Some(digest) = digest {
            prop_assert!(digest.len() == 32 && digest.bytes().all(|b| b.is_ascii_hexdigit()));
        }
        for (name, attribute) in &attributes {
            let _ = attribute.size(name);
        }
    }
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn every_request_gets_an_sqs_answer(wire in wire()) {
        check(&answer(&wire))?;
    }
}

#[test]
fn deeply_nested_names_and_bodies_are_answered() {
    // A name of 200,000 segments must not recurse once per segment.
    let deep = vec!["a"; 200_000].join(".");
    let outcome = query::to_json("SendMessage", &[(deep, "v".into())]);
    assert!(outcome.is_ok(), "{outcome:?}");
    let deep_json = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let wire = Wire::Json {
        target: "AmazonSQS.SendMessage".into(),
        body: format!(r#"{{"QueueUrl":"/000000000000/q","MessageBody":{deep_json}}}"#).into(),
    };
    let answer = answer(&wire);
    assert_eq!(answer.status, 400, "{}", answer.body);
    check(&answer).unwrap();
}
