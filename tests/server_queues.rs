//! Queue actions through the real `aws-sdk-sqs` client (AWS JSON 1.0): create, get, list and
//! delete, attributes, purge, tags, dead-letter sources, regions,
//! and the errors SQS answers them with.

use std::time::Duration;

use aws_sdk_sqs::Client;
use aws_sdk_sqs::error::ProvideErrorMetadata;
use aws_sdk_sqs::operation::create_queue::builders::CreateQueueFluentBuilder;
use aws_sdk_sqs::operation::set_queue_attributes::builders::SetQueueAttributesFluentBuilder;
use aws_sdk_sqs::types::QueueAttributeName;

use crate::util::sdk::{
    attributes, dead_letter_sources, list_queues, missing_queue, queue_url, receive_once, send,
};
use crate::util::server::{
    ACCOUNT, client_in, create_queue, create_queue_with, rejected, start, start_and_connect,
    start_with_queue,
};

#[tokio::test]
async fn create_get_list_delete_queue() {
    let (server, sqs, url) = start_with_queue("orders").await;
    let port = server.endpoint().rsplit(':').next().unwrap().to_string();
    assert!(url.starts_with("http://"), "{url}");
    assert!(url.contains(&format!(":{port}/")), "{url}");
    assert!(url.ends_with(&format!("/{ACCOUNT}/orders")), "{url}");
    // Idempotent create with no attributes returns the same URL.
    assert_eq!(create_queue(&sqs, "orders").await, url);
    assert_eq!(queue_url(&sqs, "orders").await, url);
    create_queue(&sqs, "other").await;

    let listed = sqs.list_queues().send().await.unwrap();
    assert_eq!(listed.queue_urls().len(), 2);
    let prefixed = list_queues(&sqs, "ord").await;
    assert_eq!(prefixed.queue_urls(), std::slice::from_ref(&url));
    let page = sqs.list_queues().max_results(1).send().await.unwrap();
    assert_eq!(page.queue_urls().len(), 1);
    assert!(page.next_token().is_some());

    sqs.delete_queue().queue_url(&url).send().await.unwrap();
    let error = rejected(sqs.get_queue_url().queue_name("orders").send()).await;
    assert!(error.is_queue_does_not_exist(), "{error:?}");
    assert_eq!(
        error.code(),
        Some("AWS.SimpleQueueService.NonExistentQueue")
    );
    assert_eq!(error.message(), Some("The specified queue does not exist."));
    server.stop().await.unwrap();
}

/// A CreateQueue request for `name` with one attribute, ready to send.
fn create_with(
    sqs: &Client,
    name: &str,
    attribute: QueueAttributeName,
    value: &str,
) -> CreateQueueFluentBuilder {
    sqs.create_queue()
        .queue_name(name)
        .attributes(attribute, value)
}

/// A SetQueueAttributes request for one attribute of `url`, ready to send.
fn set_one(
    sqs: &Client,
    url: &str,
    attribute: QueueAttributeName,
    value: &str,
) -> SetQueueAttributesFluentBuilder {
    sqs.set_queue_attributes()
        .queue_url(url)
        .attributes(attribute, value)
}

#[tokio::test]
async fn create_queue_errors() {
    let (_server, sqs) = start_and_connect().await;
    let timeout = QueueAttributeName::VisibilityTimeout;
    create_with(&sqs, "q", timeout.clone(), "30")
        .send()
        .await
        .unwrap();
    let error = rejected(create_with(&sqs, "q", timeout, "31").send()).await;
    assert!(error.is_queue_name_exists(), "{error:?}");
    assert_eq!(error.code(), Some("QueueAlreadyExists"));

    let not_fifo = create_with(&sqs, "standard", QueueAttributeName::FifoQueue, "false");
    let error = rejected(not_fifo.send()).await;
    assert!(error.is_invalid_attribute_name(), "{error:?}");

    let error = rejected(sqs.create_queue().queue_name("bad name!").send()).await;
    assert_eq!(error.code(), Some("InvalidParameterValue"), "{error:?}");
}

#[tokio::test]
async fn queue_attributes_get_and_set() {
    let (server, sqs, url) = start_with_queue("attrs").await;
    set_one(&sqs, &url, QueueAttributeName::VisibilityTimeout, "45")
        .send()
        .await
        .unwrap();
    let attrs = attributes(&sqs, &url, QueueAttributeName::All).await;
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

    let error = rejected(
        sqs.get_queue_attributes()
            .queue_url(&url)
            .attribute_names(QueueAttributeName::from("NoSuchAttribute"))
            .send(),
    )
    .await;
    assert!(error.is_invalid_attribute_name(), "{error:?}");

    let fifo = create_queue(&sqs, "attrs.fifo").await;
    let error = rejected(set_one(&sqs, &fifo, QueueAttributeName::FifoQueue, "false").send()).await;
    assert!(error.is_invalid_attribute_value(), "{error:?}");

    let missing = missing_queue(&server);
    let error = rejected(sqs.get_queue_attributes().queue_url(&missing).send()).await;
    assert!(error.is_queue_does_not_exist(), "{error:?}");
    let error =
        rejected(set_one(&sqs, &missing, QueueAttributeName::DelaySeconds, "1").send()).await;
    assert!(error.is_queue_does_not_exist(), "{error:?}");
}

#[tokio::test]
async fn purge_queue_once_a_minute() {
    let (server, sqs, url) = start_with_queue("purge").await;
    send(&sqs, &url, "m").await;
    sqs.purge_queue().queue_url(&url).send().await.unwrap();
    let error = rejected(sqs.purge_queue().queue_url(&url).send()).await;
    assert!(error.is_purge_queue_in_progress(), "{error:?}");
    server.advance_clock(Duration::from_secs(61));
    sqs.purge_queue().queue_url(&url).send().await.unwrap();
    let empty = receive_once(&sqs, &url).await;
    assert!(empty.is_empty());
}

#[tokio::test]
async fn tags() {
    let (server, sqs) = start_and_connect().await;
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

    let missing = missing_queue(&server);
    let error = rejected(sqs.tag_queue().queue_url(&missing).tags("a", "b").send()).await;
    assert!(error.is_queue_does_not_exist(), "{error:?}");
    let error = rejected(sqs.untag_queue().queue_url(&missing).tag_keys("a").send()).await;
    assert!(error.is_queue_does_not_exist(), "{error:?}");
    let error = rejected(sqs.list_queue_tags().queue_url(&missing).send()).await;
    assert!(error.is_queue_does_not_exist(), "{error:?}");
}

#[tokio::test]
async fn dead_letter_source_queues() {
    let (server, sqs, dlq) = start_with_queue("dlq").await;
    let policy = format!(
        r#"{{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:{ACCOUNT}:dlq","maxReceiveCount":"2"}}"#
    );
    let redrive = [(QueueAttributeName::RedrivePolicy, policy.as_str())];
    let source = create_queue_with(&sqs, "source", &redrive).await;
    let sources = dead_letter_sources(&sqs, &dlq).await;
    assert_eq!(sources, [source]);
    let missing = missing_queue(&server);
    let error = rejected(
        sqs.list_dead_letter_source_queues()
            .queue_url(&missing)
            .send(),
    )
    .await;
    assert!(error.is_queue_does_not_exist(), "{error:?}");
}

#[tokio::test]
async fn delete_queue_and_purge_on_missing_queue() {
    let (server, sqs) = start_and_connect().await;
    let missing = missing_queue(&server);
    let error = rejected(sqs.delete_queue().queue_url(&missing).send()).await;
    assert!(error.is_queue_does_not_exist(), "{error:?}");
    let error = rejected(sqs.purge_queue().queue_url(&missing).send()).await;
    assert!(error.is_queue_does_not_exist(), "{error:?}");
}

/// A name cannot be reused for 60 seconds after DeleteQueue (QueueDeletedRecently).
#[tokio::test]
async fn a_deleted_name_is_free_again_after_sixty_seconds() {
    let (server, sqs, url) = start_with_queue("recycled").await;
    sqs.delete_queue()
        .queue_url(&url)
        .send()
        .await
        .expect("delete");
    let error = rejected(sqs.create_queue().queue_name("recycled").send()).await;
    assert!(error.is_queue_deleted_recently(), "{error:?}");
    assert_eq!(
        error.meta().code(),
        Some("AWS.SimpleQueueService.QueueDeletedRecently")
    );
    server.advance_clock(Duration::from_secs(61));
    assert_eq!(create_queue(&sqs, "recycled").await, url);
}

#[tokio::test]
async fn same_name_in_two_regions_is_two_queues() {
    let server = start().await;
    let east = client_in(&server, "us-east-1");
    let west = client_in(&server, "eu-west-1");
    let east_url = create_queue(&east, "twin").await;
    let west_url = create_queue(&west, "twin").await;
    assert_ne!(east_url, west_url);
    send(&east, &east_url, "east").await;
    let received = receive_once(&west, &west_url).await;
    assert!(received.is_empty());
    let attrs = attributes(&west, &west_url, QueueAttributeName::QueueArn).await;
    assert_eq!(
        attrs[&QueueAttributeName::QueueArn],
        format!("arn:aws:sqs:eu-west-1:{ACCOUNT}:twin")
    );
    assert_eq!(
        west.list_queues().send().await.unwrap().queue_urls(),
        [west_url]
    );
}
