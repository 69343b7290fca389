//! The router's own wire rules, tested without a socket: each request goes through
//! [`router`] with `tower::ServiceExt::oneshot`, as axum's testing example does. Full
//! conversations over TCP with the real SDK live in the integration crate (`tests/server_*.rs`).

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;
use tower::ServiceExt as _;

use super::response::{JSON_CONTENT_TYPE, XML_CONTENT_TYPE};
use super::{App, router};
use crate::server::engine::Engine;
use crate::server::{Limits, ServeOptions};

const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded";

/// A SigV4 `Authorization` header for `access_key` in `region`.
fn signature(access_key: &str, region: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential={access_key}/20260101/{region}/sqs/aws4_request, SignedHeaders=host, Signature=0"
    )
}

/// A router over a fresh, deterministic engine with no queues.
fn app() -> App {
    let options = ServeOptions::deterministic(6400);
    router(Engine::new(&options), &options, CancellationToken::new())
}

/// A response, read whole.
#[derive(Debug)]
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

async fn send(app: &App, request: Request<Body>) -> Answer {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    Answer {
        status,
        headers,
        body: String::from_utf8(body.to_vec()).unwrap(),
    }
}

/// `POST /` in the JSON protocol with `X-Amz-Target: <target>`, ready for more headers.
fn json_post(target: &str) -> axum::http::request::Builder {
    Request::post("/")
        .header(header::CONTENT_TYPE, JSON_CONTENT_TYPE)
        .header("x-amz-target", target)
}

/// A [`json_post`] with `body` and nothing else.
fn json_request(target: &str, body: impl Into<Body>) -> Request<Body> {
    json_post(target).body(body.into()).unwrap()
}

/// `POST <path>` in the Query protocol with a form body.
fn form_post(path: &str, form: &'static str) -> Request<Body> {
    Request::post(path)
        .header(header::CONTENT_TYPE, FORM_CONTENT_TYPE)
        .body(Body::from(form))
        .unwrap()
}

/// `<Code>` of a Query error body.
fn xml_code(body: &str) -> Option<&str> {
    let start = body.find("<Code>")? + "<Code>".len();
    let end = start + body[start..].find("</Code>")?;
    Some(&body[start..end])
}

#[tokio::test]
async fn json_calls_take_region_from_the_signature_and_host_from_the_request() {
    let app = app();
    let signed = json_post("AmazonSQS.CreateQueue")
        .header(header::HOST, "example.test:8123")
        .header(header::AUTHORIZATION, signature("AKIDROUTER", "eu-west-2"))
        .body(Body::from(r#"{"QueueName":"routed"}"#))
        .unwrap();
    let created = send(&app, signed).await;
    assert_eq!(created.status, StatusCode::OK, "{created:?}");
    assert_eq!(created.header("content-type"), Some(JSON_CONTENT_TYPE));
    assert_eq!(
        created.json(),
        json!({"QueueUrl": "http://example.test:8123/queue/eu-west-2/000000000000/routed"})
    );

    // Unsigned, with no Host: the default region, on the loopback address.
    let unsigned = json_request("AmazonSQS.CreateQueue", r#"{"QueueName":"routed"}"#);
    let created = send(&app, unsigned).await;
    assert_eq!(
        created.json(),
        json!({"QueueUrl": "http://127.0.0.1/000000000000/routed"})
    );
}

#[tokio::test]
async fn the_target_header_wins_over_an_action_parameter() {
    let request = json_post("AmazonSQS.CreateQueue")
        .uri("/?Action=ListQueues")
        .body(Body::from(r#"{"QueueName":"target"}"#))
        .unwrap();
    let answer = send(&app(), request).await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    assert_eq!(answer.header("content-type"), Some(JSON_CONTENT_TYPE));
    assert!(
        answer.json()["QueueUrl"]
            .as_str()
            .is_some_and(|url| url.ends_with("/target")),
        "{answer:?}"
    );
}

#[tokio::test]
async fn a_query_post_merges_url_and_form_parameters() {
    let answer = send(
        &app(),
        form_post(
            "/?Action=CreateQueue&Version=2012-11-05",
            "QueueName=merged",
        ),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    assert_eq!(answer.header("content-type"), Some(XML_CONTENT_TYPE));
    assert!(
        answer
            .body
            .contains("<QueueUrl>http://127.0.0.1/000000000000/merged</QueueUrl>"),
        "{}",
        answer.body
    );
}

#[tokio::test]
async fn a_get_reads_the_query_string_and_never_the_body() {
    let app = app();
    let listed = send(
        &app,
        Request::get("/?Action=ListQueues&Version=2012-11-05")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(listed.status, StatusCode::OK, "{listed:?}");
    assert_eq!(listed.header("content-type"), Some(XML_CONTENT_TYPE));
    assert!(
        listed.body.contains("<ListQueuesResponse"),
        "{}",
        listed.body
    );

    let body_only = Request::builder()
        .method(Method::GET)
        .uri("/")
        .header(header::CONTENT_TYPE, FORM_CONTENT_TYPE)
        .body(Body::from("Action=ListQueues"))
        .unwrap();
    let ignored = send(&app, body_only).await;
    assert_eq!(ignored.status, StatusCode::BAD_REQUEST);
    assert_eq!(ignored.header("content-type"), Some(XML_CONTENT_TYPE));
    assert_eq!(xml_code(&ignored.body), Some("MissingAction"));
}

#[tokio::test]
async fn a_json_body_without_a_target_is_a_json_missing_action() {
    let request = Request::post("/")
        .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
        .body(Body::from("Action=ListQueues"))
        .unwrap();
    let answer = send(&app(), request).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.header("content-type"), Some(JSON_CONTENT_TYPE));
    assert_eq!(
        answer.header("x-amzn-query-error"),
        Some("MissingAction;Sender")
    );
    assert_eq!(answer.json()["__type"], "com.amazonaws.sqs#MissingAction");

    // A form with an empty Action is a Query request with no action.
    let empty = send(&app(), form_post("/", "Action=&QueueName=q")).await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    assert_eq!(empty.header("content-type"), Some(XML_CONTENT_TYPE));
    assert_eq!(xml_code(&empty.body), Some("MissingAction"));
}

#[tokio::test]
async fn malformed_json_is_an_invalid_parameter_value() {
    let app = app();
    for (body, message) in [
        ("{not json", "The request body is not valid JSON: "),
        ("[1]", "The request body must be a JSON object."),
    ] {
        let answer = send(&app, json_request("AmazonSQS.CreateQueue", body)).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(
            answer.header("x-amzn-query-error"),
            Some("InvalidParameterValue;Sender"),
            "{body}"
        );
        let error = answer.json();
        assert_eq!(
            error["__type"],
            "com.amazonaws.sqs#InvalidParameterValueException"
        );
        assert!(
            error["message"]
                .as_str()
                .is_some_and(|m| m.starts_with(message)),
            "{body}: {error}"
        );
    }
}

#[tokio::test]
async fn targets_outside_sqs_are_unsupported_and_a_blank_one_is_missing() {
    let app = app();
    let foreign = send(&app, json_request("DynamoDB_20120810.ListTables", "{}")).await;
    assert_eq!(foreign.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        foreign.header("x-amzn-query-error"),
        Some("AWS.SimpleQueueService.UnsupportedOperation;Sender")
    );
    assert_eq!(
        foreign.json(),
        json!({
            "__type": "com.amazonaws.sqs#UnsupportedOperation",
            "message": "The action DynamoDB_20120810.ListTables is not valid for this web service.",
        })
    );

    let blank = send(&app, json_request("  ", "{}")).await;
    assert_eq!(blank.status, StatusCode::BAD_REQUEST);
    assert_eq!(blank.header("content-type"), Some(JSON_CONTENT_TYPE));
    assert_eq!(blank.json()["__type"], "com.amazonaws.sqs#MissingAction");
}

#[tokio::test]
async fn a_query_that_accepts_json_gets_json_errors_in_query_wording() {
    let app = app();
    let accepting = |form: &'static str| {
        Request::post("/")
            .header(header::CONTENT_TYPE, FORM_CONTENT_TYPE)
            .header(header::ACCEPT, "application/json")
            .body(Body::from(form))
            .unwrap()
    };
    let missing = send(&app, accepting("Action=GetQueueUrl&QueueName=none")).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(missing.header("content-type"), Some("application/json"));
    assert_eq!(
        missing.json()["Error"],
        json!({
            "Type": "Sender",
            "Code": "AWS.SimpleQueueService.NonExistentQueue",
            "Message": "The specified queue does not exist for this wsdl version.",
        })
    );
    assert_eq!(
        missing.json()["RequestId"].as_str(),
        missing.header("x-amzn-requestid")
    );

    let no_action = send(&app, accepting("QueueName=none")).await;
    assert_eq!(no_action.status, StatusCode::BAD_REQUEST);
    assert_eq!(no_action.json()["Error"]["Code"], "MissingAction");
}

#[tokio::test]
async fn a_query_to_a_queue_url_is_held_to_that_endpoint() {
    let app = app();
    let get = |uri: &str| Request::get(uri).body(Body::empty()).unwrap();
    let created = send(&app, get("/?Action=CreateQueue&QueueName=q")).await;
    assert_eq!(created.status, StatusCode::OK, "{created:?}");

    for uri in [
        "/000000000000/q",
        "/queue/eu-west-1/000000000000/q?Version=2012-11-05",
    ] {
        let unknown = send(&app, get(uri)).await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(unknown.body, "<UnknownOperationException/>");
    }
    for action in ["CreateQueue", "ListQueues", "NoSuchAction"] {
        let answer = send(
            &app,
            get(&format!("/000000000000/q?Action={action}&QueueName=r")),
        )
        .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{action}");
        assert!(
            answer.body.contains(&format!(
                "<Code>InvalidAction</Code><Message>The action {action} is not valid for this endpoint.</Message>"
            )),
            "{}",
            answer.body
        );
    }
    // Not on the root, where ListQueues is at home and an unknown action is unsupported.
    let listed = send(&app, get("/?Action=ListQueues")).await;
    assert_eq!(listed.status, StatusCode::OK);
    let unknown = send(&app, get("/?Action=NoSuchAction")).await;
    assert!(
        unknown.body.contains("UnsupportedOperation"),
        "{}",
        unknown.body
    );
    // A JSON request to a queue URL is not a Query request.
    let json = Request::post("/000000000000/q")
        .header(header::CONTENT_TYPE, JSON_CONTENT_TYPE)
        .header("x-amz-target", "AmazonSQS.GetQueueAttributes")
        .body(Body::from(r#"{"AttributeNames":["QueueArn"]}"#))
        .unwrap();
    let json = send(&app, json).await;
    assert_eq!(json.status, StatusCode::OK, "{json:?}");
    assert_eq!(
        json.json()["Attributes"]["QueueArn"],
        "arn:aws:sqs:us-east-1:000000000000:q"
    );
}

#[tokio::test]
async fn oversized_bodies_are_refused_in_the_callers_protocol() {
    let app = app();
    let limit = Limits::default().max_body_bytes;
    let too_big = || Body::from(vec![b' '; limit + 1]);

    let json = send(&app, json_request("AmazonSQS.ListQueues", too_big())).await;
    assert_eq!(json.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(json.header("content-type"), Some(JSON_CONTENT_TYPE));
    assert_eq!(json.header("connection"), Some("close"));
    assert_eq!(
        json.header("x-amzn-query-error"),
        Some("RequestEntityTooLarge;Sender")
    );

    let query = Request::post("/?Action=ListQueues")
        .header(header::CONTENT_TYPE, FORM_CONTENT_TYPE)
        .body(too_big())
        .unwrap();
    let query = send(&app, query).await;
    assert_eq!(query.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(query.header("content-type"), Some(XML_CONTENT_TYPE));
    assert_eq!(xml_code(&query.body), Some("RequestEntityTooLarge"));

    // At the limit, the same body is read (and blank means `{}`).
    let at_limit = Body::from(vec![b' '; limit]);
    let listed = send(&app, json_request("AmazonSQS.ListQueues", at_limit)).await;
    assert_eq!(listed.status, StatusCode::OK, "{listed:?}");
}

#[tokio::test]
async fn the_caller_shows_in_the_message_it_sent() {
    let app = app();
    let created = send(
        &app,
        json_request("AmazonSQS.CreateQueue", r#"{"QueueName":"who"}"#),
    )
    .await;
    let url = created.json()["QueueUrl"].as_str().unwrap().to_string();
    let message = json!({"QueueUrl": url, "MessageBody": "hi"}).to_string();
    let traced = json_post("AmazonSQS.SendMessage")
        .header(header::AUTHORIZATION, signature("AKIDFIRST", "us-east-1"))
        .header(
            "x-amzn-trace-id",
            "Root=1-5759e988-bd862e3fe1be46a994272793",
        )
        .body(Body::from(message.clone()))
        .unwrap();
    assert_eq!(send(&app, traced).await.status, StatusCode::OK);
    let other = json_post("AmazonSQS.SendMessage")
        .header(header::AUTHORIZATION, signature("AKIDSECOND", "us-east-1"))
        .body(Body::from(message))
        .unwrap();
    assert_eq!(send(&app, other).await.status, StatusCode::OK);

    let receive =
        json!({"QueueUrl": url, "MaxNumberOfMessages": 10, "MessageSystemAttributeNames": ["All"]});
    let received = send(
        &app,
        json_request("AmazonSQS.ReceiveMessage", receive.to_string()),
    )
    .await
    .json();
    let attributes: Vec<&Value> = received["Messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| &m["Attributes"])
        .collect();
    assert_eq!(attributes.len(), 2, "{received}");
    let senders: Vec<&str> = attributes
        .iter()
        .map(|a| a["SenderId"].as_str().unwrap())
        .collect();
    assert!(senders.iter().all(|s| s.starts_with("AIDA")), "{senders:?}");
    assert!(!senders.iter().any(|s| s.contains("AKID")), "{senders:?}");
    assert_ne!(senders[0], senders[1]);
    assert_eq!(
        attributes[0]["AWSTraceHeader"],
        "Root=1-5759e988-bd862e3fe1be46a994272793"
    );
    assert_eq!(attributes[1].get("AWSTraceHeader"), None);
}
