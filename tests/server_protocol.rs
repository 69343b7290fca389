//! The server's wire protocols end to end: the real `aws-sdk-sqs` client (AWS JSON 1.0) for
//! every action and the errors SQS answers them with, and raw HTTP/1.1 for what the SDK cannot
//! send (Query protocol and XML, GET with a query string, queue-URL path addressing,
//! `Accept: application/json`, malformed bodies, unknown actions, regions from the signature).

mod common;

use std::time::Duration;

use aws_sdk_sqs::error::ProvideErrorMetadata;
use aws_sdk_sqs::types::{
    ChangeMessageVisibilityBatchRequestEntry, DeleteMessageBatchRequestEntry,
    MessageAttributeValue, MessageSystemAttributeName, QueueAttributeName,
    SendMessageBatchRequestEntry,
};
use common::{
    ACCESS_KEY_ID, ACCOUNT, client, client_in, create_queue, json_post, query_post, raw, start,
    start_with, xml_all, xml_text,
};
use md5::{Digest, Md5};

fn md5_hex(text: &str) -> String {
    hex::encode(Md5::digest(text.as_bytes()))
}

fn is_request_id(id: &str) -> bool {
    uuid::Uuid::parse_str(id).is_ok()
}

// ---------------------------------------------------------------- SDK (JSON protocol)

#[tokio::test]
async fn create_get_list_delete_queue() {
    let server = start().await;
    let sqs = client(&server);
    let url = create_queue(&sqs, "orders").await;
    let port = server.endpoint().rsplit(':').next().unwrap().to_string();
    assert!(url.starts_with("http://"), "{url}");
    assert!(url.contains(&format!(":{port}/")), "{url}");
    assert!(url.ends_with(&format!("/{ACCOUNT}/orders")), "{url}");
    // Idempotent create with no attributes returns the same URL.
    assert_eq!(create_queue(&sqs, "orders").await, url);
    let got = sqs
        .get_queue_url()
        .queue_name("orders")
        .send()
        .await
        .unwrap();
    assert_eq!(got.queue_url(), Some(url.as_str()));
    create_queue(&sqs, "other").await;

    let listed = sqs.list_queues().send().await.unwrap();
    assert_eq!(listed.queue_urls().len(), 2);
    let prefixed = sqs
        .list_queues()
        .queue_name_prefix("ord")
        .send()
        .await
        .unwrap();
    assert_eq!(prefixed.queue_urls(), std::slice::from_ref(&url));
    let page = sqs.list_queues().max_results(1).send().await.unwrap();
    assert_eq!(page.queue_urls().len(), 1);
    assert!(page.next_token().is_some());

    sqs.delete_queue().queue_url(&url).send().await.unwrap();
    let error = sqs
        .get_queue_url()
        .queue_name("orders")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(error.is_queue_does_not_exist(), "{error:?}");
    assert_eq!(
        error.code(),
        Some("AWS.SimpleQueueService.NonExistentQueue")
    );
    assert_eq!(error.message(), Some("The specified queue does not exist."));
    server.stop().await.unwrap();
}

#[tokio::test]
async fn create_queue_errors() {
    let server = start().await;
    let sqs = client(&server);
    sqs.create_queue()
        .queue_name("q")
        .attributes(QueueAttributeName::VisibilityTimeout, "30")
        .send()
        .await
        .unwrap();
    let error = sqs
        .create_queue()
        .queue_name("q")
        .attributes(QueueAttributeName::VisibilityTimeout, "31")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(error.is_queue_name_exists(), "{error:?}");
    assert_eq!(error.code(), Some("QueueAlreadyExists"));

    let error = sqs
        .create_queue()
        .queue_name("standard")
        .attributes(QueueAttributeName::FifoQueue, "false")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(error.is_invalid_attribute_name(), "{error:?}");

    let error = sqs
        .create_queue()
        .queue_name("bad name!")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(error.code(), Some("InvalidParameterValue"), "{error:?}");
}

#[tokio::test]
async fn queue_attributes_get_and_set() {
    let server = start().await;
    let sqs = client(&server);
    let url = create_queue(&sqs, "attrs").await;
    sqs.set_queue_attributes()
        .queue_url(&url)
        .attributes(QueueAttributeName::VisibilityTimeout, "45")
        .send()
        .await
        .unwrap();
    let attrs = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::All)
        .send()
        .await
        .unwrap();
    let attrs = attrs.attributes().unwrap();
    assert_eq!(
        attrs
            .get(&QueueAttributeName::VisibilityTimeout)
            .map(String::as_str),
        Some("45")
    );
    assert_eq!(
        attrs.get(&QueueAttributeName::QueueArn).map(String::as_str),
        Some(format!("arn:aws:sqs:us-east-1:{ACCOUNT}:attrs").as_str())
    );

    let error = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::from("NoSuchAttribute"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(error.is_invalid_attribute_name(), "{error:?}");

    let fifo = create_queue(&sqs, "attrs.fifo").await;
    let error = sqs
        .set_queue_attributes()
        .queue_url(&fifo)
        .attributes(QueueAttributeName::FifoQueue, "false")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(error.is_invalid_attribute_value(), "{error:?}");

    let missing = format!("{}/{ACCOUNT}/missing", server.endpoint());
    let error = sqs
        .get_queue_attributes()
        .queue_url(&missing)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(error.is_queue_does_not_exist(), "{error:?}");
    let error = sqs
        .set_queue_attributes()
        .queue_url(&missing)
        .attributes(QueueAttributeName::DelaySeconds, "1")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(error.is_queue_does_not_exist(), "{error:?}");
}

#[tokio::test]
async fn send_receive_delete_with_attributes_and_digests() {
    let server = start().await;
    let sqs = client(&server);
    let url = create_queue(&sqs, "roundtrip").await;
    let body = "Message 1 \"quoted\" <tag> & \r\n line two";
    let sent = sqs
        .send_message()
        .queue_url(&url)
        .message_body(body)
        .message_attributes(
            "client",
            MessageAttributeValue::builder()
                .data_type("String")
                .string_value("Client 1")
                .build()
                .unwrap(),
        )
        .message_attributes(
            "sent_at",
            MessageAttributeValue::builder()
                .data_type("Number")
                .string_value("1700000000000")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(sent.md5_of_message_body(), Some(md5_hex(body).as_str()));
    assert!(sent.md5_of_message_attributes().is_some());
    let message_id = sent.message_id().unwrap().to_string();
    assert!(is_request_id(&message_id), "{message_id}");

    let received = sqs
        .receive_message()
        .queue_url(&url)
        .max_number_of_messages(10)
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .message_attribute_names("All")
        .send()
        .await
        .unwrap();
    let messages = received.messages();
    assert_eq!(messages.len(), 1);
    let message = &messages[0];
    assert_eq!(message.body(), Some(body));
    assert_eq!(message.message_id(), Some(message_id.as_str()));
    assert_eq!(message.md5_of_body(), Some(md5_hex(body).as_str()));
    assert_eq!(
        message.md5_of_message_attributes(),
        sent.md5_of_message_attributes()
    );
    let attributes = message.message_attributes().unwrap();
    assert_eq!(attributes["client"].string_value(), Some("Client 1"));
    assert_eq!(attributes["sent_at"].data_type(), "Number");
    let system = message.attributes().unwrap();
    let sender = &system[&MessageSystemAttributeName::SenderId];
    assert!(!sender.contains(ACCESS_KEY_ID), "{sender}");
    assert_eq!(
        system[&MessageSystemAttributeName::ApproximateReceiveCount],
        "1"
    );

    sqs.delete_message()
        .queue_url(&url)
        .receipt_handle(message.receipt_handle().unwrap())
        .send()
        .await
        .unwrap();
    let empty = sqs.receive_message().queue_url(&url).send().await.unwrap();
    assert!(empty.messages().is_empty());
}

#[tokio::test]
async fn send_and_receive_errors() {
    let server = start().await;
    let sqs = client(&server);
    let url = create_queue(&sqs, "errors").await;
    let error = sqs
        .send_message()
        .queue_url(&url)
        .message_body("")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(error.code(), Some("MissingParameter"), "{error:?}");

    let error = sqs
        .send_message()
        .queue_url(&url)
        .message_body("bad \u{1} char")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(error.is_invalid_message_contents(), "{error:?}");

    let error = sqs
        .send_message()
        .queue_url(&url)
        .message_body("x".repeat(1_048_577))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(error.code(), Some("InvalidParameterValue"), "{error:?}");

    let error = sqs
        .receive_message()
        .queue_url(&url)
        .max_number_of_messages(11)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(error.code(), Some("InvalidParameterValue"), "{error:?}");
    assert_eq!(
        error.message(),
        Some(
            "Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided."
        )
    );

    let fifo = create_queue(&sqs, "errors.fifo").await;
    let error = sqs
        .send_message()
        .queue_url(&fifo)
        .message_body("no group")
        .message_deduplication_id("d")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(error.code(), Some("MissingParameter"), "{error:?}");

    let missing = format!("{}/{ACCOUNT}/missing", server.endpoint());
    let error = sqs
        .send_message()
        .queue_url(&missing)
        .message_body("x")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(error.is_queue_does_not_exist(), "{error:?}");
    let error = sqs
        .receive_message()
        .queue_url(&missing)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(error.is_queue_does_not_exist(), "{error:?}");
}

#[tokio::test]
async fn delete_and_change_visibility_errors() {
    let server = start().await;
    let sqs = client(&server);
    let url = create_queue(&sqs, "handles").await;
    let error = sqs
        .delete_message()
        .queue_url(&url)
        .receipt_handle("garbage")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(error.is_receipt_handle_is_invalid(), "{error:?}");
    assert_eq!(
        error.message(),
        Some("The input receipt handle \"garbage\" is not a valid receipt handle.")
    );
    let error = sqs
        .change_message_visibility()
        .queue_url(&url)
        .receipt_handle("garbage")
        .visibility_timeout(10)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(error.is_receipt_handle_is_invalid(), "{error:?}");

    sqs.send_message()
        .queue_url(&url)
        .message_body("m")
        .send()
        .await
        .unwrap();
    let received = sqs.receive_message().queue_url(&url).send().await.unwrap();
    let handle = received.messages()[0].receipt_handle().unwrap().to_string();
    sqs.change_message_visibility()
        .queue_url(&url)
        .receipt_handle(&handle)
        .visibility_timeout(0)
        .send()
        .await
        .unwrap();
    // Visible again at once.
    let again = sqs.receive_message().queue_url(&url).send().await.unwrap();
    assert_eq!(again.messages().len(), 1);
    let handle = again.messages()[0].receipt_handle().unwrap().to_string();
    sqs.delete_message()
        .queue_url(&url)
        .receipt_handle(&handle)
        .send()
        .await
        .unwrap();
    let error = sqs
        .change_message_visibility()
        .queue_url(&url)
        .receipt_handle(&handle)
        .visibility_timeout(10)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(error.code(), Some("InvalidParameterValue"), "{error:?}");

    let missing = format!("{}/{ACCOUNT}/missing", server.endpoint());
    let error = sqs
        .delete_message()
        .queue_url(&missing)
        .receipt_handle(&handle)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(error.is_queue_does_not_exist(), "{error:?}");
}

fn entry(id: &str, body: &str) -> SendMessageBatchRequestEntry {
    SendMessageBatchRequestEntry::builder()
        .id(id)
        .message_body(body)
        .build()
        .unwrap()
}

#[tokio::test]
async fn send_message_batch_and_its_errors() {
    let server = start().await;
    let sqs = client(&server);
    let url = create_queue(&sqs, "batch").await;
    let sent = sqs
        .send_message_batch()
        .queue_url(&url)
        .entries(entry("a", "one"))
        .entries(entry("b", "two"))
        .send()
        .await
        .unwrap();
    assert_eq!(sent.successful().len(), 2);
    assert!(sent.failed().is_empty());
    let a = sent.successful().iter().find(|e| e.id() == "a").unwrap();
    assert_eq!(a.md5_of_message_body(), md5_hex("one"));

    let error = sqs
        .send_message_batch()
        .queue_url(&url)
        .set_entries(Some(Vec::new()))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(error.is_empty_batch_request(), "{error:?}");

    let mut too_many = sqs.send_message_batch().queue_url(&url);
    for i in 0..11 {
        too_many = too_many.entries(entry(&format!("e{i}"), "x"));
    }
    let error = too_many.send().await.unwrap_err().into_service_error();
    assert!(error.is_too_many_entries_in_batch_request(), "{error:?}");

    let error = sqs
        .send_message_batch()
        .queue_url(&url)
        .entries(entry("same", "1"))
        .entries(entry("same", "2"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(error.is_batch_entry_ids_not_distinct(), "{error:?}");

    let error = sqs
        .send_message_batch()
        .queue_url(&url)
        .entries(entry("bad:id", "1"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(error.is_invalid_batch_entry_id(), "{error:?}");

    let big = "x".repeat(600_000);
    let error = sqs
        .send_message_batch()
        .queue_url(&url)
        .entries(entry("a", &big))
        .entries(entry("b", &big))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(error.is_batch_request_too_long(), "{error:?}");

    let missing = format!("{}/{ACCOUNT}/missing", server.endpoint());
    let error = sqs
        .send_message_batch()
        .queue_url(&missing)
        .entries(entry("a", "1"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(error.is_queue_does_not_exist(), "{error:?}");
}

#[tokio::test]
async fn delete_and_change_visibility_batches_report_per_entry_failures() {
    let server = start().await;
    let sqs = client(&server);
    let url = create_queue(&sqs, "batches").await;
    sqs.send_message_batch()
        .queue_url(&url)
        .entries(entry("a", "one"))
        .entries(entry("b", "two"))
        .send()
        .await
        .unwrap();
    let received = sqs
        .receive_message()
        .queue_url(&url)
        .max_number_of_messages(10)
        .send()
        .await
        .unwrap();
    assert_eq!(received.messages().len(), 2);
    let handles: Vec<String> = received
        .messages()
        .iter()
        .map(|m| m.receipt_handle().unwrap().to_string())
        .collect();

    let changed = sqs
        .change_message_visibility_batch()
        .queue_url(&url)
        .entries(
            ChangeMessageVisibilityBatchRequestEntry::builder()
                .id("ok")
                .receipt_handle(&handles[0])
                .visibility_timeout(60)
                .build()
                .unwrap(),
        )
        .entries(
            ChangeMessageVisibilityBatchRequestEntry::builder()
                .id("bad")
                .receipt_handle("garbage")
                .visibility_timeout(60)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(changed.successful().len(), 1);
    assert_eq!(changed.failed().len(), 1);
    assert_eq!(changed.failed()[0].id(), "bad");
    assert_eq!(changed.failed()[0].code(), "ReceiptHandleIsInvalid");
    assert!(changed.failed()[0].sender_fault());

    let deleted = sqs
        .delete_message_batch()
        .queue_url(&url)
        .entries(
            DeleteMessageBatchRequestEntry::builder()
                .id("one")
                .receipt_handle(&handles[0])
                .build()
                .unwrap(),
        )
        .entries(
            DeleteMessageBatchRequestEntry::builder()
                .id("two")
                .receipt_handle(&handles[1])
                .build()
                .unwrap(),
        )
        .entries(
            DeleteMessageBatchRequestEntry::builder()
                .id("bad")
                .receipt_handle("garbage")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.successful().len(), 2);
    assert_eq!(deleted.failed().len(), 1);
    assert_eq!(deleted.failed()[0].code(), "ReceiptHandleIsInvalid");

    let error = sqs
        .delete_message_batch()
        .queue_url(&url)
        .set_entries(Some(Vec::new()))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(error.is_empty_batch_request(), "{error:?}");
    let error = sqs
        .change_message_visibility_batch()
        .queue_url(&url)
        .set_entries(Some(Vec::new()))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(error.is_empty_batch_request(), "{error:?}");
}

#[tokio::test]
async fn purge_queue_once_a_minute() {
    let server = start().await;
    let sqs = client(&server);
    let url = create_queue(&sqs, "purge").await;
    sqs.send_message()
        .queue_url(&url)
        .message_body("m")
        .send()
        .await
        .unwrap();
    sqs.purge_queue().queue_url(&url).send().await.unwrap();
    let error = sqs
        .purge_queue()
        .queue_url(&url)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(error.is_purge_queue_in_progress(), "{error:?}");
    server.advance_clock(Duration::from_secs(61));
    sqs.purge_queue().queue_url(&url).send().await.unwrap();
    let empty = sqs.receive_message().queue_url(&url).send().await.unwrap();
    assert!(empty.messages().is_empty());
}

#[tokio::test]
async fn tags() {
    let server = start().await;
    let sqs = client(&server);
    let url = sqs
        .create_queue()
        .queue_name("tagged")
        .tags("team", "blue")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    sqs.tag_queue()
        .queue_url(&url)
        .tags("env", "test")
        .send()
        .await
        .unwrap();
    let tags = sqs.list_queue_tags().queue_url(&url).send().await.unwrap();
    let tags = tags.tags().unwrap();
    assert_eq!(tags.get("team").map(String::as_str), Some("blue"));
    assert_eq!(tags.get("env").map(String::as_str), Some("test"));
    sqs.untag_queue()
        .queue_url(&url)
        .tag_keys("team")
        .send()
        .await
        .unwrap();
    let tags = sqs.list_queue_tags().queue_url(&url).send().await.unwrap();
    assert!(!tags.tags().is_some_and(|t| t.contains_key("team")));

    let missing = format!("{}/{ACCOUNT}/missing", server.endpoint());
    let error = sqs
        .tag_queue()
        .queue_url(&missing)
        .tags("a", "b")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(error.is_queue_does_not_exist(), "{error:?}");
    let error = sqs
        .untag_queue()
        .queue_url(&missing)
        .tag_keys("a")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(error.is_queue_does_not_exist(), "{error:?}");
    let error = sqs
        .list_queue_tags()
        .queue_url(&missing)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(error.is_queue_does_not_exist(), "{error:?}");
}

#[tokio::test]
async fn dead_letter_source_queues() {
    let server = start().await;
    let sqs = client(&server);
    let dlq = create_queue(&sqs, "dlq").await;
    let policy = format!(
        r#"{{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:{ACCOUNT}:dlq","maxReceiveCount":"2"}}"#
    );
    let source = sqs
        .create_queue()
        .queue_name("source")
        .attributes(QueueAttributeName::RedrivePolicy, policy)
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let sources = sqs
        .list_dead_letter_source_queues()
        .queue_url(&dlq)
        .send()
        .await
        .unwrap();
    assert_eq!(sources.queue_urls(), [source]);
    let missing = format!("{}/{ACCOUNT}/missing", server.endpoint());
    let error = sqs
        .list_dead_letter_source_queues()
        .queue_url(&missing)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(error.is_queue_does_not_exist(), "{error:?}");
}

#[tokio::test]
async fn delete_queue_and_purge_on_missing_queue() {
    let server = start().await;
    let sqs = client(&server);
    let missing = format!("{}/{ACCOUNT}/missing", server.endpoint());
    let error = sqs
        .delete_queue()
        .queue_url(&missing)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(error.is_queue_does_not_exist(), "{error:?}");
    let error = sqs
        .purge_queue()
        .queue_url(&missing)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(error.is_queue_does_not_exist(), "{error:?}");
}

/// A name cannot be reused for 60 seconds after DeleteQueue (QueueDeletedRecently).
#[tokio::test]
async fn a_deleted_name_is_free_again_after_sixty_seconds() {
    let server = start().await;
    let sqs = client(&server);
    let url = create_queue(&sqs, "recycled").await;
    sqs.delete_queue()
        .queue_url(&url)
        .send()
        .await
        .expect("delete");
    let error = sqs
        .create_queue()
        .queue_name("recycled")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(error.is_queue_deleted_recently(), "{error:?}");
    assert_eq!(
        error.meta().code(),
        Some("AWS.SimpleQueueService.QueueDeletedRecently")
    );
    server.advance_clock(Duration::from_secs(61));
    assert_eq!(create_queue(&sqs, "recycled").await, url);
}

/// Permissions and message-move tasks are answered with a proper SQS error or success, never
/// an unparseable response.
#[tokio::test]
async fn permissions_and_move_tasks_answer_properly() {
    let server = start().await;
    let sqs = client(&server);
    let url = create_queue(&sqs, "perm").await;
    let arn = format!("arn:aws:sqs:us-east-1:{ACCOUNT}:perm");
    let outcomes: Vec<Option<String>> = vec![
        sqs.add_permission()
            .queue_url(&url)
            .label("l")
            .aws_account_ids("111111111111")
            .actions("SendMessage")
            .send()
            .await
            .err()
            .map(|e| e.into_service_error().code().unwrap_or("none").to_string()),
        sqs.remove_permission()
            .queue_url(&url)
            .label("l")
            .send()
            .await
            .err()
            .map(|e| e.into_service_error().code().unwrap_or("none").to_string()),
        sqs.start_message_move_task()
            .source_arn(&arn)
            .send()
            .await
            .err()
            .map(|e| e.into_service_error().code().unwrap_or("none").to_string()),
        sqs.list_message_move_tasks()
            .source_arn(&arn)
            .send()
            .await
            .err()
            .map(|e| e.into_service_error().code().unwrap_or("none").to_string()),
        sqs.cancel_message_move_task()
            .task_handle("nope")
            .send()
            .await
            .err()
            .map(|e| e.into_service_error().code().unwrap_or("none").to_string()),
    ];
    for code in outcomes.into_iter().flatten() {
        assert_ne!(code, "none", "an error without a code");
        assert!(!code.contains('#'), "{code}");
    }
}

#[tokio::test]
async fn same_name_in_two_regions_is_two_queues() {
    let server = start().await;
    let east = client_in(&server, "us-east-1");
    let west = client_in(&server, "eu-west-1");
    let east_url = create_queue(&east, "twin").await;
    let west_url = create_queue(&west, "twin").await;
    assert_ne!(east_url, west_url);
    east.send_message()
        .queue_url(&east_url)
        .message_body("east")
        .send()
        .await
        .unwrap();
    let received = west
        .receive_message()
        .queue_url(&west_url)
        .send()
        .await
        .unwrap();
    assert!(received.messages().is_empty());
    let attrs = west
        .get_queue_attributes()
        .queue_url(&west_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        attrs.attributes().unwrap()[&QueueAttributeName::QueueArn],
        format!("arn:aws:sqs:eu-west-1:{ACCOUNT}:twin")
    );
    assert_eq!(
        west.list_queues().send().await.unwrap().queue_urls(),
        [west_url]
    );
}

#[tokio::test]
async fn fail_rate_answers_with_retryable_errors() {
    let server = start_with(queue::server::ServeOptions {
        fail_rate: 1.0,
        ..common::options()
    })
    .await;
    let sqs = client(&server);
    let mut codes = std::collections::BTreeSet::new();
    for _ in 0..20 {
        let error = sqs.list_queues().send().await.unwrap_err();
        let error = error.into_service_error();
        codes.insert(error.code().unwrap_or("none").to_string());
    }
    assert_eq!(
        codes.into_iter().collect::<Vec<_>>(),
        ["InternalFailure", "RequestThrottled"]
    );

    // With retries, a flaky server still gets every request through.
    let flaky = start_with(queue::server::ServeOptions {
        fail_rate: 0.3,
        ..common::options()
    })
    .await;
    let sqs = common::client_with(
        &flaky,
        "us-east-1",
        aws_sdk_sqs::config::retry::RetryConfig::standard()
            .with_max_attempts(20)
            .with_initial_backoff(Duration::from_millis(1))
            .with_max_backoff(Duration::from_millis(2)),
    );
    for _ in 0..10 {
        sqs.list_queues().send().await.unwrap();
    }
}

#[tokio::test]
async fn latency_delays_every_response() {
    let server = start_with(queue::server::ServeOptions {
        latency: Duration::from_millis(80),
        ..common::options()
    })
    .await;
    let started = std::time::Instant::now();
    let response = json_post(&server, "ListQueues", "us-east-1", "{}").await;
    assert_eq!(response.status, 200);
    let error = json_post(&server, "Nope", "us-east-1", "{}").await;
    assert_eq!(error.status, 400);
    assert!(started.elapsed() >= Duration::from_millis(160));
}

#[tokio::test]
async fn stop_ends_waiting_long_polls() {
    let server = start().await;
    let sqs = client(&server);
    let url = create_queue(&sqs, "longpoll").await;
    let poll = tokio::spawn(async move {
        sqs.receive_message()
            .queue_url(&url)
            .wait_time_seconds(20)
            .send()
            .await
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    tokio::time::timeout(Duration::from_secs(5), server.stop())
        .await
        .expect("stop does not wait for the long poll")
        .unwrap();
    let received = tokio::time::timeout(Duration::from_secs(5), poll)
        .await
        .expect("the long poll ends with the server")
        .unwrap()
        .unwrap();
    assert!(received.messages().is_empty());
}

// ---------------------------------------------------------------- raw HTTP

#[tokio::test]
async fn every_response_has_a_request_id() {
    let server = start().await;
    let ok = json_post(&server, "ListQueues", "us-east-1", "").await;
    let bad = raw(&server, "GET", "/favicon.ico", &[], b"").await;
    let query = query_post(&server, "/", &[("Action", "ListQueues")]).await;
    for response in [&ok, &bad, &query] {
        let id = response.header("x-amzn-RequestId").unwrap();
        assert!(is_request_id(id), "{response:?}");
    }
    assert_eq!(ok.status, 200);
    assert_eq!(
        ok.header("content-type"),
        Some("application/x-amz-json-1.0")
    );
    assert!(ok.json().is_object());
    // Query's RequestId is the same as the header's.
    assert_eq!(
        xml_text(&query.body, "RequestId").as_deref(),
        query.header("x-amzn-requestid")
    );
}

#[tokio::test]
async fn json_errors_carry_type_message_and_query_error_header() {
    let server = start().await;
    let missing = json_post(
        &server,
        "GetQueueUrl",
        "us-east-1",
        r#"{"QueueName":"nope"}"#,
    )
    .await;
    assert_eq!(missing.status, 400);
    assert_eq!(
        missing.header("x-amzn-query-error"),
        Some("AWS.SimpleQueueService.NonExistentQueue;Sender")
    );
    assert_eq!(
        missing.json(),
        serde_json::json!({
            "__type": "com.amazonaws.sqs#QueueDoesNotExist",
            "message": "The specified queue does not exist.",
        })
    );

    let malformed = json_post(&server, "CreateQueue", "us-east-1", "{not json").await;
    assert_eq!(malformed.status, 400);
    assert!(
        malformed.json()["__type"]
            .as_str()
            .unwrap()
            .starts_with("com.amazonaws.sqs#")
    );
    assert!(
        malformed
            .header("x-amzn-query-error")
            .unwrap()
            .ends_with(";Sender")
    );

    let unknown = json_post(&server, "Frobnicate", "us-east-1", "{}").await;
    assert_eq!(unknown.status, 400);
    assert_eq!(
        unknown.json()["__type"],
        "com.amazonaws.sqs#UnsupportedOperation"
    );
    assert_eq!(
        unknown.header("x-amzn-query-error"),
        Some("AWS.SimpleQueueService.UnsupportedOperation;Sender")
    );

    let wrong_service = raw(
        &server,
        "POST",
        "/",
        &[
            ("content-type", "application/x-amz-json-1.0"),
            ("x-amz-target", "DynamoDB_20120810.ListTables"),
        ],
        b"{}",
    )
    .await;
    assert_eq!(wrong_service.status, 400);
    let no_target = raw(
        &server,
        "POST",
        "/",
        &[("Content-Type", "application/x-amz-json-1.0")],
        b"{}",
    )
    .await;
    assert_eq!(no_target.status, 400);
    assert_eq!(
        no_target.header("x-amzn-query-error"),
        Some("MissingAction;Sender")
    );
}

#[tokio::test]
async fn json_target_header_is_case_insensitive_and_unknown_members_are_ignored() {
    let server = start().await;
    let response = raw(
        &server,
        "POST",
        "/",
        &[
            ("content-type", "application/x-amz-json-1.0"),
            ("x-amz-target", "AmazonSQS.CreateQueue"),
        ],
        br#"{"QueueName":"lower","Bogus":1,"AttributeName.1":"ApproximateReceiveCount"}"#,
    )
    .await;
    assert_eq!(response.status, 200, "{response:?}");
    assert!(
        response.json()["QueueUrl"]
            .as_str()
            .unwrap()
            .ends_with("/000000000000/lower")
    );
}

#[tokio::test]
async fn query_protocol_roundtrip_in_xml() {
    let server = start().await;
    let created = query_post(
        &server,
        "/",
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
    let sent = query_post(
        &server,
        "/",
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

    let received = query_post(
        &server,
        "/",
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

    let deleted = query_post(
        &server,
        "/",
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

    let attrs = query_post(
        &server,
        "/",
        &[
            ("Action", "GetQueueAttributes"),
            ("QueueUrl", &url),
            ("AttributeName.1", "VisibilityTimeout"),
        ],
    )
    .await;
    assert!(attrs.body.contains(
        "<GetQueueAttributesResult><Attribute><Name>VisibilityTimeout</Name><Value>40</Value></Attribute></GetQueueAttributesResult>"
    ), "{}", attrs.body);
    let tags = query_post(
        &server,
        "/",
        &[("Action", "ListQueueTags"), ("QueueUrl", &url)],
    )
    .await;
    assert!(
        tags.body
            .contains("<Tag><Key>team</Key><Value>blue</Value></Tag>")
    );
    let listed = query_post(&server, "/", &[("Action", "ListQueues")]).await;
    assert_eq!(
        xml_all(&listed.body, "QueueUrl"),
        std::slice::from_ref(&url)
    );

    let no_output = query_post(
        &server,
        "/",
        &[("Action", "PurgeQueue"), ("QueueUrl", &url)],
    )
    .await;
    assert_eq!(no_output.status, 200);
    assert!(no_output.body.contains("<PurgeQueueResponse"));
    assert!(!no_output.body.contains("PurgeQueueResult"));
}

#[tokio::test]
async fn query_errors_are_xml_error_responses() {
    let server = start().await;
    let missing = query_post(
        &server,
        "/",
        &[("Action", "GetQueueUrl"), ("QueueName", "nope")],
    )
    .await;
    assert_eq!(missing.status, 400);
    assert_eq!(missing.header("content-type"), Some("text/xml"));
    let id = missing.header("x-amzn-requestid").unwrap();
    assert_eq!(
        missing.body,
        format!(
            r#"<?xml version="1.0"?><ErrorResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><Error><Type>Sender</Type><Code>AWS.SimpleQueueService.NonExistentQueue</Code><Message>The specified queue does not exist for this wsdl version.</Message><Detail/></Error><RequestId>{id}</RequestId></ErrorResponse>"#
        )
    );

    let unknown = query_post(&server, "/", &[("Action", "Frobnicate")]).await;
    assert_eq!(unknown.status, 400);
    assert_eq!(
        xml_text(&unknown.body, "Code").as_deref(),
        Some("AWS.SimpleQueueService.UnsupportedOperation")
    );
    let no_action = query_post(&server, "/", &[("QueueName", "x")]).await;
    assert_eq!(no_action.status, 400);
    assert_eq!(
        xml_text(&no_action.body, "Code").as_deref(),
        Some("MissingAction")
    );
    let bad_number = query_post(
        &server,
        "/",
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

#[tokio::test]
async fn query_with_accept_json_gets_json() {
    let server = start().await;
    let body = "Action=CreateQueue&Version=2012-11-05&QueueName=jsonq";
    let response = raw(
        &server,
        "POST",
        "/",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Accept", "application/json"),
        ],
        body.as_bytes(),
    )
    .await;
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(
        response.header("content-type"),
        Some("application/x-amz-json-1.0")
    );
    assert!(
        response.json()["QueueUrl"]
            .as_str()
            .unwrap()
            .ends_with("/jsonq")
    );
    let error = raw(
        &server,
        "POST",
        "/",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Accept", "application/json"),
        ],
        b"Action=GetQueueUrl&QueueName=none",
    )
    .await;
    assert_eq!(error.status, 400);
    assert_eq!(
        error.json()["__type"],
        "com.amazonaws.sqs#QueueDoesNotExist"
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
    sqs.send_message()
        .queue_url(&url)
        .message_body("hello")
        .send()
        .await
        .unwrap();
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
    let server = start().await;
    let sqs = client(&server);
    let url = create_queue(&sqs, "bypath").await;
    let path = format!("/{ACCOUNT}/bypath");
    let sent = query_post(
        &server,
        &path,
        &[("Action", "SendMessage"), ("MessageBody", "via path")],
    )
    .await;
    assert_eq!(sent.status, 200, "{sent:?}");
    let received = sqs.receive_message().queue_url(&url).send().await.unwrap();
    assert_eq!(received.messages()[0].body(), Some("via path"));

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

#[tokio::test]
async fn region_comes_from_the_signature() {
    let server = start().await;
    let east = json_post(&server, "CreateQueue", "us-east-1", r#"{"QueueName":"r"}"#).await;
    let south = json_post(
        &server,
        "CreateQueue",
        "ap-southeast-2",
        r#"{"QueueName":"r"}"#,
    )
    .await;
    assert_eq!(east.status, 200);
    assert_eq!(south.status, 200);
    let east_url = east.json()["QueueUrl"].as_str().unwrap().to_string();
    let south_url = south.json()["QueueUrl"].as_str().unwrap().to_string();
    assert_ne!(east_url, south_url);
    let listed = json_post(&server, "ListQueues", "ap-southeast-2", "{}").await;
    assert_eq!(listed.json()["QueueUrls"], serde_json::json!([south_url]));
    // Unsigned requests are in us-east-1.
    let unsigned = query_post(&server, "/", &[("Action", "ListQueues")]).await;
    assert_eq!(xml_all(&unsigned.body, "QueueUrl"), [east_url]);
}

/// Odd but possible inputs get an SQS answer (2xx or 4xx with an SQS error), never a 5xx, a
/// panic or a dropped connection.
/// A Query request whose percent-decoded bytes are not UTF-8 is refused; it used to be decoded
/// lossily, so the queue stored a different body (U+FFFD) than the one sent.
#[tokio::test]
async fn query_bytes_that_are_not_utf8_are_refused() {
    let server = start().await;
    let sqs = client(&server);
    let url = create_queue(&sqs, "bytes").await;
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
    let received = sqs
        .receive_message()
        .queue_url(&url)
        .wait_time_seconds(0)
        .send()
        .await
        .expect("receive");
    assert!(received.messages().is_empty(), "{received:?}");
}

#[tokio::test]
async fn odd_inputs_never_cause_a_server_error() {
    let server = start().await;
    let sqs = client(&server);
    let url = create_queue(&sqs, "odd").await;
    let json_bodies = [
        "null",
        "\"text\"",
        "[]",
        "{\"QueueUrl\": 5, \"MessageBody\": 5}",
        "{\"QueueUrl\": null, \"MessageBody\": null}",
        "{\"QueueName\": {\"nested\": true}}",
        "{\"MaxNumberOfMessages\": \"ten\"}",
        "{\"MaxNumberOfMessages\": 1e99}",
        "{\"Entries\": {\"not\": \"a list\"}}",
        "{\"Entries\": [1, \"two\", null]}",
        "{\"Attributes\": [\"list\"]}",
        "{\"MessageAttributes\": {\"a\": \"not an object\"}}",
        "{\"AttributeNames\": \"All\"}",
        "{\"tags\": {\"k\": 1}}",
        &"[".repeat(1000),
    ];
    let actions = [
        "CreateQueue",
        "GetQueueUrl",
        "SendMessage",
        "SendMessageBatch",
        "ReceiveMessage",
        "DeleteMessageBatch",
        "ChangeMessageVisibilityBatch",
        "GetQueueAttributes",
        "SetQueueAttributes",
        "TagQueue",
        "ListQueues",
    ];
    for action in actions {
        for body in json_bodies {
            let response = json_post(&server, action, "us-east-1", body).await;
            assert!(
                response.status < 500,
                "{action} {body}: {} {}",
                response.status,
                response.body
            );
            if response.status >= 400 {
                let error = response.json();
                assert!(
                    error["__type"]
                        .as_str()
                        .is_some_and(|t| t.starts_with("com.amazonaws.sqs#")),
                    "{action} {body}: {error}"
                );
                assert!(response.header("x-amzn-query-error").is_some());
            }
        }
    }
    let forms: [&[(&str, &str)]; 8] = [
        &[("Action", "SendMessage"), ("QueueUrl", &url)],
        &[
            ("Action", "SendMessage"),
            ("QueueUrl", &url),
            ("MessageBody", "x"),
            ("MessageAttribute.1.Value", "v"),
        ],
        &[
            ("Action", "SendMessage"),
            ("QueueUrl", &url),
            ("MessageBody", "x"),
            ("MessageAttribute.1.Name", "n"),
        ],
        &[
            ("Action", "SendMessageBatch"),
            ("QueueUrl", &url),
            ("SendMessageBatchRequestEntry.1", "x"),
        ],
        &[
            ("Action", "SendMessageBatch"),
            ("QueueUrl", &url),
            ("SendMessageBatchRequestEntry.99999999999.Id", "x"),
        ],
        &[
            ("Action", "CreateQueue"),
            ("QueueName", "odd2"),
            ("Attribute.1.Value", "30"),
        ],
        &[
            ("Action", "ReceiveMessage"),
            ("QueueUrl", &url),
            ("MaxNumberOfMessages", ""),
        ],
        &[("Action", ""), ("QueueUrl", &url)],
    ];
    for form in forms {
        let response = query_post(&server, "/", form).await;
        assert!(response.status < 500, "{form:?}: {response:?}");
        if response.status >= 400 {
            assert!(
                response.body.contains("<ErrorResponse"),
                "{form:?}: {response:?}"
            );
        }
    }
    let garbage = raw(
        &server,
        "POST",
        "/",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        &[0xff, 0xfe, b'=', 0x00, b'&', b'%', b'z'],
    )
    .await;
    assert_eq!(garbage.status, 400, "{garbage:?}");
}
