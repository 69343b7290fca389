//! Queue URLs that work from where the client is (the host it used, the region in the path),
//! the Query API over GET as SQS answers it on a queue URL, and the wire details of listings
//! and batch answers: the real `aws-sdk-sqs` client and raw HTTP/1.1, connected through plain
//! getaddrinfo as `requests` would.

use aws_sdk_sqs::types::{
    ChangeMessageVisibilityBatchRequestEntry, DeleteMessageBatchRequestEntry, QueueAttributeName,
    SendMessageBatchRequestEntry,
};
use serde_json::Value;

use crate::util::http::{
    RawResponse, authorization, json_post, query_post, raw, raw_to, xml_all, xml_text,
};
use crate::util::server::{
    ACCESS_KEY_ID, ACCOUNT, client, client_at, client_in, create_queue, rejected, start,
};

/// The port `server` listens on.
fn port(server: &queue::server::LocalServer) -> String {
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

// ------------------------------------------------------------ URLs from the client's host

#[tokio::test]
async fn queue_urls_use_the_host_and_port_the_client_used() {
    let server = start().await;
    let port = port(&server);
    let by_ip = client(&server);
    let url = create_queue(&by_ip, "hosted").await;
    assert_eq!(url, format!("http://127.0.0.1:{port}/{ACCOUNT}/hosted"));

    let by_name = client_at(&format!("http://localhost:{port}"), "us-east-1");
    let got = by_name
        .get_queue_url()
        .queue_name("hosted")
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.queue_url(),
        Some(format!("http://localhost:{port}/{ACCOUNT}/hosted").as_str())
    );
    let listed = by_name.list_queues().send().await.unwrap();
    assert_eq!(
        listed.queue_urls(),
        [format!("http://localhost:{port}/{ACCOUNT}/hosted")]
    );

    // A worker in another container reaches the server by its service name.
    let body = r#"{"QueueName":"hosted"}"#;
    let addr = format!("127.0.0.1:{port}");
    let auth = authorization("us-east-1");
    let response = raw_to(
        &addr,
        "queue-serve:9324",
        "POST",
        "/",
        &[
            ("Content-Type", "application/x-amz-json-1.0"),
            ("X-Amz-Target", "AmazonSQS.GetQueueUrl"),
            ("Authorization", &auth),
        ],
        body.as_bytes(),
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
        let url = sqs
            .get_queue_url()
            .queue_name(&name)
            .send()
            .await
            .unwrap()
            .queue_url
            .unwrap();

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
        let auth = authorization("us-east-1");
        let received = raw_to(
            &host_port,
            &host_port,
            "POST",
            &path,
            &[
                ("Content-Type", "application/x-amz-json-1.0"),
                ("X-Amz-Target", "AmazonSQS.ReceiveMessage"),
                ("Authorization", &auth),
            ],
            format!(r#"{{"QueueUrl":"{url}"}}"#).as_bytes(),
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
    let server = start().await;
    let sqs = client(&server);
    let url = create_queue(&sqs, "jsonpath").await;
    let (host, path) = split_url(&url);
    let auth = authorization("us-east-1");
    let sent = raw_to(
        &host,
        &host,
        "POST",
        &path,
        &[
            ("Content-Type", "application/x-amz-json-1.0"),
            ("X-Amz-Target", "AmazonSQS.SendMessage"),
            ("Authorization", &auth),
        ],
        br#"{"MessageBody":"to the path"}"#,
    )
    .await;
    assert_eq!(sent.status, 200, "{sent:?}");
    assert!(sent.json()["MessageId"].is_string());
    let got = sqs.receive_message().queue_url(&url).send().await.unwrap();
    assert_eq!(got.messages()[0].body(), Some("to the path"));
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
    let north_got = north
        .receive_message()
        .queue_url(&north_url)
        .send()
        .await
        .unwrap();
    assert_eq!(north_got.messages()[0].body(), Some("north"));
    let east_got = east
        .receive_message()
        .queue_url(&east_url)
        .send()
        .await
        .unwrap();
    assert!(east_got.messages().is_empty());

    // The URL names the queue whatever region the client signs for.
    east.send_message()
        .queue_url(&north_url)
        .message_body("cross")
        .send()
        .await
        .unwrap();
    let cross = north
        .receive_message()
        .queue_url(&north_url)
        .send()
        .await
        .unwrap();
    assert_eq!(cross.messages()[0].body(), Some("cross"));

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
    client(&server)
        .send_message()
        .queue_url(&old)
        .message_body("old url")
        .send()
        .await
        .unwrap();
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
    let server = start().await;
    let sqs = client(&server);
    let url = create_queue(&sqs, "listed").await;
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

    let json = raw(
        &server,
        "GET",
        &format!("/?{query}"),
        &[("Accept", "application/json")],
        b"",
    )
    .await;
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
    let none = raw(
        &server,
        "GET",
        &format!("/?{query}&QueueNamePrefix=zzz"),
        &[("Accept", "application/json")],
        b"",
    )
    .await;
    assert_eq!(
        none.json()["ListQueuesResponse"]["ListQueuesResult"]["queueUrls"],
        Value::Null
    );
}

#[tokio::test]
async fn queue_url_get_as_sqs_answers_it() {
    let server = start().await;
    let sqs = client(&server);
    let first = create_queue(&sqs, "first").await;
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
    let server = start().await;
    let sqs = client(&server);
    create_queue(&sqs, "present").await;
    let json = json_post(
        &server,
        "ListQueues",
        "us-east-1",
        r#"{"QueueNamePrefix":"absent"}"#,
    )
    .await;
    assert_eq!(json.status, 200);
    assert_eq!(json.json(), serde_json::json!({}));
    let xml = query_post(
        &server,
        "/",
        &[("Action", "ListQueues"), ("QueueNamePrefix", "absent")],
    )
    .await;
    assert!(xml.body.contains("<ListQueuesResult/>"), "{}", xml.body);
    let sdk = sqs
        .list_queues()
        .queue_name_prefix("absent")
        .send()
        .await
        .unwrap();
    assert!(sdk.queue_urls.is_none());
    // A DLQ without sources still answers its (required) list.
    let dlq = create_queue(&sqs, "present-dlq").await;
    let sources = json_post(
        &server,
        "ListDeadLetterSourceQueues",
        "us-east-1",
        &format!(r#"{{"QueueUrl":"{dlq}"}}"#),
    )
    .await;
    assert_eq!(sources.json(), serde_json::json!({"queueUrls": []}));
}

#[tokio::test]
async fn batch_answers_leave_out_empty_lists() {
    let server = start().await;
    let sqs = client(&server);
    let url = create_queue(&sqs, "batches").await;
    let sent = json_post(
        &server,
        "SendMessageBatch",
        "us-east-1",
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
    let deleted = json_post(
        &server,
        "DeleteMessageBatch",
        "us-east-1",
        &format!(r#"{{"QueueUrl":"{url}","Entries":{bad_entries}}}"#),
    )
    .await
    .json();
    assert!(deleted.get("Successful").is_none(), "{deleted}");
    assert_eq!(deleted["Failed"][0]["Id"], "x");
    let changed = json_post(
        &server,
        "ChangeMessageVisibilityBatch",
        "us-east-1",
        &format!(r#"{{"QueueUrl":"{url}","Entries":[{{"Id":"x","ReceiptHandle":"garbage","VisibilityTimeout":5}}]}}"#),
    )
    .await
    .json();
    assert!(changed.get("Successful").is_none(), "{changed}");
    assert_eq!(changed["Failed"][0]["Code"], "ReceiptHandleIsInvalid");

    // The SDK defaults the missing (required) lists.
    let sdk = sqs
        .send_message_batch()
        .queue_url(&url)
        .entries(
            SendMessageBatchRequestEntry::builder()
                .id("c")
                .message_body("three")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(sdk.successful().len(), 1);
    assert!(sdk.failed().is_empty());
    let sdk = sqs
        .delete_message_batch()
        .queue_url(&url)
        .entries(
            DeleteMessageBatchRequestEntry::builder()
                .id("d")
                .receipt_handle("garbage")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert!(sdk.successful().is_empty());
    assert_eq!(sdk.failed().len(), 1);
    let sdk = sqs
        .change_message_visibility_batch()
        .queue_url(&url)
        .entries(
            ChangeMessageVisibilityBatchRequestEntry::builder()
                .id("e")
                .receipt_handle("garbage")
                .visibility_timeout(1)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert!(sdk.successful().is_empty());
    assert_eq!(sdk.failed().len(), 1);

    // XML: an empty list is no element at all.
    let xml = query_post(
        &server,
        "/",
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
    let server = start().await;
    let sqs = client(&server);
    let url = create_queue(&sqs, "empties").await;
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
            let response = query_post(&server, "/", &form).await;
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
        let json = json_post(
            &server,
            action,
            "us-east-1",
            &format!(r#"{{"QueueUrl":"{url}","Entries":[]}}"#),
        )
        .await;
        assert_eq!(json.status, 400);
        assert_eq!(
            json.header("x-amzn-query-error"),
            Some("AWS.SimpleQueueService.EmptyBatchRequest;Sender")
        );
    }
    let error = rejected(
        sqs.send_message_batch()
            .queue_url(&url)
            .set_entries(Some(Vec::new()))
            .send(),
    )
    .await;
    assert!(error.is_empty_batch_request(), "{error:?}");
}

#[tokio::test]
async fn a_bare_queue_name_works_as_queue_url() {
    let server = start().await;
    let sqs = client(&server);
    create_queue(&sqs, "byname").await;
    let sent = sqs
        .send_message()
        .queue_url("byname")
        .message_body("Using name instead of URL")
        .send()
        .await
        .unwrap();
    assert_eq!(
        sent.md5_of_message_body(),
        Some("86a83f96652a1bfad3891e7d523750cb")
    );
    sqs.set_queue_attributes()
        .queue_url("byname")
        .attributes(QueueAttributeName::VisibilityTimeout, "45")
        .send()
        .await
        .unwrap();
    let attributes = sqs
        .get_queue_attributes()
        .queue_url("byname")
        .attribute_names(QueueAttributeName::All)
        .send()
        .await
        .unwrap();
    assert_eq!(
        attributes
            .attributes()
            .unwrap()
            .get(&QueueAttributeName::VisibilityTimeout)
            .map(String::as_str),
        Some("45")
    );
    let received = query_post(
        &server,
        "/",
        &[("Action", "ReceiveMessage"), ("QueueUrl", "byname")],
    )
    .await;
    assert_eq!(
        xml_text(&received.body, "Body").as_deref(),
        Some("Using name instead of URL")
    );
    // The name is looked up in the signer's region.
    let west = client_in(&server, "eu-west-1");
    let error = rejected(
        west.send_message()
            .queue_url("byname")
            .message_body("x")
            .send(),
    )
    .await;
    assert!(error.is_queue_does_not_exist(), "{error:?}");
}
