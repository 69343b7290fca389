//! Message move tasks (DLQ redrive) against the embedded server with the real SDK and raw
//! HTTP: messages go back to their source queues (or a destination) at the task's rate on the
//! server's clock, cancel stops a task mid-way, and the errors and wire shapes are SQS's.

use std::time::Duration;

use crate::util::http::{RawResponse, json_call, query, xml_all, xml_text};
use crate::util::sdk::delete;
use crate::util::sdk::{
    dead_letter, queue_attribute, receive, redrive_after_one_receive, send, send_to_group, visible,
};
use crate::util::server::{
    as_shipped, create_queue, create_queue_with, rejected, start_and_connect, start_with,
};
use aws_sdk_sqs::Client;
use aws_sdk_sqs::error::ProvideErrorMetadata;
use aws_sdk_sqs::operation::cancel_message_move_task::CancelMessageMoveTaskError;
use aws_sdk_sqs::operation::list_message_move_tasks::ListMessageMoveTasksError;
use aws_sdk_sqs::operation::start_message_move_task::{
    StartMessageMoveTaskError, StartMessageMoveTaskOutput,
};
use aws_sdk_sqs::types::{ListMessageMoveTasksResultEntry, QueueAttributeName};
use queue::server::LocalServer;

/// A source queue whose dead letters go to `dlq` after one receive; a `.fifo` name makes a
/// FIFO queue with content-based deduplication.
async fn create_source(client: &Client, name: &str, dlq_arn: &str) -> String {
    let policy = redrive_after_one_receive(dlq_arn);
    let mut attributes = vec![(QueueAttributeName::RedrivePolicy, policy.as_str())];
    if name.ends_with(".fifo") {
        attributes.push((QueueAttributeName::ContentBasedDeduplication, "true"));
    }
    create_queue_with(client, name, &attributes).await
}

/// Creates the queue `name`: its URL and ARN.
async fn create_with_arn(client: &Client, name: &str) -> (String, String) {
    let url = create_queue(client, name).await;
    let arn = arn(client, &url).await;
    (url, arn)
}

async fn arn(client: &Client, url: &str) -> String {
    queue_attribute(client, url, QueueAttributeName::QueueArn).await
}

/// Sends `bodies` to `source` and receives each twice, so each lands in its DLQ.
async fn dead_letters(client: &Client, source: &str, bodies: &[&str]) {
    dead_letter(client, source, bodies).await;
    assert_eq!(visible(client, source).await, 0);
}

/// Everything visible in `url`, deleted, as bodies in arrival order.
async fn drain(client: &Client, url: &str) -> Vec<String> {
    let mut bodies = Vec::new();
    loop {
        let messages = receive(client, url, 10, 0).await;
        if messages.is_empty() {
            return bodies;
        }
        for message in messages {
            delete(client, url, message.receipt_handle().unwrap()).await;
            bodies.push(message.body.unwrap_or_default());
        }
    }
}

/// StartMessageMoveTask out of `source_arn` (into `destination_arn`), which must fail.
async fn start_rejected(
    client: &Client,
    source_arn: &str,
    destination_arn: Option<&str>,
) -> StartMessageMoveTaskError {
    rejected(
        client
            .start_message_move_task()
            .source_arn(source_arn)
            .set_destination_arn(destination_arn.map(str::to_string))
            .send(),
    )
    .await
}

/// CancelMessageMoveTask with `handle`, which must fail.
async fn cancel_rejected(client: &Client, handle: &str) -> CancelMessageMoveTaskError {
    rejected(client.cancel_message_move_task().task_handle(handle).send()).await
}

/// ListMessageMoveTasks for `source_arn` (with MaxResults `max`), which must fail.
async fn list_rejected(
    client: &Client,
    source_arn: &str,
    max: Option<i32>,
) -> ListMessageMoveTasksError {
    rejected(
        client
            .list_message_move_tasks()
            .source_arn(source_arn)
            .set_max_results(max)
            .send(),
    )
    .await
}

/// One receive of up to 10 messages that leaves them visible at once (a receive count each).
async fn receive_up_to_10_hidden_for_0(client: &Client, url: &str) {
    client
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .visibility_timeout(0)
        .send()
        .await
        .unwrap();
}

/// Starts a move task out of `source_arn` at `rate` messages a second (none: as fast as it can).
async fn start_task(
    client: &Client,
    source_arn: &str,
    rate: Option<i32>,
) -> StartMessageMoveTaskOutput {
    client
        .start_message_move_task()
        .source_arn(source_arn)
        .set_max_number_of_messages_per_second(rate)
        .send()
        .await
        .unwrap()
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

/// [`until`] the task has moved `moved` messages.
async fn until_moved(
    client: &Client,
    source_arn: &str,
    moved: i64,
) -> ListMessageMoveTasksResultEntry {
    until(client, source_arn, |e| {
        e.approximate_number_of_messages_moved() == moved
    })
    .await
}

/// [`until`] the task's status is `status`.
async fn until_status(
    client: &Client,
    source_arn: &str,
    status: &str,
) -> ListMessageMoveTasksResultEntry {
    until(client, source_arn, |e| e.status() == Some(status)).await
}

struct Pipe {
    server: LocalServer,
    client: Client,
    source: String,
    source_arn: String,
    dlq: String,
    dlq_arn: String,
}

impl Pipe {
    /// A Query-protocol `action` on the tasks out of the DLQ, with one more parameter.
    async fn query_on_dlq(&self, action: &str, parameter: (&str, &str)) -> RawResponse {
        let form = [("Action", action), ("SourceArn", &self.dlq_arn), parameter];
        query(&self.server, &form).await
    }
}

async fn pipe(bodies: &[&str]) -> Pipe {
    let (server, client) = start_and_connect().await;
    let (dlq, dlq_arn) = create_with_arn(&client, "dlq").await;
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
    let started = start_task(&p.client, &p.dlq_arn, Some(1)).await;
    let handle = started.task_handle.unwrap();

    // The first message moves at once; the next waits a second of the server's clock.
    let running = until_moved(&p.client, &p.dlq_arn, 1).await;
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
    until_moved(&p.client, &p.dlq_arn, 2).await;
    p.server.advance_clock(Duration::from_secs(2));
    let done = until_status(&p.client, &p.dlq_arn, "COMPLETED").await;
    assert_eq!(done.approximate_number_of_messages_moved(), 4);
    assert_eq!(
        done.task_handle(),
        None,
        "SQS shows the handle only while running"
    );

    assert_eq!(drain(&p.client, &p.dlq).await, Vec::<String>::new());
    let back = receive(&p.client, &p.source, 10, 0).await;
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
    let (_server, client) = start_and_connect().await;
    let (_dlq, dlq_arn) = create_with_arn(&client, "dlq").await;
    let first = create_source(&client, "first", &dlq_arn).await;
    let second = create_source(&client, "second", &dlq_arn).await;
    dead_letters(&client, &first, &["a1", "a2"]).await;
    dead_letters(&client, &second, &["b1", "b2"]).await;
    start_task(&client, &dlq_arn, None).await;
    let done = until_status(&client, &dlq_arn, "COMPLETED").await;
    assert_eq!(done.approximate_number_of_messages_moved(), 4);
    assert_eq!(done.approximate_number_of_messages_to_move(), Some(4));
    assert_eq!(done.max_number_of_messages_per_second(), None);
    assert_eq!(drain(&client, &first).await, ["a1", "a2"]);
    assert_eq!(drain(&client, &second).await, ["b1", "b2"]);
}

#[tokio::test]
async fn a_destination_takes_every_message_and_its_loss_fails_the_task() {
    let p = pipe(&["m0", "m1", "m2"]).await;
    let (elsewhere, elsewhere_arn) = create_with_arn(&p.client, "elsewhere").await;
    p.client
        .start_message_move_task()
        .source_arn(&p.dlq_arn)
        .destination_arn(&elsewhere_arn)
        .max_number_of_messages_per_second(1)
        .send()
        .await
        .unwrap();
    let running = until_moved(&p.client, &p.dlq_arn, 1).await;
    assert_eq!(running.destination_arn(), Some(elsewhere_arn.as_str()));
    p.client
        .delete_queue()
        .queue_url(&elsewhere)
        .send()
        .await
        .unwrap();
    p.server.advance_clock(Duration::from_secs(1));
    let failed = until_status(&p.client, &p.dlq_arn, "FAILED").await;
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
    let handle = start_task(&p.client, &p.dlq_arn, Some(1))
        .await
        .task_handle
        .unwrap();
    until_moved(&p.client, &p.dlq_arn, 1).await;
    let cancelled = p
        .client
        .cancel_message_move_task()
        .task_handle(&handle)
        .send()
        .await
        .unwrap();
    assert_eq!(cancelled.approximate_number_of_messages_moved(), 1);
    let ended = until_status(&p.client, &p.dlq_arn, "CANCELLED").await;
    p.server.advance_clock(Duration::from_secs(10));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let later = latest(&p.client, &p.dlq_arn).await;
    assert_eq!(later.status(), Some("CANCELLED"));
    assert_eq!(later.approximate_number_of_messages_moved(), 1);
    assert_eq!(ended.approximate_number_of_messages_to_move(), Some(5));
    assert_eq!(visible(&p.client, &p.dlq).await, 4);
    assert_eq!(drain(&p.client, &p.source).await, ["m0"]);

    // A task that has ended cannot be cancelled again; a new task may start.
    let again = cancel_rejected(&p.client, &handle).await;
    assert_eq!(again.code(), Some("InvalidParameterValue"));
    start_task(&p.client, &p.dlq_arn, None).await;
    until_status(&p.client, &p.dlq_arn, "COMPLETED").await;
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

    let error = start_rejected(&p.client, &p.source_arn, None).await;
    assert_eq!(
        code_and_message(&error),
        (
            "InvalidParameterValue".into(),
            "Source queue must be configured as a Dead Letter Queue.".into()
        )
    );
    let missing = p.dlq_arn.replace(":dlq", ":nope");
    let error = start_rejected(&p.client, &missing, None).await;
    assert!(error.is_resource_not_found_exception());
    assert_eq!(
        error.message(),
        Some("The resource that you specified for the SourceArn parameter doesn't exist.")
    );
    let nowhere = format!("{}doesntexist", p.source_arn);
    let error = start_rejected(&p.client, &p.dlq_arn, Some(&nowhere)).await;
    assert_eq!(
        error.message(),
        Some("The resource that you specified for the DestinationArn parameter doesn't exist.")
    );
    start_task(&p.client, &p.dlq_arn, Some(1)).await;
    let error = start_rejected(&p.client, &p.dlq_arn, None).await;
    assert_eq!(
        code_and_message(&error),
        (
            "InvalidParameterValue".into(),
            "There is already a task running. Only one active task is allowed for a source queue arn at a given time.".into()
        )
    );

    let error = cancel_rejected(&p.client, "foobared").await;
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
    let error = cancel_rejected(
        &p.client,
        &handle(
            "10f57157-fc38-4da9-a113-4de7e12d05dd",
            "arn:aws:sqs:us-east-1:878966065785:test-queue-doesnt-exist-123456",
        ),
    )
    .await;
    assert!(error.is_resource_not_found_exception());
    assert_eq!(
        error.message(),
        Some("The resource that you specified for the SourceArn parameter doesn't exist.")
    );
    let error = cancel_rejected(
        &p.client,
        &handle("10f57157-fc38-4da9-a113-4de7e12d05aa", &p.dlq_arn),
    )
    .await;
    assert_eq!(error.message(), Some("Task does not exist."));

    for max in [0, 11] {
        let error = list_rejected(&p.client, &p.dlq_arn, Some(max)).await;
        assert_eq!(error.code(), Some("InvalidParameterValue"), "{max}");
    }
    let error = list_rejected(&p.client, &missing, None).await;
    assert!(error.is_resource_not_found_exception());
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
    let one_a_second = ("MaxNumberOfMessagesPerSecond", "1");
    let started = p.query_on_dlq("StartMessageMoveTask", one_a_second).await;
    assert_eq!(started.status, 200, "{}", started.body);
    assert!(started.body.contains("<StartMessageMoveTaskResponse"));
    let handle = xml_text(&started.body, "TaskHandle").unwrap();
    until_moved(&p.client, &p.dlq_arn, 1).await;
    let listed = p
        .query_on_dlq("ListMessageMoveTasks", ("MaxResults", "10"))
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

    let from_dlq = format!(r#"{{"SourceArn":"{}"}}"#, p.dlq_arn);
    let json = json_call(&p.server, "ListMessageMoveTasks", &from_dlq)
        .await
        .json();
    let entry = &json["Results"][0];
    assert_eq!(entry["ApproximateNumberOfMessagesMoved"], 1);
    assert!(entry["StartedTimestamp"].is_u64(), "{entry}");

    let cancelled = query(
        &p.server,
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
    let error = query(
        &p.server,
        &[("Action", "ListMessageMoveTasks"), ("SourceArn", &missing)],
    )
    .await;
    assert_eq!(error.status, 404);
    assert_eq!(
        xml_text(&error.body, "Code").as_deref(),
        Some("ResourceNotFoundException")
    );
    let unknown_task = r#"{"TaskHandle":"foobared"}"#;
    let error = json_call(&p.server, "CancelMessageMoveTask", unknown_task).await;
    assert_eq!(error.status, 400);
    assert_eq!(
        error.header("x-amzn-query-error"),
        Some("InvalidParameterValue;Sender")
    );
}

#[tokio::test]
async fn a_running_task_stops_with_the_server() {
    let p = pipe(&["m0", "m1", "m2"]).await;
    start_task(&p.client, &p.dlq_arn, Some(1)).await;
    until_moved(&p.client, &p.dlq_arn, 1).await;
    let stopped = tokio::time::timeout(Duration::from_secs(5), p.server.stop()).await;
    assert!(matches!(stopped, Ok(Ok(()))), "{stopped:?}");
    let _ = (&p.source, &p.source_arn);
}

#[tokio::test]
async fn a_fifo_dead_letter_queue_goes_back_in_order_with_its_groups() {
    let (_server, client) = start_and_connect().await;
    let (dlq, dlq_arn) = create_with_arn(&client, "jobs-dlq.fifo").await;
    let source = create_source(&client, "jobs.fifo", &dlq_arn).await;
    let mut sequence_numbers = Vec::new();
    for body in ["f0", "f1", "f2"] {
        let sent = send_to_group(&client, &source, body, "g").await;
        sequence_numbers.push(sent.sequence_number.unwrap());
    }
    for _ in 0..2 {
        receive_up_to_10_hidden_for_0(&client, &source).await;
    }
    assert_eq!(visible(&client, &dlq).await, 3);
    start_task(&client, &dlq_arn, None).await;
    until_status(&client, &dlq_arn, "COMPLETED").await;
    let back = receive(&client, &source, 10, 0).await;
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
        let server = start_with(as_shipped(seed)).await;
        let client = crate::util::server::client(&server);
        let (dlq, dlq_arn) = create_with_arn(&client, "dlq").await;
        let source = create_source(&client, "orders", &dlq_arn).await;
        for body in &bodies {
            send(&client, &source, body).await;
        }
        // Short polls may miss messages here: receive until every one is dead-lettered.
        for _ in 0..500 {
            if visible(&client, &dlq).await == 20 {
                break;
            }
            receive_up_to_10_hidden_for_0(&client, &source).await;
        }
        assert_eq!(visible(&client, &dlq).await, 20, "seed {seed}");
        start_task(&client, &dlq_arn, None).await;
        let done = until_status(&client, &dlq_arn, "COMPLETED").await;
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
