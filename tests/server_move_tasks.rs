//! Message move tasks (DLQ redrive) against the embedded server with the real SDK and raw
//! HTTP: messages go back to their source queues (or a destination) at the task's rate on the
//! server's clock, cancel stops a task mid-way, and the errors and wire shapes are SQS's.

use std::time::Duration;

use crate::util::http::{json_post, query_post, xml_all, xml_text};
use crate::util::server::{client, create_queue, start};
use aws_sdk_sqs::Client;
use aws_sdk_sqs::error::ProvideErrorMetadata;
use aws_sdk_sqs::types::{ListMessageMoveTasksResultEntry, QueueAttributeName};
use queue::server::LocalServer;

/// A source queue whose dead letters go to `dlq` after one receive.
async fn create_source(client: &Client, name: &str, dlq_arn: &str) -> String {
    client
        .create_queue()
        .queue_name(name)
        .attributes(
            QueueAttributeName::RedrivePolicy,
            format!(r#"{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":"1"}}"#),
        )
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap()
}

async fn arn(client: &Client, url: &str) -> String {
    client
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()[&QueueAttributeName::QueueArn]
        .clone()
}

async fn visible(client: &Client, url: &str) -> u64 {
    client
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()[&QueueAttributeName::ApproximateNumberOfMessages]
        .parse()
        .unwrap()
}

/// Sends `bodies` to `source` and receives each twice, so each lands in its DLQ.
async fn dead_letters(client: &Client, source: &str, bodies: &[&str]) {
    for body in bodies {
        client
            .send_message()
            .queue_url(source)
            .message_body(*body)
            .send()
            .await
            .unwrap();
    }
    for _ in 0..bodies.len() * 2 {
        client
            .receive_message()
            .queue_url(source)
            .visibility_timeout(0)
            .send()
            .await
            .unwrap();
    }
    assert_eq!(visible(client, source).await, 0);
}

/// Everything visible in `url`, deleted, as bodies in arrival order.
async fn drain(client: &Client, url: &str) -> Vec<String> {
    let mut bodies = Vec::new();
    loop {
        let answer = client
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        let messages = answer.messages.unwrap_or_default();
        if messages.is_empty() {
            return bodies;
        }
        for message in messages {
            bodies.push(message.body.unwrap_or_default());
            client
                .delete_message()
                .queue_url(url)
                .receipt_handle(message.receipt_handle.unwrap())
                .send()
                .await
                .unwrap();
        }
    }
}

async fn latest(client: &Client, source_arn: &str) -> ListMessageMoveTasksResultEntry {
    client
        .list_message_move_tasks()
        .source_arn(source_arn)
        .send()
        .await
        .unwrap()
        .results
        .unwrap()
        .remove(0)
}

/// Lists until `done` holds (the runner works in the background), for at most 5 s.
async fn until(
    client: &Client,
    source_arn: &str,
    done: impl Fn(&ListMessageMoveTasksResultEntry) -> bool,
) -> ListMessageMoveTasksResultEntry {
    for _ in 0..500 {
        let entry = latest(client, source_arn).await;
        if done(&entry) {
            return entry;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!(
        "the task never got there: {:?}",
        latest(client, source_arn).await
    )
}

struct Pipe {
    server: LocalServer,
    client: Client,
    source: String,
    source_arn: String,
    dlq: String,
    dlq_arn: String,
}

async fn pipe(bodies: &[&str]) -> Pipe {
    let server = start().await;
    let client = client(&server);
    let dlq = create_queue(&client, "dlq").await;
    let dlq_arn = arn(&client, &dlq).await;
    let source = create_source(&client, "orders", &dlq_arn).await;
    let source_arn = arn(&client, &source).await;
    dead_letters(&client, &source, bodies).await;
    assert_eq!(visible(&client, &dlq).await, bodies.len() as u64);
    Pipe {
        server,
        client,
        source,
        source_arn,
        dlq,
        dlq_arn,
    }
}

#[tokio::test]
async fn a_task_moves_dead_letters_back_to_their_source_at_its_rate() {
    let p = pipe(&["m0", "m1", "m2", "m3"]).await;
    let started = p
        .client
        .start_message_move_task()
        .source_arn(&p.dlq_arn)
        .max_number_of_messages_per_second(1)
        .send()
        .await
        .unwrap();
    let handle = started.task_handle.unwrap();

    // The first message moves at once; the next waits a second of the server's clock.
    let running = until(&p.client, &p.dlq_arn, |e| {
        e.approximate_number_of_messages_moved() == 1
    })
    .await;
    assert_eq!(running.status(), Some("RUNNING"));
    assert_eq!(running.task_handle(), Some(handle.as_str()));
    assert_eq!(running.source_arn(), Some(p.dlq_arn.as_str()));
    assert_eq!(running.destination_arn(), None);
    assert_eq!(running.max_number_of_messages_per_second(), Some(1));
    assert_eq!(running.approximate_number_of_messages_to_move(), Some(4));
    let now_ms = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap();
    assert!((now_ms - running.started_timestamp()).abs() < 60_000);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        latest(&p.client, &p.dlq_arn)
            .await
            .approximate_number_of_messages_moved(),
        1,
        "the rate holds: no second message before a second has passed"
    );
    p.server.advance_clock(Duration::from_secs(1));
    until(&p.client, &p.dlq_arn, |e| {
        e.approximate_number_of_messages_moved() == 2
    })
    .await;
    p.server.advance_clock(Duration::from_secs(2));
    let done = until(&p.client, &p.dlq_arn, |e| e.status() == Some("COMPLETED")).await;
    assert_eq!(done.approximate_number_of_messages_moved(), 4);
    assert_eq!(
        done.task_handle(),
        None,
        "SQS shows the handle only while running"
    );

    assert_eq!(drain(&p.client, &p.dlq).await, Vec::<String>::new());
    let back = p
        .client
        .receive_message()
        .queue_url(&p.source)
        .max_number_of_messages(10)
        .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::All)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap();
    let bodies: Vec<_> = back.iter().map(|m| m.body().unwrap()).collect();
    assert_eq!(bodies, ["m0", "m1", "m2", "m3"]);
    let attributes = back[0].attributes().unwrap();
    assert_eq!(
        attributes[&aws_sdk_sqs::types::MessageSystemAttributeName::ApproximateReceiveCount],
        "1",
        "a moved message starts afresh"
    );
    assert!(
        !attributes.contains_key(
            &aws_sdk_sqs::types::MessageSystemAttributeName::DeadLetterQueueSourceArn
        )
    );
    let _ = &p.source_arn;
}

#[tokio::test]
async fn messages_go_back_to_each_of_their_sources_without_a_rate() {
    let server = start().await;
    let client = client(&server);
    let dlq = create_queue(&client, "dlq").await;
    let dlq_arn = arn(&client, &dlq).await;
    let first = create_source(&client, "first", &dlq_arn).await;
    let second = create_source(&client, "second", &dlq_arn).await;
    dead_letters(&client, &first, &["a1", "a2"]).await;
    dead_letters(&client, &second, &["b1", "b2"]).await;
    client
        .start_message_move_task()
        .source_arn(&dlq_arn)
        .send()
        .await
        .unwrap();
    let done = until(&client, &dlq_arn, |e| e.status() == Some("COMPLETED")).await;
    assert_eq!(done.approximate_number_of_messages_moved(), 4);
    assert_eq!(done.approximate_number_of_messages_to_move(), Some(4));
    assert_eq!(done.max_number_of_messages_per_second(), None);
    assert_eq!(drain(&client, &first).await, ["a1", "a2"]);
    assert_eq!(drain(&client, &second).await, ["b1", "b2"]);
}

#[tokio::test]
async fn a_destination_takes_every_message_and_its_loss_fails_the_task() {
    let p = pipe(&["m0", "m1", "m2"]).await;
    let elsewhere = create_queue(&p.client, "elsewhere").await;
    let elsewhere_arn = arn(&p.client, &elsewhere).await;
    p.client
        .start_message_move_task()
        .source_arn(&p.dlq_arn)
        .destination_arn(&elsewhere_arn)
        .max_number_of_messages_per_second(1)
        .send()
        .await
        .unwrap();
    let running = until(&p.client, &p.dlq_arn, |e| {
        e.approximate_number_of_messages_moved() == 1
    })
    .await;
    assert_eq!(running.destination_arn(), Some(elsewhere_arn.as_str()));
    p.client
        .delete_queue()
        .queue_url(&elsewhere)
        .send()
        .await
        .unwrap();
    p.server.advance_clock(Duration::from_secs(1));
    let failed = until(&p.client, &p.dlq_arn, |e| e.status() == Some("FAILED")).await;
    assert_eq!(
        failed.failure_reason(),
        Some("AWS.SimpleQueueService.NonExistentQueue")
    );
    assert_eq!(failed.approximate_number_of_messages_moved(), 1);
    assert_eq!(
        visible(&p.client, &p.dlq).await,
        2,
        "the rest stay in the DLQ"
    );
    assert_eq!(visible(&p.client, &p.source).await, 0);
}

#[tokio::test]
async fn cancel_stops_a_task_mid_way() {
    let p = pipe(&["m0", "m1", "m2", "m3", "m4"]).await;
    let handle = p
        .client
        .start_message_move_task()
        .source_arn(&p.dlq_arn)
        .max_number_of_messages_per_second(1)
        .send()
        .await
        .unwrap()
        .task_handle
        .unwrap();
    until(&p.client, &p.dlq_arn, |e| {
        e.approximate_number_of_messages_moved() == 1
    })
    .await;
    let cancelled = p
        .client
        .cancel_message_move_task()
        .task_handle(&handle)
        .send()
        .await
        .unwrap();
    assert_eq!(cancelled.approximate_number_of_messages_moved(), 1);
    let ended = until(&p.client, &p.dlq_arn, |e| e.status() == Some("CANCELLED")).await;
    p.server.advance_clock(Duration::from_secs(10));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let later = latest(&p.client, &p.dlq_arn).await;
    assert_eq!(later.status(), Some("CANCELLED"));
    assert_eq!(later.approximate_number_of_messages_moved(), 1);
    assert_eq!(ended.approximate_number_of_messages_to_move(), Some(5));
    assert_eq!(visible(&p.client, &p.dlq).await, 4);
    assert_eq!(drain(&p.client, &p.source).await, ["m0"]);

    // A task that has ended cannot be cancelled again; a new task may start.
    let again = p
        .client
        .cancel_message_move_task()
        .task_handle(&handle)
        .send()
        .await
        .unwrap_err();
    assert_eq!(again.code(), Some("InvalidParameterValue"));
    p.client
        .start_message_move_task()
        .source_arn(&p.dlq_arn)
        .send()
        .await
        .unwrap();
    until(&p.client, &p.dlq_arn, |e| e.status() == Some("COMPLETED")).await;
    let tasks = p
        .client
        .list_message_move_tasks()
        .source_arn(&p.dlq_arn)
        .max_results(10)
        .send()
        .await
        .unwrap()
        .results
        .unwrap();
    let statuses: Vec<_> = tasks.iter().map(|t| t.status().unwrap()).collect();
    assert_eq!(statuses, ["COMPLETED", "CANCELLED"], "most recent first");
}

#[tokio::test]
async fn the_errors_are_sqs_s() {
    let p = pipe(&["m0", "m1"]).await;
    let code_and_message = |error: &dyn ProvideErrorMetadata| {
        (
            error.code().unwrap_or_default().to_string(),
            error.message().unwrap_or_default().to_string(),
        )
    };

    let error = p
        .client
        .start_message_move_task()
        .source_arn(&p.source_arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code_and_message(&error),
        (
            "InvalidParameterValue".into(),
            "Source queue must be configured as a Dead Letter Queue.".into()
        )
    );
    let missing = p.dlq_arn.replace(":dlq", ":nope");
    let error = p
        .client
        .start_message_move_task()
        .source_arn(&missing)
        .send()
        .await
        .unwrap_err();
    assert!(
        error
            .as_service_error()
            .unwrap()
            .is_resource_not_found_exception()
    );
    assert_eq!(
        error.message(),
        Some("The resource that you specified for the SourceArn parameter doesn't exist.")
    );
    let error = p
        .client
        .start_message_move_task()
        .source_arn(&p.dlq_arn)
        .destination_arn(format!("{}doesntexist", p.source_arn))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error.message(),
        Some("The resource that you specified for the DestinationArn parameter doesn't exist.")
    );
    p.client
        .start_message_move_task()
        .source_arn(&p.dlq_arn)
        .max_number_of_messages_per_second(1)
        .send()
        .await
        .unwrap();
    let error = p
        .client
        .start_message_move_task()
        .source_arn(&p.dlq_arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code_and_message(&error),
        (
            "InvalidParameterValue".into(),
            "There is already a task running. Only one active task is allowed for a source queue arn at a given time.".into()
        )
    );

    let error = p
        .client
        .cancel_message_move_task()
        .task_handle("foobared")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code_and_message(&error),
        (
            "InvalidParameterValue".into(),
            "Value for parameter TaskHandle is invalid.".into()
        )
    );
    let handle = |task: &str, arn: &str| {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD
            .encode(format!(r#"{{"taskId":"{task}","sourceArn":"{arn}"}}"#))
    };
    let error = p
        .client
        .cancel_message_move_task()
        .task_handle(handle(
            "10f57157-fc38-4da9-a113-4de7e12d05dd",
            "arn:aws:sqs:us-east-1:878966065785:test-queue-doesnt-exist-123456",
        ))
        .send()
        .await
        .unwrap_err();
    assert!(
        error
            .as_service_error()
            .unwrap()
            .is_resource_not_found_exception()
    );
    assert_eq!(
        error.message(),
        Some("The resource that you specified for the SourceArn parameter doesn't exist.")
    );
    let error = p
        .client
        .cancel_message_move_task()
        .task_handle(handle("10f57157-fc38-4da9-a113-4de7e12d05aa", &p.dlq_arn))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.message(), Some("Task does not exist."));

    for max in [0, 11] {
        let error = p
            .client
            .list_message_move_tasks()
            .source_arn(&p.dlq_arn)
            .max_results(max)
            .send()
            .await
            .unwrap_err();
        assert_eq!(error.code(), Some("InvalidParameterValue"), "{max}");
    }
    let error = p
        .client
        .list_message_move_tasks()
        .source_arn(&missing)
        .send()
        .await
        .unwrap_err();
    assert!(
        error
            .as_service_error()
            .unwrap()
            .is_resource_not_found_exception()
    );
    let none = p
        .client
        .list_message_move_tasks()
        .source_arn(&p.source_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(none.results(), []);
}

#[tokio::test]
async fn both_protocols_carry_tasks_as_sqs_does() {
    let p = pipe(&["m0", "m1", "m2"]).await;
    let started = query_post(
        &p.server,
        "/",
        &[
            ("Action", "StartMessageMoveTask"),
            ("SourceArn", &p.dlq_arn),
            ("MaxNumberOfMessagesPerSecond", "1"),
        ],
    )
    .await;
    assert_eq!(started.status, 200, "{}", started.body);
    assert!(started.body.contains("<StartMessageMoveTaskResponse"));
    let handle = xml_text(&started.body, "TaskHandle").unwrap();
    until(&p.client, &p.dlq_arn, |e| {
        e.approximate_number_of_messages_moved() == 1
    })
    .await;
    let listed = query_post(
        &p.server,
        "/",
        &[
            ("Action", "ListMessageMoveTasks"),
            ("SourceArn", &p.dlq_arn),
            ("MaxResults", "10"),
        ],
    )
    .await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    let entries = xml_all(&listed.body, "ListMessageMoveTasksResultEntry");
    assert_eq!(entries.len(), 1, "{}", listed.body);
    assert_eq!(xml_text(&entries[0], "Status").as_deref(), Some("RUNNING"));
    assert_eq!(xml_text(&entries[0], "TaskHandle"), Some(handle.clone()));
    assert_eq!(
        xml_text(&entries[0], "ApproximateNumberOfMessagesToMove").as_deref(),
        Some("3")
    );
    assert_eq!(
        xml_text(&entries[0], "MaxNumberOfMessagesPerSecond").as_deref(),
        Some("1")
    );

    let json = json_post(
        &p.server,
        "ListMessageMoveTasks",
        "us-east-1",
        &format!(r#"{{"SourceArn":"{}"}}"#, p.dlq_arn),
    )
    .await
    .json();
    let entry = &json["Results"][0];
    assert_eq!(entry["ApproximateNumberOfMessagesMoved"], 1);
    assert!(entry["StartedTimestamp"].is_u64(), "{entry}");

    let cancelled = query_post(
        &p.server,
        "/",
        &[("Action", "CancelMessageMoveTask"), ("TaskHandle", &handle)],
    )
    .await;
    assert_eq!(
        xml_text(&cancelled.body, "ApproximateNumberOfMessagesMoved").as_deref(),
        Some("1"),
        "{}",
        cancelled.body
    );

    let missing = p.dlq_arn.replace(":dlq", ":nope");
    let error = query_post(
        &p.server,
        "/",
        &[("Action", "ListMessageMoveTasks"), ("SourceArn", &missing)],
    )
    .await;
    assert_eq!(error.status, 404);
    assert_eq!(
        xml_text(&error.body, "Code").as_deref(),
        Some("ResourceNotFoundException")
    );
    let error = json_post(
        &p.server,
        "CancelMessageMoveTask",
        "us-east-1",
        r#"{"TaskHandle":"foobared"}"#,
    )
    .await;
    assert_eq!(error.status, 400);
    assert_eq!(
        error.header("x-amzn-query-error"),
        Some("InvalidParameterValue;Sender")
    );
}

#[tokio::test]
async fn a_running_task_stops_with_the_server() {
    let p = pipe(&["m0", "m1", "m2"]).await;
    p.client
        .start_message_move_task()
        .source_arn(&p.dlq_arn)
        .max_number_of_messages_per_second(1)
        .send()
        .await
        .unwrap();
    until(&p.client, &p.dlq_arn, |e| {
        e.approximate_number_of_messages_moved() == 1
    })
    .await;
    let stopped = tokio::time::timeout(Duration::from_secs(5), p.server.stop()).await;
    assert!(matches!(stopped, Ok(Ok(()))), "{stopped:?}");
    let _ = (&p.source, &p.source_arn);
}

#[tokio::test]
async fn a_fifo_dead_letter_queue_goes_back_in_order_with_its_groups() {
    let server = start().await;
    let client = client(&server);
    let dlq = create_queue(&client, "jobs-dlq.fifo").await;
    let dlq_arn = arn(&client, &dlq).await;
    let source = client
        .create_queue()
        .queue_name("jobs.fifo")
        .attributes(QueueAttributeName::FifoQueue, "true")
        .attributes(QueueAttributeName::ContentBasedDeduplication, "true")
        .attributes(
            QueueAttributeName::RedrivePolicy,
            format!(r#"{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":"1"}}"#),
        )
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let mut sequence_numbers = Vec::new();
    for body in ["f0", "f1", "f2"] {
        let sent = client
            .send_message()
            .queue_url(&source)
            .message_body(body)
            .message_group_id("g")
            .send()
            .await
            .unwrap();
        sequence_numbers.push(sent.sequence_number.unwrap());
    }
    for _ in 0..2 {
        client
            .receive_message()
            .queue_url(&source)
            .max_number_of_messages(10)
            .visibility_timeout(0)
            .send()
            .await
            .unwrap();
    }
    assert_eq!(visible(&client, &dlq).await, 3);
    client
        .start_message_move_task()
        .source_arn(&dlq_arn)
        .send()
        .await
        .unwrap();
    until(&client, &dlq_arn, |e| e.status() == Some("COMPLETED")).await;
    let back = client
        .receive_message()
        .queue_url(&source)
        .max_number_of_messages(10)
        .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::All)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap();
    let bodies: Vec<_> = back.iter().map(|m| m.body().unwrap()).collect();
    assert_eq!(bodies, ["f0", "f1", "f2"], "one group, in order");
    for message in &back {
        let attributes = message.attributes().unwrap();
        use aws_sdk_sqs::types::MessageSystemAttributeName::{MessageGroupId, SequenceNumber};
        assert_eq!(attributes[&MessageGroupId], "g");
        assert!(
            !sequence_numbers.contains(&attributes[&SequenceNumber]),
            "a new sequence number in the queue it moved to"
        );
    }
}

/// With the realism model on (several seeds), every dead letter still goes back.
#[tokio::test]
async fn with_the_realism_model_every_dead_letter_goes_back() {
    let bodies: Vec<String> = (0..20).map(|i| format!("m{i}")).collect();
    for seed in [1, 2, 3] {
        let server = crate::util::server::start_with(crate::util::server::as_shipped(seed)).await;
        let client = client(&server);
        let dlq = create_queue(&client, "dlq").await;
        let dlq_arn = arn(&client, &dlq).await;
        let source = create_source(&client, "orders", &dlq_arn).await;
        for body in &bodies {
            client
                .send_message()
                .queue_url(&source)
                .message_body(body)
                .send()
                .await
                .unwrap();
        }
        // Short polls may miss messages here: receive until every one is dead-lettered.
        for _ in 0..500 {
            if visible(&client, &dlq).await == 20 {
                break;
            }
            client
                .receive_message()
                .queue_url(&source)
                .max_number_of_messages(10)
                .visibility_timeout(0)
                .send()
                .await
                .unwrap();
        }
        assert_eq!(visible(&client, &dlq).await, 20, "seed {seed}");
        client
            .start_message_move_task()
            .source_arn(&dlq_arn)
            .send()
            .await
            .unwrap();
        let done = until(&client, &dlq_arn, |e| e.status() == Some("COMPLETED")).await;
        assert_eq!(
            done.approximate_number_of_messages_moved(),
            20,
            "seed {seed}"
        );
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..500 {
            if seen.len() == bodies.len() {
                break;
            }
            seen.extend(drain(&client, &source).await);
        }
        assert_eq!(seen.len(), bodies.len(), "seed {seed}: {seen:?}");
    }
}
