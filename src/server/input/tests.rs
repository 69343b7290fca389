//! The typed route reads each member as the value route does, falls back on anything that does
//! not read cleanly, and two engines fed the same requests down the two routes answer alike.

use serde_json::{Value, json};

use super::{Fields, RequestInput, typed};
use crate::server::engine::Engine;
use crate::server::test_support::{create, create_fifo, ctx, options};
use crate::server::validate::Input;

/// Every name the hot actions read, and a few they do not.
const NAMES: [&str; 20] = [
    "QueueUrl",
    "Entries",
    "Id",
    "MessageBody",
    "DelaySeconds",
    "MessageAttributes",
    "MessageSystemAttributes",
    "MessageGroupId",
    "MessageDeduplicationId",
    "ReceiptHandle",
    "MaxNumberOfMessages",
    "WaitTimeSeconds",
    "VisibilityTimeout",
    "AttributeNames",
    "MessageSystemAttributeNames",
    "MessageAttributeNames",
    "ReceiveRequestAttemptId",
    "Extra",
    "QueueName",
    "Missing",
];

/// Both inputs read the same for every name (`get` where the fields keep a value).
fn same_reads(json: &Input<'_>, fields: &Input<'_>) {
    for name in NAMES {
        let debug = |input: &Input<'_>| {
            format!(
                "{:?} {:?} {:?} {:?}",
                input.str_opt(name),
                input.int_opt(name),
                input.str_list(name),
                input.str_map(name),
            )
        };
        assert_eq!(debug(json), debug(fields), "{name}");
        if let Some(value) = fields.get(name) {
            assert_eq!(json.get(name), Some(value), "{name}");
        }
        match (json.list(name), fields.list(name)) {
            (Ok(a), Ok(b)) => {
                assert_eq!(a.len(), b.len(), "{name}");
                for (a, b) in a.iter().zip(&b) {
                    same_reads(a, b);
                }
            }
            (a, b) => assert_eq!(a.err(), b.err(), "{name}"),
        }
    }
}

#[test]
fn members_read_as_from_the_value() {
    let bodies = [
        json!({}),
        json!({"QueueUrl": "http://h/000000000000/q", "Entries": [
            {"Id": "a", "MessageBody": "b\u{e9}\n\"", "DelaySeconds": 5,
             "MessageAttributes": {"n": {"DataType": "Number", "StringValue": "1"}},
             "MessageSystemAttributes": {"AWSTraceHeader": {"DataType": "String", "StringValue": "t"}},
             "MessageGroupId": "g", "MessageDeduplicationId": "d", "Extra": [1], "QueueName": null},
            {"Id": null, "MessageBody": null, "DelaySeconds": null, "ReceiptHandle": "h"}]}),
        json!({"QueueUrl": "u", "MaxNumberOfMessages": 10, "WaitTimeSeconds": -1,
               "VisibilityTimeout": 9_223_372_036_854_775_807_i64,
               "AttributeNames": ["All", "SenderId"], "MessageSystemAttributeNames": "SenderId",
               "MessageAttributeNames": [1], "ReceiveRequestAttemptId": "r",
               "Extra": {"x": 1}, "QueueName": "n"}),
        json!({"AttributeNames": 5, "MessageAttributes": "x", "Entries": []}),
    ];
    for body in bodies {
        let bytes = serde_json::to_vec(&body).unwrap();
        let fields = typed("SendMessageBatch", &bytes).expect("reads cleanly");
        same_reads(&Input::new(&body), &Input::fields(&fields));
    }
    // A name repeated among the others: the last one, as the value keeps it.
    let bytes = br#"{"Extra": 1, "Extra": "two"}"#;
    let value: Value = serde_json::from_slice(bytes).unwrap();
    let fields = typed("ReceiveMessage", bytes).unwrap();
    same_reads(&Input::new(&value), &Input::fields(&fields));
}

#[test]
fn what_does_not_read_cleanly_takes_the_value_route() {
    for body in [
        r#"{"QueueUrl": "a", "QueueUrl": "b"}"#,
        r#"{"QueueUrl": null, "QueueUrl": "b"}"#,
        r#"{"MaxNumberOfMessages": "5"}"#,
        r#"{"MaxNumberOfMessages": 5.0}"#,
        r#"{"MaxNumberOfMessages": -0}"#,
        r#"{"MaxNumberOfMessages": 18446744073709551615}"#,
        r#"{"QueueUrl": 1}"#,
        r#"{"Queue\u0055rl": "a"}"#,
        r#"{"Entries": [["a", "b"]]}"#,
        r#"{"Entries": [null]}"#,
        r#"{"Entries": {"Id": "a"}}"#,
        r#"["u"]"#,
        r#"{"QueueUrl": "a"} x"#,
        "{not json",
    ] {
        assert!(
            typed("DeleteMessageBatch", body.as_bytes()).is_none(),
            "{body}"
        );
    }
    assert!(
        typed("SendMessage", b"{}").is_none(),
        "only the hot actions"
    );
    assert!(typed("DeleteMessageBatch", br#"{"QueueUrl": "a\u0041"}"#).is_some());
}

/// `answer` with every `…Timestamp` attribute's value blanked: each engine's clock starts at the
/// wall-clock millisecond it was made in, and the two may be made a millisecond apart.
fn without_timestamps(answer: Value) -> Value {
    match answer {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(name, value)| {
                    let value = if name.ends_with("Timestamp") {
                        json!("<time>")
                    } else {
                        without_timestamps(value)
                    };
                    (name, value)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(without_timestamps).collect()),
        other => other,
    }
}

/// Runs `action` with `input` on `a` as a value and on `b` read into fields (which it must).
async fn both(a: &Engine, b: &Engine, action: &str, input: &Value) -> Value {
    let bytes = serde_json::to_vec(input).unwrap();
    let fields: Fields = typed(action, &bytes).expect("reads cleanly");
    let value = RequestInput::Value(input.clone());
    let by_value = a.answer(&ctx(), action, value).await;
    let by_fields = b
        .answer(&ctx(), action, RequestInput::Fields(Box::new(fields)))
        .await;
    let render = |answer: Result<crate::server::answer::Answer, _>| match answer {
        Ok(answer) => Ok(without_timestamps(answer.into_value())),
        Err(error) => Err(format!("{error:?}")),
    };
    let (by_value, by_fields) = (render(by_value), render(by_fields));
    assert_eq!(by_value, by_fields, "{action} {input}");
    by_value.unwrap_or_else(|error| json!({ "error": error }))
}

#[tokio::test(start_paused = true)]
async fn both_routes_answer_alike() {
    for ordered in [true, false] {
        let (a, b) = (
            Engine::new(&options(ordered)),
            Engine::new(&options(ordered)),
        );
        let small = json!({"MaximumMessageSize": "1024"});
        let url = create(&a, "q", small.clone()).await;
        assert_eq!(create(&b, "q", small).await, url);
        let fifo = create_fifo(&a, "f.fifo").await;
        create_fifo(&b, "f.fifo").await;
        let attribute = json!({"DataType": "String", "StringValue": "v"});
        let entries = json!([
            {"Id": "ok", "MessageBody": "fine", "MessageAttributes": {"a": attribute}},
            {"Id": "big", "MessageBody": "y".repeat(2000)},
            {"Id": "empty", "MessageBody": ""},
            {"Id": "bell", "MessageBody": "\u{7}"},
            {"Id": "late", "MessageBody": "x", "DelaySeconds": 901},
            {"Id": "delayed", "MessageBody": "x", "DelaySeconds": 0},
            {"Id": "dedup", "MessageBody": "x", "MessageDeduplicationId": "d"},
            {"Id": "attr", "MessageBody": "x", "MessageAttributes": {"AWS.x": attribute}},
            {"Id": "sys", "MessageBody": "x", "MessageSystemAttributes": {"Other": attribute}},
        ]);
        for (queue, entries) in [
            (&url, entries.clone()),
            (&url, json!([])),
            (&url, json!([{"Id": "a:b", "MessageBody": "x"}])),
            (
                &url,
                json!([{"Id": "a", "MessageBody": "x"}, {"Id": "a", "MessageBody": "y"}]),
            ),
            (
                &fifo,
                json!([{"Id": "a", "MessageBody": "x", "MessageGroupId": "g"},
                           {"Id": "b", "MessageBody": "x", "MessageGroupId": "g"}]),
            ),
            (&fifo, json!([{"Id": "a", "MessageBody": "x"}])),
        ] {
            let input = json!({"QueueUrl": queue, "Entries": entries});
            both(&a, &b, "SendMessageBatch", &input).await;
        }
        let missing = json!({"QueueUrl": "http://127.0.0.1:4566/000000000000/nope", "Entries": []});
        both(&a, &b, "SendMessageBatch", &missing).await;
        both(&a, &b, "SendMessageBatch", &json!({"Entries": entries})).await;
        for receive in [
            json!({"QueueUrl": url, "MaxNumberOfMessages": 11}),
            json!({"QueueUrl": url, "WaitTimeSeconds": 21}),
            json!({"QueueUrl": url, "VisibilityTimeout": -1}),
            json!({"QueueUrl": url, "ReceiveRequestAttemptId": "has space"}),
            json!({"QueueUrl": url, "MaxNumberOfMessages": 1, "AttributeNames": ["All"],
                   "MessageAttributeNames": ["All"]}),
            json!({"QueueUrl": fifo, "MaxNumberOfMessages": 10, "ReceiveRequestAttemptId": "r",
                   "MessageSystemAttributeNames": "MessageGroupId"}),
            json!({"QueueUrl": fifo, "MaxNumberOfMessages": 10, "ReceiveRequestAttemptId": "r"}),
            json!({"QueueUrl": url, "MaxNumberOfMessages": 10, "VisibilityTimeout": 0}),
        ] {
            both(&a, &b, "ReceiveMessage", &receive).await;
        }
        let got = both(
            &a,
            &b,
            "ReceiveMessage",
            &json!({"QueueUrl": url, "MaxNumberOfMessages": 10}),
        )
        .await;
        let handles: Vec<Value> = got["Messages"]
            .as_array()
            .map(|messages| {
                messages
                    .iter()
                    .map(|m| m["ReceiptHandle"].clone())
                    .collect()
            })
            .unwrap_or_default();
        assert!(!handles.is_empty(), "{got}");
        let mut entries: Vec<Value> = handles
            .iter()
            .enumerate()
            .map(|(i, h)| json!({"Id": format!("e{i}"), "ReceiptHandle": h}))
            .collect();
        entries.push(json!({"Id": "junk", "ReceiptHandle": "junk"}));
        entries.push(json!({"Id": "none"}));
        for entries in [
            json!(entries),
            json!([]),
            json!([{"Id": "", "ReceiptHandle": "h"}]),
        ] {
            let input = json!({"QueueUrl": url, "Entries": entries});
            both(&a, &b, "DeleteMessageBatch", &input).await;
        }
    }
}
