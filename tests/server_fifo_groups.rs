//! FIFO group scheduling as SQS does it, over the SDK and the Query protocol: groups take
//! turns in a line (a served group goes to the back once it is available again), a group is
//! locked from its first in-flight message on, and whatever unlocks a group (a delete, a
//! visibility change, a timeout) wakes the long polls waiting on the queue.

use std::time::Duration;

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::{Message, QueueAttributeName};
use queue::server::LocalServer;
use tokio::sync::mpsc::UnboundedReceiver;

use crate::util::http::{query, query_send, xml_all};
use crate::util::sdk::{self, send_to_group, set_attributes};
use crate::util::server::{as_shipped, client, create_fifo, start, start_with, start_with_fifo};

/// Sends `body` (`g1-m1`, say) in the group its name starts with (`g1`).
async fn send(sqs: &Client, url: &str, body: &str) {
    let group = body.split('-').next().unwrap_or(body);
    send_to_group(sqs, url, body, group).await;
}

async fn receive(sqs: &Client, url: &str, max: i32, visibility: Option<i32>) -> Vec<Message> {
    sqs.receive_message()
        .queue_url(url)
        .max_number_of_messages(max)
        .set_visibility_timeout(visibility)
        .send()
        .await
        .expect("receive")
        .messages
        .unwrap_or_default()
}

fn bodies(messages: &[Message]) -> Vec<&str> {
    messages.iter().filter_map(Message::body).collect()
}

async fn set_visibility(sqs: &Client, url: &str, message: &Message, seconds: i32) {
    let handle = message.receipt_handle().unwrap_or_default();
    sdk::change_visibility(sqs, url, handle, seconds).await;
}

async fn delete(sqs: &Client, url: &str, message: &Message) {
    sdk::delete(sqs, url, message.receipt_handle().unwrap_or_default()).await;
}

const ISSUE_EXAMPLE: [&str; 5] = ["g1-m1", "g2-m1", "g2-m2", "g3-m1", "g1-m2"];

#[tokio::test]
async fn groups_take_turns_served_groups_go_to_the_back() {
    // In strict order and with the realism `queue serve` ships with, over several seeds: FIFO
    // queues are not reordered.
    for seed in [None, Some(1), Some(2), Some(3)] {
        let server = match seed {
            None => start().await,
            Some(seed) => start_with(as_shipped(seed)).await,
        };
        let sqs = client(&server);
        let url = create_fifo(&sqs, "line.fifo").await;
        for body in ISSUE_EXAMPLE {
            send(&sqs, &url, body).await;
        }
        let first = receive(&sqs, &url, 3, Some(0)).await;
        assert_eq!(bodies(&first), ["g1-m1", "g1-m2", "g2-m1"], "seed {seed:?}");
        let second = receive(&sqs, &url, 10, Some(0)).await;
        assert_eq!(
            bodies(&second),
            ["g3-m1", "g1-m1", "g1-m2", "g2-m1", "g2-m2"],
            "seed {seed:?}"
        );
        // And round again: the line is now g3, g1, g2 served in that order.
        let third = receive(&sqs, &url, 10, Some(0)).await;
        assert_eq!(
            bodies(&third),
            ["g3-m1", "g1-m1", "g1-m2", "g2-m1", "g2-m2"],
            "seed {seed:?}"
        );
        server.stop().await.expect("stop");
    }
}

#[tokio::test]
async fn groups_take_turns_over_the_query_protocol() {
    let (server, _sqs, url) = start_with_fifo("query-line.fifo").await;
    for body in ISSUE_EXAMPLE {
        let group = &body[..2];
        let sent = query_send(&server, &url, body, &[("MessageGroupId", group)]).await;
        assert_eq!(sent.status, 200, "{}", sent.body);
    }
    let receive = |max: &'static str| {
        let url = url.clone();
        let server = &server;
        async move {
            let answer = query(
                server,
                &[
                    ("Action", "ReceiveMessage"),
                    ("QueueUrl", &url),
                    ("MaxNumberOfMessages", max),
                    ("VisibilityTimeout", "0"),
                ],
            )
            .await;
            assert_eq!(answer.status, 200, "{}", answer.body);
            xml_all(&answer.body, "Body")
        }
    };
    assert_eq!(receive("3").await, ["g1-m1", "g1-m2", "g2-m1"]);
    assert_eq!(
        receive("10").await,
        ["g3-m1", "g1-m1", "g1-m2", "g2-m1", "g2-m2"]
    );
}

#[tokio::test]
async fn a_served_group_rejoins_the_line_when_its_timeout_ends() {
    let (server, sqs, url) = start_with_fifo("shared.fifo").await;
    for body in ["g1-m1", "g1-m2", "g1-m3", "g1-m4", "g2-m1", "g3-m1"] {
        send(&sqs, &url, body).await;
    }
    assert_eq!(
        bodies(&receive(&sqs, &url, 2, None).await),
        ["g1-m1", "g1-m2"]
    );
    // g1 is locked from g1-m1 on; g2 is next in line.
    assert_eq!(bodies(&receive(&sqs, &url, 1, None).await), ["g2-m1"]);
    server.advance_clock(Duration::from_secs(31));
    assert_eq!(
        bodies(&receive(&sqs, &url, 10, Some(0)).await),
        ["g3-m1", "g1-m1", "g1-m2", "g1-m3", "g1-m4", "g2-m1"]
    );
}

/// A FIFO queue with g1-m1, g1-m2 and g2-m1 sent and a receive of two: g1's two messages
/// are in flight.
async fn group_one_in_flight(name: &str) -> (LocalServer, Client, String, Vec<Message>) {
    let (server, sqs, url) = start_with_fifo(name).await;
    for body in ["g1-m1", "g1-m2", "g2-m1"] {
        send(&sqs, &url, body).await;
    }
    let held = receive(&sqs, &url, 2, None).await;
    (server, sqs, url, held)
}

#[tokio::test]
async fn a_group_stays_locked_from_its_first_in_flight_message_on() {
    let (_server, sqs, url, held) = group_one_in_flight("lock.fifo").await;
    assert_eq!(bodies(&held), ["g1-m1", "g1-m2"]);
    // Making the second of two in-flight messages visible does not unlock the group: g1-m1
    // is still in flight ahead of it.
    set_visibility(&sqs, &url, &held[1], 0).await;
    assert_eq!(bodies(&receive(&sqs, &url, 10, Some(0)).await), ["g2-m1"]);
    // Once g1-m1 is deleted, g1-m2 (visible again) is free, behind g2 (served before the
    // delete touched g1).
    delete(&sqs, &url, &held[0]).await;
    assert_eq!(
        bodies(&receive(&sqs, &url, 10, None).await),
        ["g2-m1", "g1-m2"]
    );
}

#[tokio::test]
async fn terminating_the_first_in_flight_message_returns_it_behind_the_waiting_group() {
    let (_server, sqs, url, held) = group_one_in_flight("terminate.fifo").await;
    assert_eq!(bodies(&held), ["g1-m1", "g1-m2"]);
    set_visibility(&sqs, &url, &held[0], 0).await;
    // As recorded on SQS: g1-m1 comes back, behind g2 (g1 was served); g1-m2, still in
    // flight, does not.
    assert_eq!(
        bodies(&receive(&sqs, &url, 3, None).await),
        ["g2-m1", "g1-m1"]
    );
}

#[tokio::test]
async fn a_partial_delete_keeps_the_group_locked() {
    let (_server, sqs, url) = start_with_fifo("partial.fifo").await;
    for body in [
        "g1-m1", "g2-m1", "g1-m2", "g2-m2", "g1-m3", "g1-m4", "g3-m1",
    ] {
        send(&sqs, &url, body).await;
    }
    let held = receive(&sqs, &url, 2, None).await;
    assert_eq!(bodies(&held), ["g1-m1", "g1-m2"]);
    delete(&sqs, &url, &held[0]).await;
    assert_eq!(
        bodies(&receive(&sqs, &url, 10, None).await),
        ["g2-m1", "g2-m2", "g3-m1"]
    );
    delete(&sqs, &url, &held[1]).await;
    assert_eq!(
        bodies(&receive(&sqs, &url, 10, None).await),
        ["g1-m3", "g1-m4"]
    );
}

/// Three long polls (10 s, one message each) wait on `url`; returns a receiver of their answers.
fn three_long_polls(sqs: &Client, url: &str) -> UnboundedReceiver<Vec<Message>> {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    for _ in 0..3 {
        let (sqs, url, tx) = (sqs.clone(), url.to_string(), tx.clone());
        tokio::spawn(async move {
            let answer = sqs
                .receive_message()
                .queue_url(&url)
                .wait_time_seconds(10)
                .send()
                .await
                .expect("long poll");
            let _ = tx.send(answer.messages.unwrap_or_default());
        });
    }
    rx
}

/// Waits for the next long poll to answer; the polls wait 10 s, so an answer within 5 s means
/// one was woken rather than reaching its end.
async fn next_answer(rx: &mut UnboundedReceiver<Vec<Message>>) -> Vec<Message> {
    tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("a waiting long poll answers before its wait ends")
        .expect("answer")
}

/// With three long polls waiting: g1-m1 is sent and one poll takes it; g1-m2 is sent and,
/// rightly, nobody gets it while g1-m1 is in flight. Returns g1-m1 as received.
async fn second_message_locked(
    sqs: &Client,
    url: &str,
    rx: &mut UnboundedReceiver<Vec<Message>>,
) -> Message {
    // Let the polls reach the server and start waiting.
    tokio::time::sleep(Duration::from_millis(200)).await;
    send(sqs, url, "g1-m1").await;
    let first = next_answer(rx).await;
    assert_eq!(bodies(&first), ["g1-m1"]);
    send(sqs, url, "g1-m2").await;
    assert!(
        tokio::time::timeout(Duration::from_millis(300), rx.recv())
            .await
            .is_err()
    );
    first.into_iter().next().expect("g1-m1")
}

#[tokio::test]
async fn a_delete_that_unlocks_a_group_wakes_the_waiting_long_polls() {
    let (_server, sqs, url) = start_with_fifo("wake-delete.fifo").await;
    let mut rx = three_long_polls(&sqs, &url);
    let first = second_message_locked(&sqs, &url, &mut rx).await;
    delete(&sqs, &url, &first).await;
    assert_eq!(bodies(&next_answer(&mut rx).await), ["g1-m2"]);
}

#[tokio::test]
async fn a_visibility_change_that_unlocks_a_group_wakes_the_waiting_long_polls() {
    let (_server, sqs, url) = start_with_fifo("wake-change.fifo").await;
    let mut rx = three_long_polls(&sqs, &url);
    let first = second_message_locked(&sqs, &url, &mut rx).await;
    set_visibility(&sqs, &url, &first, 0).await;
    assert_eq!(bodies(&next_answer(&mut rx).await), ["g1-m1"]);
}

#[tokio::test]
async fn a_visibility_timeout_ending_wakes_the_waiting_long_polls() {
    let (_server, sqs, url) = start_with_fifo("wake-expiry.fifo").await;
    set_attributes(&sqs, &url, &[(QueueAttributeName::VisibilityTimeout, "1")]).await;
    let mut rx = three_long_polls(&sqs, &url);
    let _first = second_message_locked(&sqs, &url, &mut rx).await;
    // After one second g1-m1 is visible again (no request touches the queue) and a waiting
    // poll gets it.
    assert_eq!(bodies(&next_answer(&mut rx).await), ["g1-m1"]);
}
