//! Single-message actions through the real `aws-sdk-sqs` client: send, receive, delete and
//! change visibility, with attributes and digests, and the errors SQS answers them with.

use aws_sdk_sqs::Client;
use aws_sdk_sqs::error::ProvideErrorMetadata;
use aws_sdk_sqs::operation::change_message_visibility::builders::ChangeMessageVisibilityFluentBuilder;
use aws_sdk_sqs::operation::delete_message::builders::DeleteMessageFluentBuilder;
use aws_sdk_sqs::types::{MessageAttributeValue, MessageSystemAttributeName};

use crate::util::requests::send_message;
use crate::util::sdk::{change_visibility, delete, missing_queue, receive_once, send};
use crate::util::server::{ACCESS_KEY_ID, create_queue, rejected, start_with_queue};
use crate::util::{is_request_id, md5_hex};

/// A DeleteMessage request for `handle`, ready to send.
fn delete_request(sqs: &Client, url: &str, handle: &str) -> DeleteMessageFluentBuilder {
    sqs.delete_message().queue_url(url).receipt_handle(handle)
}

/// A ChangeMessageVisibility request that hides `handle` for 10 s, ready to send.
fn hide_request(sqs: &Client, url: &str, handle: &str) -> ChangeMessageVisibilityFluentBuilder {
    sqs.change_message_visibility()
        .queue_url(url)
        .receipt_handle(handle)
        .visibility_timeout(10)
}

#[tokio::test]
async fn send_receive_delete_with_attributes_and_digests() {
    let (_server, sqs, url) = start_with_queue("roundtrip").await;
    let body = "Message 1 \"quoted\" <tag> & \r\n line two";
    let sent = send_message(&sqs, &url, body)
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

    delete(&sqs, &url, message.receipt_handle().unwrap()).await;
    let empty = receive_once(&sqs, &url).await;
    assert!(empty.is_empty());
}

#[tokio::test]
async fn send_and_receive_errors() {
    let (server, sqs, url) = start_with_queue("errors").await;
    let error = rejected(send_message(&sqs, &url, "").send()).await;
    assert_eq!(error.code(), Some("MissingParameter"), "{error:?}");

    let error = rejected(send_message(&sqs, &url, "bad \u{1} char").send()).await;
    assert!(error.is_invalid_message_contents(), "{error:?}");

    let error = rejected(send_message(&sqs, &url, "x".repeat(1_048_577)).send()).await;
    assert_eq!(error.code(), Some("InvalidParameterValue"), "{error:?}");

    let error = rejected(
        sqs.receive_message()
            .queue_url(&url)
            .max_number_of_messages(11)
            .send(),
    )
    .await;
    assert_eq!(error.code(), Some("InvalidParameterValue"), "{error:?}");
    assert_eq!(
        error.message(),
        Some(
            "Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided."
        )
    );

    let fifo = create_queue(&sqs, "errors.fifo").await;
    let ungrouped = send_message(&sqs, &fifo, "no group").message_deduplication_id("d");
    let error = rejected(ungrouped.send()).await;
    assert_eq!(error.code(), Some("MissingParameter"), "{error:?}");

    let missing = missing_queue(&server);
    let error = rejected(send_message(&sqs, &missing, "x").send()).await;
    assert!(error.is_queue_does_not_exist(), "{error:?}");
    let error = rejected(sqs.receive_message().queue_url(&missing).send()).await;
    assert!(error.is_queue_does_not_exist(), "{error:?}");
}

#[tokio::test]
async fn delete_and_change_visibility_errors() {
    let (server, sqs, url) = start_with_queue("handles").await;
    let error = rejected(delete_request(&sqs, &url, "garbage").send()).await;
    assert!(error.is_receipt_handle_is_invalid(), "{error:?}");
    assert_eq!(
        error.message(),
        Some("The input receipt handle \"garbage\" is not a valid receipt handle.")
    );
    let error = rejected(hide_request(&sqs, &url, "garbage").send()).await;
    assert!(error.is_receipt_handle_is_invalid(), "{error:?}");

    send(&sqs, &url, "m").await;
    let received = receive_once(&sqs, &url).await;
    let handle = received[0].receipt_handle().unwrap().to_string();
    change_visibility(&sqs, &url, &handle, 0).await;
    // Visible again at once.
    let again = receive_once(&sqs, &url).await;
    assert_eq!(again.len(), 1);
    let handle = again[0].receipt_handle().unwrap().to_string();
    delete(&sqs, &url, &handle).await;
    let error = rejected(hide_request(&sqs, &url, &handle).send()).await;
    assert_eq!(error.code(), Some("InvalidParameterValue"), "{error:?}");

    let missing = missing_queue(&server);
    let error = rejected(delete_request(&sqs, &missing, &handle).send()).await;
    assert!(error.is_queue_does_not_exist(), "{error:?}");
}
