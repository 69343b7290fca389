//! The receiver: long-polls, hands each batch to a presenter, and deletes only what the
//! presenter says it has shown. Presenters: the live [`view`] in a terminal, plain lines or
//! JSON lines otherwise ([`present`], [`format`]).
//!
//! No message is lost on any exit path: a message is deleted only after the presenter
//! confirmed it; the rest are made visible again at once (`ChangeMessageVisibility` 0). A
//! receive call in flight when the run stops gets a moment to answer and its messages are
//! released too; only one that answers later than that leaves them invisible until their
//! visibility timeout ends (they are never deleted).

pub mod delivery;
pub mod format;
pub mod present;
#[cfg(test)]
mod test_queue;
pub mod view;

use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use anyhow::Result;
use aws_sdk_sqs::types::{
    ChangeMessageVisibilityBatchRequestEntry, DeleteMessageBatchRequestEntry,
    MessageSystemAttributeName,
};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::cli::{OutputMode, ReceiveArgs};
use crate::config::Config;
use crate::exit;
use crate::message::Delivery;
use crate::sqs::errors;
use crate::sqs::{QueueInfo, Sqs};
use present::LineFormat;
use view::{ViewHeader, ViewOptions};

/// Consecutive failed receive calls (retryable ones) before giving up.
pub const MAX_RECEIVE_FAILURES: u32 = 5;
/// Pause after a failed receive call; doubles each time.
pub const RECEIVE_BACKOFF: Duration = Duration::from_millis(200);
/// How long a receive call in flight may still answer after the presenter stopped (its
/// messages are then made visible again instead of staying hidden).
pub const IN_FLIGHT_GRACE: Duration = Duration::from_millis(500);
/// Attempts to delete a batch whose entries keep failing with a retryable error.
pub const DELETE_ATTEMPTS: u32 = 3;

/// How to poll.
#[derive(Debug, Clone, Copy)]
pub struct ReceiveOptions {
    /// WaitTimeSeconds (1..=20).
    pub wait: i32,
    /// MaxNumberOfMessages (1..=10).
    pub max: i32,
}

/// When a presenter stops by itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct Limits {
    /// After this many messages.
    pub count: Option<u64>,
    /// After this long without a message.
    pub idle: Option<Duration>,
}

/// One ReceiveMessage answer, handed to a presenter.
///
/// The presenter answers on `shown` with how many of `deliveries` (from the front) it has
/// shown or written; only those are deleted. The rest are released at once (made visible
/// again with `ChangeMessageVisibility` 0), not left hidden; dropping `shown` releases them
/// all and deletes nothing.
#[derive(Debug)]
pub struct Batch {
    /// The messages, in the order SQS returned them.
    pub deliveries: Vec<Delivery>,
    /// How many were shown.
    pub shown: oneshot::Sender<usize>,
}

/// Polls until `cancel` fires or `batches` is closed; deletes what presenters confirm.
///
/// Messages the presenter did not confirm (or that could not be handed over) are made
/// visible again at once.
///
/// # Errors
/// An SDK error that retrying cannot fix (queue deleted, credentials expired).
pub async fn receive_loop(
    sqs: &Sqs,
    queue: &QueueInfo,
    options: ReceiveOptions,
    batches: mpsc::Sender<Batch>,
    cancel: CancellationToken,
) -> Result<()> {
    let mut failures = 0;
    loop {
        if cancel.is_cancelled() || batches.is_closed() {
            return Ok(());
        }
        // Take nothing from SQS until the presenter has room for it (a paused view holds
        // no messages of ours beyond the one batch it has not read yet).
        let permit = tokio::select! {
            () = cancel.cancelled() => return Ok(()),
            permit = batches.reserve() => match permit {
                Ok(permit) => permit,
                Err(_) => return Ok(()),
            },
        };
        let request = sqs
            .client
            .receive_message()
            .queue_url(&queue.url)
            .max_number_of_messages(options.max)
            .wait_time_seconds(options.wait)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .message_attribute_names("All")
            .send();
        tokio::pin!(request);
        let answer = tokio::select! {
            () = cancel.cancelled() => return release_in_flight(sqs, queue, request).await,
            () = batches.closed() => return release_in_flight(sqs, queue, request).await,
            answer = &mut request => answer,
        };
        let messages = match answer {
            Ok(output) => {
                failures = 0;
                output.messages.unwrap_or_default()
            }
            Err(error) => {
                let problem = errors::classify(&error);
                if problem.is_retryable() && failures < MAX_RECEIVE_FAILURES {
                    let pause = RECEIVE_BACKOFF.saturating_mul(1 << failures);
                    failures += 1;
                    tokio::select! {
                        () = cancel.cancelled() => return Ok(()),
                        () = tokio::time::sleep(pause) => continue,
                    }
                }
                return Err(errors::describe(&problem, &sqs.context, Some(&queue.name)).into());
            }
        };
        if messages.is_empty() {
            continue;
        }
        let received_at = SystemTime::now();
        let deliveries: Vec<Delivery> = messages
            .iter()
            .map(|message| delivery::from_message(message, received_at))
            .collect();
        let handles: Vec<String> = deliveries
            .iter()
            .map(|delivery| delivery.receipt_handle.clone())
            .collect();
        let (shown_tx, shown_rx) = oneshot::channel();
        let batch = Batch {
            deliveries,
            shown: shown_tx,
        };
        permit.send(batch);
        let shown = shown_rx.await.unwrap_or(0).min(handles.len());
        let deleted = delete(sqs, queue, &handles[..shown]).await;
        release(sqs, queue, &handles[shown..]).await;
        deleted?;
    }
}

/// Stopping with a receive call in flight: gives it [`IN_FLIGHT_GRACE`] to answer and makes
/// what it returns visible again at once, so those messages do not stay hidden for their
/// whole visibility timeout. A long poll on an empty queue is simply dropped.
async fn release_in_flight<F, E>(
    sqs: &Sqs,
    queue: &QueueInfo,
    request: std::pin::Pin<&mut F>,
) -> Result<()>
where
    F: std::future::Future<
            Output = Result<aws_sdk_sqs::operation::receive_message::ReceiveMessageOutput, E>,
        >,
{
    if let Ok(Ok(output)) = tokio::time::timeout(IN_FLIGHT_GRACE, request).await {
        let handles: Vec<String> = output
            .messages
            .unwrap_or_default()
            .into_iter()
            .filter_map(|message| message.receipt_handle)
            .collect();
        release(sqs, queue, &handles).await;
    }
    Ok(())
}

/// Deletes these receipt handles in batches of 10, retrying retryable failures a few times.
/// Entries that still fail are left: SQS delivers them again (shown as duplicates).
async fn delete(sqs: &Sqs, queue: &QueueInfo, handles: &[String]) -> Result<()> {
    for (chunk_index, chunk) in handles.chunks(10).enumerate() {
        let mut pending: Vec<(String, &String)> = chunk
            .iter()
            .enumerate()
            .map(|(i, handle)| (format!("d{chunk_index}_{i}"), handle))
            .collect();
        for attempt in 0..DELETE_ATTEMPTS {
            if pending.is_empty() {
                break;
            }
            if attempt > 0 {
                tokio::time::sleep(RECEIVE_BACKOFF.saturating_mul(1 << (attempt - 1)) / 2).await;
            }
            let entries = pending
                .iter()
                .map(|(id, handle)| {
                    DeleteMessageBatchRequestEntry::builder()
                        .id(id)
                        .receipt_handle(*handle)
                        .build()
                })
                .collect::<Result<Vec<_>, _>>()?;
            match sqs
                .client
                .delete_message_batch()
                .queue_url(&queue.url)
                .set_entries(Some(entries))
                .send()
                .await
            {
                Ok(output) => {
                    let retry: Vec<&str> = output
                        .failed()
                        .iter()
                        .filter(|failed| {
                            !failed.sender_fault()
                                || errors::problem_from_code(
                                    Some(failed.code()),
                                    failed.message(),
                                    400,
                                )
                                .is_retryable()
                        })
                        .map(|failed| failed.id())
                        .collect();
                    pending.retain(|(id, _)| retry.contains(&id.as_str()));
                }
                Err(error) => {
                    let problem = errors::classify(&error);
                    if !problem.is_retryable() {
                        return Err(
                            errors::describe(&problem, &sqs.context, Some(&queue.name)).into()
                        );
                    }
                }
            }
        }
    }
    Ok(())
}

/// Makes these messages visible again at once (best effort: otherwise they return after
/// their visibility timeout).
async fn release(sqs: &Sqs, queue: &QueueInfo, handles: &[String]) {
    for chunk in handles.chunks(10) {
        let entries: Result<Vec<_>, _> = chunk
            .iter()
            .enumerate()
            .map(|(i, handle)| {
                ChangeMessageVisibilityBatchRequestEntry::builder()
                    .id(format!("v{i}"))
                    .receipt_handle(handle)
                    .visibility_timeout(0)
                    .build()
            })
            .collect();
        let Ok(entries) = entries else { continue };
        let _ = sqs
            .client
            .change_message_visibility_batch()
            .queue_url(&queue.url)
            .set_entries(Some(entries))
            .send()
            .await;
    }
}

/// `queue receive` (and the original form with `--receive`).
///
/// Data goes to stdout (one line per message, flushed); the banner and the closing figures go
/// to stderr.
///
/// # Errors
/// See [`receive_loop`].
pub async fn run(args: ReceiveArgs, config: &Config) -> Result<ExitCode> {
    let sqs = crate::sqs::connect(config).await?;
    let queue = sqs.queue(&args.name).await?;
    let output = args.output.unwrap_or(config.default_output);
    let limits = Limits {
        count: args.count,
        idle: args.idle.map(Duration::from_secs),
    };
    let options = ReceiveOptions {
        wait: args.wait,
        max: args.max,
    };
    if config.banner && output != OutputMode::Tui {
        exit::note(format_args!(
            "receiving from {} ({}) at {}, region {}; Ctrl-C to stop",
            queue.name,
            if queue.fifo { "FIFO" } else { "standard" },
            sqs.endpoint(),
            sqs.region()
        ));
    }

    let cancel = CancellationToken::new();
    let signals = exit::cancel_on_interrupt(cancel.clone());
    let (batches_tx, batches_rx) = mpsc::channel(1);
    let receiver = tokio::spawn({
        let sqs = sqs.clone();
        let queue = queue.clone();
        let cancel = cancel.clone();
        async move { receive_loop(&sqs, &queue, options, batches_tx, cancel).await }
    });

    let presented = match output {
        OutputMode::Tui => {
            let header = ViewHeader {
                queue: queue.name.clone(),
                fifo: queue.fifo,
                endpoint: sqs.endpoint().to_string(),
                region: sqs.region().to_string(),
            };
            let options = ViewOptions {
                color: config.color,
                offset: config.local_offset,
            };
            view::run(header, options, batches_rx, limits, cancel.clone()).await
        }
        OutputMode::Plain | OutputMode::Json => {
            let line_format = if output == OutputMode::Json {
                LineFormat::Json
            } else {
                LineFormat::Plain {
                    color: config.color,
                    offset: config.local_offset,
                }
            };
            let mut stdout = std::io::stdout();
            present::present(batches_rx, limits, cancel.clone(), &mut stdout, line_format)
                .await
                .map(|stats| {
                    if config.banner {
                        exit::note(format_args!(
                            "received {} ({} unique, {} duplicates, {} out of order)",
                            stats.received, stats.unique, stats.duplicates, stats.out_of_order
                        ));
                    }
                    ExitCode::SUCCESS
                })
        }
    };
    cancel.cancel();
    let received = receiver.await;
    let interrupted = signals.await.unwrap_or(false);
    let code = presented?;
    match received {
        Ok(result) => result?,
        Err(join) => return Err(anyhow::anyhow!("the receiver stopped unexpectedly: {join}")),
    }
    if interrupted {
        return Ok(ExitCode::from(exit::INTERRUPTED));
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::send::SendPlan;
    use crate::server::{LocalServer, ServeOptions};

    async fn setup(count: u64) -> (LocalServer, Sqs, QueueInfo) {
        let options = ServeOptions {
            ordered: true,
            duplicate_rate: 0.0,
            ..ServeOptions::default()
        };
        let plan = SendPlan::for_tests("c", count, "");
        let (server, sqs, queue, report) =
            test_queue::filled(options, "csse6400_prac", &plan).await;
        assert_eq!(report.sent, count);
        (server, sqs, queue)
    }

    /// How many messages one receive call gets back now (up to 10).
    async fn visible(sqs: &Sqs, queue: &QueueInfo) -> usize {
        let answer = sqs
            .client
            .receive_message()
            .queue_url(&queue.url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        answer.messages.unwrap_or_default().len()
    }

    #[tokio::test]
    async fn only_confirmed_messages_are_deleted_and_the_rest_return_at_once() {
        let (_server, sqs, queue) = setup(10).await;
        let (mut rx, cancel, receiver) = test_queue::spawn_receiver(&sqs, &queue);
        let first = rx.recv().await.unwrap();
        let mut seen: Vec<u64> = first
            .deliveries
            .iter()
            .take(3)
            .filter_map(|d| d.parsed.number)
            .collect();
        first.shown.send(3).unwrap();
        // The unconfirmed ones come back well before their 30 s visibility timeout.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while seen.len() < 10 {
            let batch = tokio::time::timeout_at(deadline, rx.recv())
                .await
                .expect("released messages return at once")
                .unwrap();
            seen.extend(batch.deliveries.iter().filter_map(|d| d.parsed.number));
            let n = batch.deliveries.len();
            batch.shown.send(n).unwrap();
        }
        seen.sort_unstable();
        assert_eq!(seen, (0..10).collect::<Vec<_>>());
        cancel.cancel();
        receiver.await.unwrap().unwrap();
        assert_eq!(visible(&sqs, &queue).await, 0, "all confirmed, all deleted");
    }

    #[tokio::test]
    async fn stopping_during_a_receive_call_hides_nothing() {
        let server = LocalServer::start(ServeOptions {
            ordered: true,
            duplicate_rate: 0.0,
            latency: Duration::from_millis(300),
            ..ServeOptions::default()
        })
        .await
        .unwrap();
        let sqs = crate::sqs::connect_local(&server.endpoint(), "us-east-1");
        let queue = sqs.queue("csse6400_prac").await.unwrap();
        for i in 0..5 {
            let body = format!("Message {i}");
            let sent = sqs
                .client
                .send_message()
                .queue_url(&queue.url)
                .message_body(body);
            sent.send().await.unwrap();
        }
        let (_rx, cancel, receiver) = test_queue::spawn_receiver(&sqs, &queue);
        // The server has taken the messages and is still answering (latency) when we stop.
        tokio::time::sleep(Duration::from_millis(100)).await;
        cancel.cancel();
        receiver.await.unwrap().unwrap();
        assert_eq!(visible(&sqs, &queue).await, 5, "none left invisible");
    }

    #[tokio::test]
    async fn a_dropped_confirmation_deletes_nothing() {
        let (_server, sqs, queue) = setup(4).await;
        let (mut rx, _cancel, receiver) = test_queue::spawn_receiver(&sqs, &queue);
        let batch = rx.recv().await.unwrap();
        assert_eq!(batch.deliveries.len(), 4);
        drop(batch);
        drop(rx);
        receiver.await.unwrap().unwrap();
        assert_eq!(visible(&sqs, &queue).await, 4, "nothing lost");
    }
}
