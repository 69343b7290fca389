//! `GET /metrics`: the queues' CloudWatch figures and the per-action request counts and
//! latencies, in the Prometheus text format, as a scraper reads them.

use crate::util::http::raw;
use crate::util::sdk::{receive, send_batch};
use crate::util::server::{create_queue, start_and_connect};

/// The value of the sample `line_start` (`name{labels}`), if scraped.
fn sample(text: &str, line_start: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(line_start)?.strip_prefix(' '))
        .and_then(|v| v.parse().ok())
}

#[tokio::test]
async fn metrics_count_what_the_queue_did() {
    let (server, sqs) = start_and_connect().await;
    let url = create_queue(&sqs, "counted").await;
    send_batch(&sqs, &url, ["a", "bb", "ccc"].map(String::from)).await;
    let got = receive(&sqs, &url, 2, 0).await;
    assert_eq!(got.len(), 2);
    crate::util::sdk::delete_batch(&sqs, &url, &got).await;
    receive(&sqs, &url, 10, 0).await; // the third
    assert!(receive(&sqs, &url, 10, 0).await.is_empty()); // an empty receive

    let scrape = raw(&server, "GET", "/metrics", &[], b"").await;
    assert_eq!(scrape.status, 200);
    assert!(
        scrape
            .header("content-type")
            .is_some_and(|t| t.starts_with("text/plain; version=0.0.4")),
        "{:?}",
        scrape.headers
    );
    let text = &scrape.body;
    let labels = r#"{region="us-east-1",account="000000000000",queue="counted"}"#;
    let value = |name: &str| sample(text, &format!("{name}{labels}"));
    assert_eq!(value("queue_sqs_messages_sent_total"), Some(3.0), "{text}");
    assert_eq!(value("queue_sqs_messages_received_total"), Some(3.0));
    assert_eq!(value("queue_sqs_messages_deleted_total"), Some(2.0));
    assert_eq!(value("queue_sqs_empty_receives_total"), Some(1.0));
    assert_eq!(value("queue_sqs_sent_message_size_bytes_sum"), Some(6.0));
    assert_eq!(value("queue_sqs_messages_visible"), Some(0.0));
    assert_eq!(
        value("queue_sqs_messages_not_visible"),
        Some(1.0),
        "the third is in flight"
    );
    let requests = |action: &str| {
        sample(
            text,
            &format!(r#"queue_requests_total{{action="{action}"}}"#),
        )
    };
    assert_eq!(requests("SendMessageBatch"), Some(1.0));
    assert_eq!(requests("ReceiveMessage"), Some(3.0));
    assert_eq!(
        sample(
            text,
            r#"queue_request_duration_seconds_count{action="ReceiveMessage"}"#
        ),
        Some(3.0)
    );
    assert!(text.contains("# TYPE queue_request_duration_seconds histogram"));

    // Action names that SQS does not have are not kept (each would be a series for good).
    let bogus = raw(
        &server,
        "POST",
        "/",
        &[
            ("X-Amz-Target", "AmazonSQS.NoSuchActionAnywhere"),
            ("Content-Type", "application/x-amz-json-1.0"),
        ],
        b"{}",
    )
    .await;
    assert_eq!(bogus.status, 400);
    let scrape = raw(&server, "GET", "/metrics", &[], b"").await;
    assert!(!scrape.body.contains("NoSuchActionAnywhere"));

    // A deleted queue leaves the scrape.
    sqs.delete_queue().queue_url(&url).send().await.unwrap();
    let scrape = raw(&server, "GET", "/metrics", &[], b"").await;
    assert!(!scrape.body.contains(r#"queue="counted""#));
}
