//! `queue redrive`: moves the messages of a dead-letter queue back to the queues they came
//! from (or to `--to QUEUE`) with a message move task, as the console's "Start DLQ redrive"
//! does, and follows it with a progress bar until it ends.
//!
//! The same calls run against `queue serve` and AWS (StartMessageMoveTask, then
//! ListMessageMoveTasks until the task ends); Ctrl-C cancels the task (CancelMessageMoveTask).

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Result;
use aws_sdk_sqs::error::ProvideErrorMetadata;
use aws_sdk_sqs::types::{ListMessageMoveTasksResultEntry, QueueAttributeName};
use indicatif::{ProgressBar, ProgressStyle};
use tokio_util::sync::CancellationToken;

use crate::cli::RedriveArgs;
use crate::config::Config;
use crate::exit::{self, Friendly};
use crate::sqs::{QueueInfo, Sqs};

/// How often the task is asked how far it got, against `queue serve`.
pub const LOCAL_POLL: Duration = Duration::from_millis(200);
/// How often against AWS (ListMessageMoveTasks is a control-plane call).
pub const AWS_POLL: Duration = Duration::from_secs(1);
/// How long a cancelled task may take to say it stopped before we stop asking.
pub const CANCEL_WAIT: Duration = Duration::from_secs(10);

/// A queue the redrive names: its name and ARN.
#[derive(Debug, Clone)]
struct Named {
    name: String,
    arn: String,
}

/// Where a task is, as ListMessageMoveTasks tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// `RUNNING`, `COMPLETED`, `CANCELLING`, `CANCELLED` or `FAILED`.
    pub status: String,
    /// ApproximateNumberOfMessagesMoved.
    pub moved: u64,
    /// ApproximateNumberOfMessagesToMove.
    pub total: u64,
    /// FailureReason, when failed.
    pub failure: Option<String>,
}

impl Progress {
    fn from_entry(entry: &ListMessageMoveTasksResultEntry) -> Self {
        Self {
            status: entry.status().unwrap_or_default().to_string(),
            moved: u64::try_from(entry.approximate_number_of_messages_moved()).unwrap_or(0),
            total: entry
                .approximate_number_of_messages_to_move()
                .and_then(|n| u64::try_from(n).ok())
                .unwrap_or(0),
            failure: entry.failure_reason().map(str::to_string),
        }
    }

    /// Whether the task has ended.
    #[must_use]
    pub fn is_over(&self) -> bool {
        !matches!(self.status.as_str(), "RUNNING" | "CANCELLING")
    }
}

/// The final line for a task that ended, or the failure to report.
///
/// # Errors
/// The task failed or was cancelled by someone else.
pub fn outcome(
    progress: &Progress,
    from: &str,
    to: &str,
    elapsed: Duration,
) -> Result<String, Friendly> {
    let moved = format!("{} of {}", progress.moved, progress.total);
    match progress.status.as_str() {
        "COMPLETED" if progress.total == 0 && progress.moved == 0 => {
            Ok(format!("nothing to move: {from} has no visible messages"))
        }
        "COMPLETED" => Ok(format!(
            "moved {moved} messages from {from} to {to} in {:.1}s",
            elapsed.as_secs_f64()
        )),
        "CANCELLED" => Err(Friendly::new(
            format!("the redrive of {from} was cancelled after {moved} messages"),
            "someone cancelled the move task (console, CLI or another queue redrive); run queue redrive again to move the rest",
        )),
        status => {
            let reason = progress.failure.as_deref().unwrap_or("no reason given");
            let hint = if reason.contains("NonExistentQueue") {
                "a destination queue no longer exists: create it again, or choose one with --to QUEUE"
            } else {
                "check the queues' permissions and settings, then run queue redrive again to move the rest"
            };
            let ended = if status == "FAILED" {
                "failed".to_string()
            } else {
                format!("ended ({status})")
            };
            Err(Friendly::new(
                format!("the redrive of {from} {ended} after {moved} messages: {reason}"),
                hint,
            ))
        }
    }
}

/// The bar: moved of total on stderr. indicatif hides it when stderr is not a terminal.
fn bar(total: u64) -> ProgressBar {
    let bar = ProgressBar::new(total);
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} moved {pos}/{len} [{bar:30}] {per_sec:>12} {elapsed_precise}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

/// A queue's name and ARN, by name or URL.
async fn named(sqs: &Sqs, name_or_url: &str) -> Result<Named> {
    let QueueInfo { url, name, .. } = sqs.queue(name_or_url).await?;
    let answer = sqs
        .client
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|error| sqs.friendly(&error, Some(&name)))?;
    let arn = answer
        .attributes
        .and_then(|mut attributes| attributes.remove(&QueueAttributeName::QueueArn))
        .ok_or_else(|| {
            Friendly::new(
                format!("{name} has no QueueArn attribute"),
                "the endpoint does not look like SQS; check --endpoint-url",
            )
        })?;
    Ok(Named { name, arn })
}

/// Starts the task; SQS's refusals become one line and a hint.
async fn start(sqs: &Sqs, source: &Named, to: Option<&Named>, rate: Option<u32>) -> Result<String> {
    let answer = sqs
        .client
        .start_message_move_task()
        .source_arn(&source.arn)
        .set_destination_arn(to.map(|to| to.arn.clone()))
        .set_max_number_of_messages_per_second(rate.and_then(|r| i32::try_from(r).ok()))
        .send()
        .await;
    match answer {
        Ok(output) => Ok(output.task_handle.unwrap_or_default()),
        Err(error) => {
            let message = error.message().unwrap_or_default().to_string();
            let name = &source.name;
            let friendly = if message.contains("Dead Letter Queue") {
                Friendly::new(
                    format!(
                        "{name} is not a dead-letter queue: no queue's RedrivePolicy points at it"
                    ),
                    format!(
                        "redrive moves messages out of a DLQ; give the source queue a RedrivePolicy with deadLetterTargetArn {}, or check --name",
                        source.arn
                    ),
                )
            } else if message.contains("already a task running") {
                Friendly::new(
                    format!("a redrive of {name} is already running"),
                    "SQS runs one move task per queue at a time: wait for it to end, or cancel it in the console",
                )
            } else if error.code() == Some("ResourceNotFoundException") {
                Friendly::new(
                    format!("SQS says a queue of this redrive does not exist: {message}"),
                    "check --name and --to (and --region)",
                )
            } else {
                sqs.friendly(&error, Some(name))
            };
            Err(friendly.into())
        }
    }
}

/// The source's most recent task (ours: SQS runs one at a time per source).
async fn latest(sqs: &Sqs, source: &Named) -> Result<Option<Progress>> {
    let answer = sqs
        .client
        .list_message_move_tasks()
        .source_arn(&source.arn)
        .max_results(1)
        .send()
        .await
        .map_err(|error| sqs.friendly(&error, Some(&source.name)))?;
    Ok(answer.results().first().map(Progress::from_entry))
}

/// Follows the task until it ends or `cancel` fires; returns the last progress seen.
async fn follow(
    sqs: &Sqs,
    source: &Named,
    poll: Duration,
    bar: &ProgressBar,
    cancel: &CancellationToken,
) -> Result<Option<Progress>> {
    let mut last = None;
    loop {
        if let Some(progress) = latest(sqs, source).await? {
            bar.set_length(progress.total.max(progress.moved));
            bar.set_position(progress.moved);
            let over = progress.is_over();
            last = Some(progress);
            if over {
                return Ok(last);
            }
        }
        tokio::select! {
            () = tokio::time::sleep(poll) => {}
            () = cancel.cancelled() => return Ok(last),
        }
    }
}

/// Cancels the task and waits (briefly) until SQS says it stopped.
async fn cancel_task(
    sqs: &Sqs,
    source: &Named,
    handle: &str,
    poll: Duration,
) -> Result<Option<Progress>> {
    let answer = sqs
        .client
        .cancel_message_move_task()
        .task_handle(handle)
        .send()
        .await;
    if let Err(error) = answer {
        // The task may have ended on its own meanwhile: then there is nothing to cancel.
        let ended = latest(sqs, source).await?.filter(Progress::is_over);
        if ended.is_some() {
            return Ok(ended);
        }
        return Err(sqs.friendly(&error, Some(&source.name)).into());
    }
    let deadline = Instant::now() + CANCEL_WAIT;
    loop {
        let progress = latest(sqs, source).await?;
        if progress.as_ref().is_none_or(Progress::is_over) || Instant::now() >= deadline {
            return Ok(progress);
        }
        tokio::time::sleep(poll).await;
    }
}

/// `queue redrive`.
///
/// The banner, the progress bar and the final line go to stderr; stdout stays empty.
///
/// # Errors
/// A queue that does not exist or is not a DLQ, a task that fails, or any SDK error, as one
/// line and a hint.
pub async fn run(args: RedriveArgs, config: &Config) -> Result<ExitCode> {
    // Listen for Ctrl-C before the task exists, so an interrupt never leaves it running
    // unannounced.
    let cancel = CancellationToken::new();
    let signals = exit::cancel_on_interrupt(cancel.clone());
    let result = redrive(&args, config, &cancel).await;
    cancel.cancel();
    let interrupted = signals.await.unwrap_or(false);
    match result? {
        Ended::Done(line) => {
            exit::note(line);
            Ok(ExitCode::SUCCESS)
        }
        Ended::Interrupted(line) => {
            exit::note(line);
            Ok(ExitCode::from(exit::INTERRUPTED))
        }
        Ended::BeforeStart if interrupted => {
            exit::note("interrupted: no redrive was started");
            Ok(ExitCode::from(exit::INTERRUPTED))
        }
        Ended::BeforeStart => Ok(ExitCode::SUCCESS),
    }
}

/// How a redrive ended, for [`run`] to report.
enum Ended {
    /// The task completed: the final line.
    Done(String),
    /// Ctrl-C cancelled the task: the line saying so.
    Interrupted(String),
    /// Ctrl-C came before the task was started.
    BeforeStart,
}

async fn redrive(args: &RedriveArgs, config: &Config, cancel: &CancellationToken) -> Result<Ended> {
    let sqs = crate::sqs::connect(config).await?;
    let source = named(&sqs, &args.name).await?;
    let to = match &args.to {
        Some(to) => Some(named(&sqs, to).await?),
        None => None,
    };
    if cancel.is_cancelled() {
        return Ok(Ended::BeforeStart);
    }
    let to_words = to
        .as_ref()
        .map_or_else(|| "their source queues".to_string(), |to| to.name.clone());
    let handle = start(&sqs, &source, to.as_ref(), args.rate).await?;
    if config.banner {
        exit::note(format_args!(
            "redriving {} to {to_words}{} at {}, region {}",
            source.name,
            args.rate
                .map(|rate| format!(" at up to {rate} msg/s"))
                .unwrap_or_default(),
            sqs.endpoint(),
            sqs.region()
        ));
    }
    let poll = if sqs.context.local_endpoint {
        LOCAL_POLL
    } else {
        AWS_POLL
    };
    let started = Instant::now();
    let bar = bar(0);
    let followed = follow(&sqs, &source, poll, &bar, cancel).await;
    bar.finish_and_clear();
    if cancel.is_cancelled() {
        let progress = cancel_task(&sqs, &source, &handle, poll).await?;
        let (moved, total) = progress.as_ref().map_or((0, 0), |p| (p.moved, p.total));
        return Ok(Ended::Interrupted(format!(
            "interrupted: redrive cancelled after {moved} of {total} messages; the rest stay in {}",
            source.name
        )));
    }
    let Some(progress) = followed? else {
        return Err(Friendly::new(
            format!(
                "the move task for {} does not show in ListMessageMoveTasks",
                source.name
            ),
            "the endpoint started the task but does not list it; check --endpoint-url",
        )
        .into());
    };
    Ok(Ended::Done(outcome(
        &progress,
        &source.name,
        &to_words,
        started.elapsed(),
    )?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn progress(status: &str, moved: u64, total: u64, failure: Option<&str>) -> Progress {
        Progress {
            status: status.into(),
            moved,
            total,
            failure: failure.map(str::to_string),
        }
    }

    #[test]
    fn running_and_cancelling_tasks_are_not_over() {
        assert!(!progress("RUNNING", 1, 2, None).is_over());
        assert!(!progress("CANCELLING", 1, 2, None).is_over());
        for status in ["COMPLETED", "CANCELLED", "FAILED"] {
            assert!(progress(status, 1, 2, None).is_over(), "{status}");
        }
    }

    #[test]
    fn outcomes_are_one_line_with_a_hint_on_failure() {
        let second = Duration::from_secs(1);
        assert_eq!(
            outcome(
                &progress("COMPLETED", 3, 3, None),
                "dlq",
                "their source queues",
                second
            )
            .unwrap(),
            "moved 3 of 3 messages from dlq to their source queues in 1.0s"
        );
        assert!(
            outcome(&progress("COMPLETED", 0, 0, None), "dlq", "q", second)
                .unwrap()
                .starts_with("nothing to move")
        );
        let failed = outcome(
            &progress(
                "FAILED",
                1,
                3,
                Some("AWS.SimpleQueueService.NonExistentQueue"),
            ),
            "dlq",
            "q",
            second,
        )
        .unwrap_err();
        assert!(failed.message.contains("failed after 1 of 3"), "{failed}");
        assert!(failed.hint.unwrap().contains("--to QUEUE"));
        let cancelled =
            outcome(&progress("CANCELLED", 1, 3, None), "dlq", "q", second).unwrap_err();
        assert!(
            cancelled.message.contains("cancelled after 1 of 3"),
            "{cancelled}"
        );
    }
}
