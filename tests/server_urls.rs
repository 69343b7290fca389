//! Queue URLs that work from where the client is (the host it used, the region in the path),
//! the Query API over GET as SQS answers it on a queue URL, and the wire details of listings
//! and batch answers: the real `aws-sdk-sqs` client and raw HTTP/1.1, connected through plain
//! getaddrinfo as `requests` would.

use aws_sdk_sqs::types::QueueAttributeName;
use queue::server::LocalServer;
use serde_json::Value;

use crate::util::http::{
    RawResponse, json_call, json_post_to, query, query_post, raw, raw_to, xml_all, xml_text,
};
use crate::util::requests::{
    delete_batch_of, delete_entry, send_batch_of, send_message, visibility_batch_of,
    visibility_entry,
};
use crate::util::sdk::{attributes, list_queues, queue_url, receive_once, send, set_attributes};
use crate::util::server::{
    ACCESS_KEY_ID, ACCOUNT, client, client_at, client_in, create_queue, rejected, start,
    start_with_queue,
};

/// The port `server` listens on.
fn port(server: &LocalServer) -> String {
    server.endpoint().rsplit(':').next().unwrap().to_string()
}

/// `(host:port, path)` of an `http://` URL, exactly as given.
fn split_url(url: &str) -> (String, String) {
    let rest = url.strip_prefix("http://").expect("an http URL");
    let slash = rest.find('/').expect("a path");
    (rest[..slash].to_string(), rest[slash..].to_string())
}

/// GETs `url` with `query` the way Python `requests` does: resolve the URL's host through
/// getaddrinfo, connect, send `Host` as the URL gives it.
async fn get_url(url: &str, query: &[(&str, &str)], headers: &[(&str, &str)]) -> RawResponse {
    let (host, path) = split_url(url);
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(query)
        .finish();
    let target = if query.is_empty() {
        path
    } else {
        format!("{path}?{query}")
    };
    raw_to(&host, &host, "GET", &target, headers, b"").await
}

/// Query-string auth parameters (presigned-URL style) for `region`.
fn presigned(region: &str) -> Vec<(&'static str, String)> {
    vec![
        ("X-Amz-Algorithm", "AWS4-HMAC-SHA256".to_string()),
        (
            "X-Amz-Credential",
            format!("{ACCESS_KEY_ID}/20260101/{region}/sqs/aws4_request"),
        ),
        ("X-Amz-Date", "20260101T000000Z".to_string()),
        ("X-Amz-Expires", "300".to_string()),
        ("X-Amz-SignedHeaders", "host".to_string()),
        ("X-Amz-Signature", "0000".to_string()),
    ]
}

/// GETs `path_and_query` from `server` with `Accept: application/json`.
async fn get_json(server: &LocalServer, path_and_query: &str) -> RawResponse {
    let accept_json = [("Accept", "application/json")];
    raw(server, "GET", path_and_query, &accept_json, b"").await
}

// ------------------------------------------------------------ URLs from the client's host

#[tokio::test]
async fn queue_urls_use_the_host_and_port_the_client_used() {
    let server = start().await;
    let port = port(&server);
    let by_ip = client(&server);
    let url = create_queue(&by_ip, "hosted").await;
    assert_eq!(url, format!("http://127.0.0.1:{port}/{ACCOUNT}/hosted"));

    let by_name = client_at(&format!("http://localhost:{port}"), "us-east-1");
    assert_eq!(
        queue_url(&by_name, "hosted").await,
        format!("http://localhost:{port}/{ACCOUNT}/hosted")
    );
    let listed = by_name.list_queues().send().await.unwrap();
    assert_eq!(
        listed.queue_urls(),
        [format!("http://localhost:{port}/{ACCOUNT}/hosted")]
    );

    // A worker in another container reaches the server by its service name.
    let body = r#"{"QueueName":"hosted"}"#;
    let addr = format!("127.0.0.1:{port}");
    let response = json_post_to(
        &addr,
        "queue-serve:9324",
        "/",
        "GetQueueUrl",
        "us-east-1",
        body,
    )
    .await;
    assert_eq!(
        response.json()["QueueUrl"],
        format!("http://queue-serve:9324/{ACCOUNT}/hosted")
    );
}

#[tokio::test]
async fn a_url_from_get_queue_url_is_an_address_that_resolves() {
    let server = start().await;
    let port = port(&server);
    for host in ["localhost", "127.0.0.1"] {
        let sqs = client_at(&format!("http://{host}:{port}"), "us-east-1");
        let name = format!("addr-{}", host.replace('.', "-"));
        create_queue(&sqs, &name).await;
        let url = queue_url(&sqs, &name).await;

        // Python `requests`: GET on the URL with query-string auth, host resolved by getaddrinfo.
        let mut query = vec![
            ("Action", "SendMessage".to_string()),
            ("MessageBody", "by GET".to_string()),
        ];
        query.extend(presigned("us-east-1"));
        let query: Vec<(&str, &str)> = query.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let sent = get_url(&url, &query, &[]).await;
        assert_eq!(sent.status, 200, "{url}: {sent:?}");
        assert!(sent.body.contains("<SendMessageResponse"), "{}", sent.body);

        // The Java v1 and PHP SDKs send JSON to the queue URL itself.
        let (host_port, path) = split_url(&url);
        let body = format!(r#"{{"QueueUrl":"{url}"}}"#);
        let received = json_post_to(
            &host_port,
            &host_port,
            &path,
            "ReceiveMessage",
            "us-east-1",
            &body,
        )
        .await;
        assert_eq!(received.status, 200, "{received:?}");
        assert_eq!(
            received.header("content-type"),
            Some("application/x-amz-json-1.0")
        );
        assert_eq!(received.json()["Messages"][0]["Body"], "by GET");
    }
}

#[tokio::test]
async fn json_to_a_queue_url_without_queue_url_member_uses_the_path() {
    let (_server, sqs, url) = start_with_queue("jsonpath").await;
    let (host, path) = split_url(&url);
    let body = r#"{"MessageBody":"to the path"}"#;
    let sent = json_post_to(&host, &host, &path, "SendMessage", "us-east-1", body).await;
    assert_eq!(sent.status, 200, "{sent:?}");
    assert!(sent.json()["MessageId"].is_string());
    let got = receive_once(&sqs, &url).await;
    assert_eq!(got[0].body(), Some("to the path"));
}

// ------------------------------------------------------------ regions in the URL

#[tokio::test]
async fn each_region_has_its_own_url_and_the_url_sets_the_region() {
    let server = start().await;
    let port = port(&server);
    let east = client_in(&server, "us-east-1");
    let north = client_in(&server, "eu-north-1");
    let east_url = create_queue(&east, "twin").await;
    let north_url = create_queue(&north, "twin").await;
    assert_eq!(east_url, format!("http://127.0.0.1:{port}/{ACCOUNT}/twin"));
    assert_eq!(
        north_url,
        format!("http://127.0.0.1:{port}/queue/eu-north-1/{ACCOUNT}/twin")
    );

    // An unsigned GET on the eu-north-1 URL reaches the eu-north-1 queue.
    let sent = get_url(
        &north_url,
        &[("Action", "SendMessage"), ("MessageBody", "north")],
        &[],
    )
    .await;
    assert_eq!(sent.status, 200, "{sent:?}");
    let north_got = receive_once(&north, &north_url).await;
    assert_eq!(north_got[0].body(), Some("north"));
    let east_got = receive_once(&east, &east_url).await;
    assert!(east_got.is_empty());

    // The URL names the queue whatever region the client signs for.
    send(&east, &north_url, "cross").await;
    let cross = receive_once(&north, &north_url).await;
    assert_eq!(cross[0].body(), Some("cross"));

    // GetQueueUrl sent to a queue URL answers in that URL's region, for any queue.
    create_queue(&north, "other").await;
    let other = get_url(
        &north_url,
        &[("Action", "GetQueueUrl"), ("QueueName", "other")],
        &[],
    )
    .await;
    assert_eq!(
        xml_text(&other.body, "QueueUrl"),
        Some(format!(
            "http://127.0.0.1:{port}/queue/eu-north-1/{ACCOUNT}/other"
        ))
    );
}

#[tokio::test]
async fn urls_issued_by_earlier_releases_still_work() {
    let server = start().await;
    let port = port(&server);
    let west = client_in(&server, "eu-west-1");
    create_queue(&west, "legacy").await;
    let old = format!("http://sqs.eu-west-1.localhost:{port}/{ACCOUNT}/legacy");
    // As a QueueUrl parameter, from a client signing for another region.
    send(&client(&server), &old, "old url").await;
    // As the address of a request (Host as a client of the old URL would send it).
    let (host, path) = split_url(&old);
    let received = raw_to(
        &format!("127.0.0.1:{port}"),
        &host,
        "GET",
        &format!("{path}?Action=ReceiveMessage"),
        &[],
        b"",
    )
    .await;
    assert_eq!(received.status, 200, "{received:?}");
    assert_eq!(xml_text(&received.body, "Body").as_deref(), Some("old url"));
    // And a path alone, as before.
    let by_path = query_post(
        &server,
        &format!("/{ACCOUNT}/legacy"),
        &[
            ("Action", "GetQueueAttributes"),
            ("AttributeName.1", "QueueArn"),
        ],
    )
    .await;
    assert_eq!(
        by_path.status, 400,
        "a path without region is in the signer's region: {by_path:?}"
    );
}

// ------------------------------------------------------------ the Query API over GET

#[tokio::test]
async fn get_root_answers_xml_or_json_as_asked() {
    let (server, _sqs, url) = start_with_queue("listed").await;
    let mut query = vec![
        ("Action", "ListQueues".to_string()),
        ("Version", "2012-11-05".to_string()),
    ];
    query.extend(presigned("us-east-1"));
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(query.iter().map(|(n, v)| (*n, v.as_str())))
        .finish();

    let xml = raw(&server, "GET", &format!("/?{query}"), &[], b"").await;
    assert_eq!(xml.status, 200, "{xml:?}");
    assert_eq!(xml.header("content-type"), Some("text/xml"));
    assert!(xml.body.contains("<ListQueuesResponse"), "{}", xml.body);
    assert_eq!(xml_all(&xml.body, "QueueUrl"), std::slice::from_ref(&url));

    let json = get_json(&server, &format!("/?{query}")).await;
    assert_eq!(json.status, 200, "{json:?}");
    assert_eq!(json.header("content-type"), Some("application/json"));
    let doc = json.json();
    let response = &doc["ListQueuesResponse"];
    assert_eq!(
        response["ListQueuesResult"]["queueUrls"],
        serde_json::json!([url])
    );
    assert_eq!(
        response["ResponseMetadata"]["RequestId"].as_str(),
        json.header("x-amzn-requestid")
    );

    // No match: SQS's JSON has a null list there.
    let none = get_json(&server, &format!("/?{query}&QueueNamePrefix=zzz")).await;
    assert_eq!(
        none.json()["ListQueuesResponse"]["ListQueuesResult"]["queueUrls"],
        Value::Null
    );
}

#[tokio::test]
async fn queue_url_get_as_sqs_answers_it() {
    let (server, sqs, first) = start_with_queue("first").await;
    let second = create_queue(&sqs, "second").await;

    // No Action: 404 UnknownOperationException, also when JSON was asked for, and on POST.
    for accept in [None, Some("application/json")] {
        let headers: Vec<(&str, &str)> = accept.map(|a| ("Accept", a)).into_iter().collect();
        let response = get_url(&first, &[], &headers).await;
        assert_eq!(response.status, 404, "{response:?}");
        assert!(
            response.body.contains("<UnknownOperationException"),
            "{}",
            response.body
        );
    }
    let (_, path) = split_url(&first);
    let posted = query_post(&server, &path, &[("Version", "2012-11-05")]).await;
    assert_eq!(posted.status, 404, "{posted:?}");

    // Actions that need no queue, and unknown ones, are not valid for a queue's endpoint.
    for action in ["CreateQueue", "ListQueues", "FooBar"] {
        let response = get_url(&first, &[("Action", action), ("QueueName", "third")], &[]).await;
        assert_eq!(response.status, 400, "{action}: {response:?}");
        assert_eq!(
            xml_text(&response.body, "Code").as_deref(),
            Some("InvalidAction")
        );
        assert_eq!(xml_text(&response.body, "Type").as_deref(), Some("Sender"));
        assert_eq!(
            xml_text(&response.body, "Message"),
            Some(format!(
                "The action {action} is not valid for this endpoint."
            ))
        );
    }
    let json = get_url(
        &first,
        &[("Action", "ListQueues")],
        &[("Accept", "application/json")],
    )
    .await;
    assert_eq!(json.status, 400);
    assert_eq!(json.json()["Error"]["Code"], "InvalidAction");
    assert_eq!(
        json.json()["Error"]["Message"],
        "The action ListQueues is not valid for this endpoint."
    );
    // CreateQueue really did not create anything.
    assert!(
        sqs.get_queue_url()
            .queue_name("third")
            .send()
            .await
            .is_err()
    );

    // A QueueUrl parameter overrides the URL's path.
    let attributes = get_url(
        &first,
        &[
            ("Action", "GetQueueAttributes"),
            ("QueueUrl", &second),
            ("AttributeName.1", "QueueArn"),
        ],
        &[],
    )
    .await;
    assert_eq!(attributes.status, 200, "{attributes:?}");
    assert!(attributes.body.contains(":second<"), "{}", attributes.body);
    assert!(!attributes.body.contains(":first<"), "{}", attributes.body);

    // Queue actions work on the URL; an empty answer is one empty element; a missing
    // parameter is named.
    let empty = get_url(&first, &[("Action", "ReceiveMessage")], &[]).await;
    assert_eq!(empty.status, 200, "{empty:?}");
    assert!(
        empty.body.contains("<ReceiveMessageResult/>"),
        "{}",
        empty.body
    );
    let missing = get_url(&first, &[("Action", "SendMessage")], &[]).await;
    assert_eq!(missing.status, 400);
    assert_eq!(
        xml_text(&missing.body, "Message").as_deref(),
        Some("The request must contain the parameter MessageBody.")
    );
    let arn = get_url(
        &first,
        &[("Action", "GetQueueAttributes"), ("AttributeName.1", "All")],
        &[("Accept", "application/json")],
    )
    .await;
    assert_eq!(arn.status, 200, "{arn:?}");
    let attributes =
        &arn.json()["GetQueueAttributesResponse"]["GetQueueAttributesResult"]["Attributes"];
    assert!(
        attributes
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["Name"] == "QueueArn"
                && a["Value"] == format!("arn:aws:sqs:us-east-1:{ACCOUNT}:first")),
        "{attributes}"
    );
    let deleted = get_url(&second, &[("Action", "DeleteQueue")], &[]).await;
    assert!(deleted.body.contains("<DeleteQueueResponse"), "{deleted:?}");
    let gone = get_url(
        &second,
        &[
            ("Action", "GetQueueAttributes"),
            ("AttributeName.1", "QueueArn"),
        ],
        &[],
    )
    .await;
    assert_eq!(gone.status, 400);
    assert!(
        gone.body
            .contains("The specified queue does not exist for this wsdl version."),
        "{}",
        gone.body
    );
}

// ------------------------------------------------------------ wire details

#[tokio::test]
async fn list_queues_without_a_match_has_no_queue_urls() {
    let (server, sqs, _url) = start_with_queue("present").await;
    let json = json_call(&server, "ListQueues", r#"{"QueueNamePrefix":"absent"}"#).await;
    assert_eq!(json.status, 200);
    assert_eq!(json.json(), serde_json::json!({}));
    let xml = query(
        &server,
        &[("Action", "ListQueues"), ("QueueNamePrefix", "absent")],
    )
    .await;
    assert!(xml.body.contains("<ListQueuesResult/>"), "{}", xml.body);
    let sdk = list_queues(&sqs, "absent").await;
    assert!(sdk.queue_urls.is_none());
    // A DLQ without sources still answers its (required) list.
    let dlq = create_queue(&sqs, "present-dlq").await;
    let dlq_url = format!(r#"{{"QueueUrl":"{dlq}"}}"#);
    let sources = json_call(&server, "ListDeadLetterSourceQueues", &dlq_url).await;
    assert_eq!(sources.json(), serde_json::json!({"queueUrls": []}));
}

#[tokio::test]
async fn batch_answers_leave_out_empty_lists() {
    let (server, sqs, url) = start_with_queue("batches").await;
    let sent = json_call(
        &server,
        "SendMessageBatch",
        &format!(r#"{{"QueueUrl":"{url}","Entries":[{{"Id":"a","MessageBody":"one"}},{{"Id":"b","MessageBody":"two"}}]}}"#),
    )
    .await;
    let sent = sent.json();
    assert_eq!(
        sent["Successful"].as_array().map(Vec::len),
        Some(2),
        "{sent}"
    );
    assert!(sent.get("Failed").is_none(), "{sent}");

    let bad_entries = r#"[{"Id":"x","ReceiptHandle":"garbage"}]"#;
    let bad_batch = format!(r#"{{"QueueUrl":"{url}","Entries":{bad_entries}}}"#);
    let deleted = json_call(&server, "DeleteMessageBatch", &bad_batch)
        .await
        .json();
    assert!(deleted.get("Successful").is_none(), "{deleted}");
    assert_eq!(deleted["Failed"][0]["Id"], "x");
    let changed = json_call(
        &server,
        "ChangeMessageVisibilityBatch",
        &format!(r#"{{"QueueUrl":"{url}","Entries":[{{"Id":"x","ReceiptHandle":"garbage","VisibilityTimeout":5}}]}}"#),
    )
    .await
    .json();
    assert!(changed.get("Successful").is_none(), "{changed}");
    assert_eq!(changed["Failed"][0]["Code"], "ReceiptHandleIsInvalid");

    // The SDK defaults the missing (required) lists.
    let sdk = send_batch_of(&sqs, &url, &[("c", "three")])
        .send()
        .await
        .unwrap();
    assert_eq!(sdk.successful().len(), 1);
    assert!(sdk.failed().is_empty());
    let sdk = delete_batch_of(&sqs, &url, vec![delete_entry("d", "garbage")])
        .send()
        .await
        .unwrap();
    assert!(sdk.successful().is_empty());
    assert_eq!(sdk.failed().len(), 1);
    let sdk = visibility_batch_of(&sqs, &url, vec![visibility_entry("e", "garbage", 1)])
        .send()
        .await
        .unwrap();
    assert!(sdk.successful().is_empty());
    assert_eq!(sdk.failed().len(), 1);

    // XML: an empty list is no element at all.
    let xml = query(
        &server,
        &[
            ("Action", "SendMessageBatch"),
            ("QueueUrl", &url),
            ("SendMessageBatchRequestEntry.1.Id", "f"),
            ("SendMessageBatchRequestEntry.1.MessageBody", "four"),
        ],
    )
    .await;
    assert_eq!(xml_all(&xml.body, "Id"), ["f"]);
    assert!(!xml.body.contains("BatchResultErrorEntry"), "{}", xml.body);
}

#[tokio::test]
async fn a_batch_without_entries_is_an_empty_batch_request() {
    let (server, sqs, url) = start_with_queue("empties").await;
    for (action, entry) in [
        ("SendMessageBatch", "SendMessageBatchRequestEntry"),
        ("DeleteMessageBatch", "DeleteMessageBatchRequestEntry"),
        (
            "ChangeMessageVisibilityBatch",
            "ChangeMessageVisibilityBatchRequestEntry",
        ),
    ] {
        // No entry parameters at all, and the empty list as botocore's Query serializer sends it.
        for extra in [None, Some((entry, ""))] {
            let mut form = vec![("Action", action), ("QueueUrl", url.as_str())];
            form.extend(extra);
            let response = query(&server, &form).await;
            assert_eq!(response.status, 400, "{action}: {response:?}");
            assert_eq!(
                xml_text(&response.body, "Code").as_deref(),
                Some("AWS.SimpleQueueService.EmptyBatchRequest")
            );
            assert_eq!(
                xml_text(&response.body, "Message"),
                Some(format!(
                    "There should be at least one {entry} in the request."
                ))
            );
        }
        let no_entries = format!(r#"{{"QueueUrl":"{url}","Entries":[]}}"#);
        let json = json_call(&server, action, &no_entries).await;
        assert_eq!(json.status, 400);
        assert_eq!(
            json.header("x-amzn-query-error"),
            Some("AWS.SimpleQueueService.EmptyBatchRequest;Sender")
        );
    }
    let error = rejected(send_batch_of(&sqs, &url, &[]).send()).await;
    assert!(error.is_empty_batch_request(), "{error:?}");
}

#[tokio::test]
async fn a_bare_queue_name_works_as_queue_url() {
    let (server, sqs, _url) = start_with_queue("byname").await;
    let sent = send(&sqs, "byname", "Using name instead of URL").await;
    assert_eq!(
        sent.md5_of_message_body(),
        Some("86a83f96652a1bfad3891e7d523750cb")
    );
    let timeout = QueueAttributeName::VisibilityTimeout;
    set_attributes(&sqs, "byname", &[(timeout.clone(), "45")]).await;
    let attributes = attributes(&sqs, "byname", QueueAttributeName::All).await;
    assert_eq!(attributes.get(&timeout).map(String::as_str), Some("45"));
    let received = query(
        &server,
        &[("Action", "ReceiveMessage"), ("QueueUrl", "byname")],
    )
    .await;
    assert_eq!(
        xml_text(&received.body, "Body").as_deref(),
        Some("Using name instead of URL")
    );
    // The name is looked up in the signer's region.
    let west = client_in(&server, "eu-west-1");
    let error = rejected(send_message(&west, "byname", "x").send()).await;
    assert!(error.is_queue_does_not_exist(), "{error:?}");
}
