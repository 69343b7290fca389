//! The Query protocol over raw HTTP/1.1, as old SDKs and the AWS CLI v1 speak it: XML
//! responses and errors, `Accept: application/json`, GET with a presigned query string,
//! queue-URL path addressing, bodies that are not UTF-8.

use queue::server::LocalServer;

use crate::util::http::{RawResponse, query, query_attributes, query_post, raw, xml_all, xml_text};
use crate::util::md5_hex;
use crate::util::sdk::{receive, receive_once, send};
use crate::util::server::{
    ACCESS_KEY_ID, ACCOUNT, client_in, create_queue, start, start_with_queue,
};

#[tokio::test]
async fn query_protocol_roundtrip_in_xml() {
    let server = start().await;
    let created = query(
        &server,
        &[
            ("Action", "CreateQueue"),
            ("Version", "2012-11-05"),
            ("QueueName", "xmlq"),
            ("Attribute.1.Name", "VisibilityTimeout"),
            ("Attribute.1.Value", "40"),
            ("Tag.1.Key", "team"),
            ("Tag.1.Value", "blue"),
        ],
    )
    .await;
    assert_eq!(created.status, 200, "{created:?}");
    assert_eq!(created.header("content-type"), Some("text/xml"));
    assert!(created.body.starts_with(
        r#"<?xml version="1.0"?><CreateQueueResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><CreateQueueResult><QueueUrl>"#
    ));
    let url = xml_text(&created.body, "QueueUrl").unwrap();
    assert!(url.ends_with("/000000000000/xmlq"));

    let body = "line one\r\nline \"two\" & <three>";
    let sent = query(
        &server,
        &[
            ("Action", "SendMessage"),
            ("Version", "2012-11-05"),
            ("QueueUrl", &url),
            ("MessageBody", body),
            ("MessageAttribute.1.Name", "client"),
            ("MessageAttribute.1.Value.DataType", "String"),
            ("MessageAttribute.1.Value.StringValue", "Client 1"),
        ],
    )
    .await;
    assert_eq!(sent.status, 200, "{sent:?}");
    assert_eq!(
        xml_text(&sent.body, "MD5OfMessageBody"),
        Some(md5_hex(body))
    );
    assert!(xml_text(&sent.body, "MD5OfMessageAttributes").is_some());

    let received = query(
        &server,
        &[
            ("Action", "ReceiveMessage"),
            ("Version", "2012-11-05"),
            ("QueueUrl", &url),
            ("AttributeName", "All"),
            ("MessageAttributeNames.1", "All"),
            ("MaxNumberOfMessages", "10"),
        ],
    )
    .await;
    assert_eq!(received.status, 200, "{received:?}");
    assert!(received.body.contains("&#xD;"), "{}", received.body);
    assert!(!received.body.contains('\r'));
    assert_eq!(xml_text(&received.body, "Body").as_deref(), Some(body));
    assert_eq!(xml_text(&received.body, "MD5OfBody"), Some(md5_hex(body)));
    assert!(
        received
            .body
            .contains("<Name>ApproximateReceiveCount</Name><Value>1</Value>")
    );
    assert!(received.body.contains(
        "<MessageAttribute><Name>client</Name><Value><DataType>String</DataType><StringValue>Client 1</StringValue></Value></MessageAttribute>"
    ));
    let handle = xml_text(&received.body, "ReceiptHandle").unwrap();

    let deleted = query(
        &server,
        &[
            ("Action", "DeleteMessageBatch"),
            ("QueueUrl", &url),
            ("DeleteMessageBatchRequestEntry.1.Id", "ok"),
            ("DeleteMessageBatchRequestEntry.1.ReceiptHandle", &handle),
            ("DeleteMessageBatchRequestEntry.2.Id", "bad"),
            ("DeleteMessageBatchRequestEntry.2.ReceiptHandle", "garbage"),
        ],
    )
    .await;
    assert_eq!(deleted.status, 200, "{deleted:?}");
    assert!(
        deleted
            .body
            .contains("<DeleteMessageBatchResultEntry><Id>ok</Id></DeleteMessageBatchResultEntry>")
    );
    assert!(deleted.body.contains("<BatchResultErrorEntry>"));
    assert_eq!(
        xml_text(&deleted.body, "Code").as_deref(),
        Some("ReceiptHandleIsInvalid")
    );

    let attrs = query_attributes(&server, &url, "VisibilityTimeout").await;
    assert!(attrs.body.contains(
        "<GetQueueAttributesResult><Attribute><Name>VisibilityTimeout</Name><Value>40</Value></Attribute></GetQueueAttributesResult>"
    ), "{}", attrs.body);
    let tags = query(&server, &[("Action", "ListQueueTags"), ("QueueUrl", &url)]).await;
    assert!(
        tags.body
            .contains("<Tag><Key>team</Key><Value>blue</Value></Tag>")
    );
    let listed = query(&server, &[("Action", "ListQueues")]).await;
    assert_eq!(
        xml_all(&listed.body, "QueueUrl"),
        std::slice::from_ref(&url)
    );

    let no_output = query(&server, &[("Action", "PurgeQueue"), ("QueueUrl", &url)]).await;
    assert_eq!(no_output.status, 200);
    assert!(no_output.body.contains("<PurgeQueueResponse"));
    assert!(!no_output.body.contains("PurgeQueueResult"));
}

#[tokio::test]
async fn query_errors_are_xml_error_responses() {
    let server = start().await;
    let missing = query(&server, &[("Action", "GetQueueUrl"), ("QueueName", "nope")]).await;
    assert_eq!(missing.status, 400);
    assert_eq!(missing.header("content-type"), Some("text/xml"));
    let id = missing.header("x-amzn-requestid").unwrap();
    assert_eq!(
        missing.body,
        format!(
            r#"<?xml version="1.0"?><ErrorResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><Error><Type>Sender</Type><Code>AWS.SimpleQueueService.NonExistentQueue</Code><Message>The specified queue does not exist for this wsdl version.</Message><Detail/></Error><RequestId>{id}</RequestId></ErrorResponse>"#
        )
    );

    let unknown = query(&server, &[("Action", "Frobnicate")]).await;
    assert_eq!(unknown.status, 400);
    assert_eq!(
        xml_text(&unknown.body, "Code").as_deref(),
        Some("AWS.SimpleQueueService.UnsupportedOperation")
    );
    let no_action = query(&server, &[("QueueName", "x")]).await;
    assert_eq!(no_action.status, 400);
    assert_eq!(
        xml_text(&no_action.body, "Code").as_deref(),
        Some("MissingAction")
    );
    let bad_number = query(
        &server,
        &[
            ("Action", "ReceiveMessage"),
            ("QueueUrl", "x"),
            ("WaitTimeSeconds", "soon"),
        ],
    )
    .await;
    assert_eq!(bad_number.status, 400);
    assert_eq!(
        xml_text(&bad_number.body, "Code").as_deref(),
        Some("InvalidParameterValue")
    );
}

/// A Query-protocol POST of the form-encoded `form` to `/` with `Accept: application/json`.
async fn query_asking_for_json(server: &LocalServer, form: &str) -> RawResponse {
    let headers = [
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("Accept", "application/json"),
    ];
    raw(server, "POST", "/", &headers, form.as_bytes()).await
}

#[tokio::test]
async fn query_with_accept_json_gets_json() {
    let server = start().await;
    let body = "Action=CreateQueue&Version=2012-11-05&QueueName=jsonq";
    let response = query_asking_for_json(&server, body).await;
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert!(
        response.json()["CreateQueueResponse"]["CreateQueueResult"]["QueueUrl"]
            .as_str()
            .unwrap()
            .ends_with("/jsonq")
    );
    let error = query_asking_for_json(&server, "Action=GetQueueUrl&QueueName=none").await;
    assert_eq!(error.status, 400);
    assert_eq!(
        error.json()["Error"]["Code"],
        "AWS.SimpleQueueService.NonExistentQueue"
    );
    assert_eq!(
        error.header("x-amzn-query-error"),
        Some("AWS.SimpleQueueService.NonExistentQueue;Sender")
    );
}

#[tokio::test]
async fn get_with_presigned_query_string_on_queue_path() {
    let server = start().await;
    let sqs = client_in(&server, "eu-west-1");
    let url = create_queue(&sqs, "presigned").await;
    send(&sqs, &url, "hello").await;
    let path = url
        .split_once("://")
        .and_then(|(_, rest)| rest.find('/').map(|i| rest[i..].to_string()))
        .unwrap();
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("Action", "ReceiveMessage"),
            ("Version", "2012-11-05"),
            ("MaxNumberOfMessages", "10"),
            ("AttributeName.1", "All"),
            ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
            (
                "X-Amz-Credential",
                &format!("{ACCESS_KEY_ID}/20260101/eu-west-1/sqs/aws4_request"),
            ),
            ("X-Amz-Date", "20260101T000000Z"),
            ("X-Amz-Expires", "300"),
            ("X-Amz-SignedHeaders", "host"),
            ("X-Amz-Signature", "0000"),
        ])
        .finish();
    let response = raw(&server, "GET", &format!("{path}?{query}"), &[], b"").await;
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(xml_text(&response.body, "Body").as_deref(), Some("hello"));
}

#[tokio::test]
async fn queue_url_path_addressing_without_queue_url_parameter() {
    let (server, sqs, url) = start_with_queue("bypath").await;
    let path = format!("/{ACCOUNT}/bypath");
    let sent = query_post(
        &server,
        &path,
        &[("Action", "SendMessage"), ("MessageBody", "via path")],
    )
    .await;
    assert_eq!(sent.status, 200, "{sent:?}");
    let received = receive_once(&sqs, &url).await;
    assert_eq!(received[0].body(), Some("via path"));

    let missing = query_post(
        &server,
        &format!("/{ACCOUNT}/nothere"),
        &[("Action", "SendMessage"), ("MessageBody", "x")],
    )
    .await;
    assert_eq!(missing.status, 400);
    assert_eq!(
        xml_text(&missing.body, "Code").as_deref(),
        Some("AWS.SimpleQueueService.NonExistentQueue")
    );
}

/// Odd but possible inputs get an SQS answer (2xx or 4xx with an SQS error), never a 5xx, a
/// panic or a dropped connection.
/// A Query request whose percent-decoded bytes are not UTF-8 is refused; it used to be decoded
/// lossily, so the queue stored a different body (U+FFFD) than the one sent.
#[tokio::test]
async fn query_bytes_that_are_not_utf8_are_refused() {
    let (server, sqs, url) = start_with_queue("bytes").await;
    let path = format!("/{ACCOUNT}/bytes");
    let form = [("Content-Type", "application/x-www-form-urlencoded")];
    let posted = raw(
        &server,
        "POST",
        &path,
        &form,
        b"Action=SendMessage&MessageBody=caf%E9",
    )
    .await;
    let in_url = raw(
        &server,
        "GET",
        &format!("{path}?Action=SendMessage&MessageBody=%FF%FE"),
        &[],
        b"",
    )
    .await;
    for response in [posted, in_url] {
        assert_eq!(response.status, 400, "{}", response.body);
        assert_eq!(
            xml_text(&response.body, "Code").as_deref(),
            Some("InvalidParameterValue")
        );
    }
    let received = receive(&sqs, &url, 1, 0).await;
    assert!(received.is_empty(), "{received:?}");
}
