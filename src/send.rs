//! The sender: numbered messages in batches (or one by one), FIFO group and deduplication,
//! retries of failed entries, and the progress bar, to a queue (`queue send`) or a topic
//! (`queue publish`, [`topic`]): a [`Destination`].
//!
//! Batches go one request at a time, in order, unless `--parallel N` lets N requests of a
//! standard queue overtake each other (faster, but the receiver then sees the sender's
//! reordering, not the queue's); FIFO queues always get one request at a time, in order, so a
//! group keeps its order. Entries SQS reports as failed (and
//! whole requests that fail with a retryable error) are sent again with backoff, failed entries
//! before anything later. A message counts as sent only once SQS accepted it.

mod progress;
mod topic;

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use anyhow::Result;
use aws_sdk_sqs::types::{MessageAttributeValue, SendMessageBatchRequestEntry};
use futures::{StreamExt, TryStreamExt};
use tokio_util::sync::CancellationToken;

use crate::cli::{DedupMode, MessageArgs, SendArgs};
use crate::config::Config;
use crate::exit::{self, Friendly};
use crate::message::{self, CLIENT_ATTRIBUTE, RUN_ATTRIBUTE, SENT_AT_ATTRIBUTE};
use crate::rules::content_dedup_id;
use crate::sns::{Sns, TopicInfo};
use crate::sqs::errors::{self, ErrorContext, Problem};
use crate::sqs::{QueueInfo, Sqs};

/// Entries per `SendMessageBatch` (the SQS maximum).
pub const BATCH_SIZE: usize = 10;
/// Rounds of sending one entry before giving up on it (the SDK also retries each request).
pub const MAX_ROUNDS: u32 = 8;
/// First pause before re-sending failed entries; doubles each round.
pub const RETRY_BACKOFF: Duration = Duration::from_millis(50);
/// Longest pause between rounds.
pub const MAX_RETRY_BACKOFF: Duration = Duration::from_secs(2);

/// What to send.
#[derive(Debug, Clone)]
pub struct SendPlan {
    /// The `client` attribute.
    pub client_name: String,
    /// Messages `0..count`.
    pub count: u64,
    /// Body prefix.
    pub prepend: String,
    /// FIFO group id.
    pub group: String,
    /// FIFO deduplication id choice.
    pub dedup: DedupMode,
    /// One request per message.
    pub one_by_one: bool,
    /// Messages per second, if paced.
    pub rate: Option<f64>,
    /// Requests at once on a standard queue (`--parallel`, 1 by default). FIFO queues and
    /// `one_by_one` always send one request at a time, in order.
    pub in_flight: usize,
}

#[cfg(test)]
impl SendPlan {
    /// For the tests: `count` messages from `client_name` with bodies after `prepend`, group
    /// `g`, automatic deduplication ids, batched, unpaced, `--parallel`'s default.
    pub(crate) fn for_tests(client_name: &str, count: u64, prepend: &str) -> Self {
        Self {
            client_name: client_name.into(),
            count,
            prepend: prepend.into(),
            group: "g".into(),
            dedup: DedupMode::Auto,
            one_by_one: false,
            rate: None,
            in_flight: usize::from(crate::cli::defaults::PARALLEL),
        }
    }
}

impl From<&MessageArgs> for SendPlan {
    fn from(args: &MessageArgs) -> Self {
        Self {
            client_name: args.client_name.clone(),
            count: u64::from(args.count),
            prepend: args.prepend.clone(),
            group: args.group.clone(),
            dedup: args.dedup_id,
            one_by_one: args.one_by_one,
            rate: args.rate,
            in_flight: usize::from(args.parallel),
        }
    }
}

/// What happened.
#[derive(Debug, Clone, Default)]
pub struct SendReport {
    /// Messages SQS accepted.
    pub sent: u64,
    /// Wall time.
    pub elapsed: Duration,
    /// Message numbers never accepted, with the last error for each.
    pub failed: Vec<(u64, String)>,
}

/// Where the messages go.
#[derive(Debug, Clone)]
pub enum Destination {
    /// A queue: `SendMessageBatch` (`SendMessage` one by one).
    Queue(Sqs, QueueInfo),
    /// A topic: `PublishBatch` (`Publish` one by one).
    Topic(Sns, TopicInfo),
}

impl Destination {
    /// A FIFO queue or topic: one group, in order, deduplicated.
    #[must_use]
    pub fn fifo(&self) -> bool {
        match self {
            Self::Queue(_, queue) => queue.fifo,
            Self::Topic(_, topic) => topic.fifo,
        }
    }

    /// FIFO with content-based deduplication on.
    #[must_use]
    pub fn content_based_dedup(&self) -> bool {
        match self {
            Self::Queue(_, queue) => queue.content_based_dedup,
            Self::Topic(_, topic) => topic.content_based_dedup,
        }
    }

    /// The queue's or topic's name.
    #[must_use]
    pub fn name(&self) -> &str {
        match self {
            Self::Queue(_, queue) => &queue.name,
            Self::Topic(_, topic) => &topic.name,
        }
    }

    /// Where the client points, for banners and errors.
    #[must_use]
    pub fn context(&self) -> &ErrorContext {
        match self {
            Self::Queue(sqs, _) => &sqs.context,
            Self::Topic(sns, _) => &sns.context,
        }
    }

    /// `queue Q` / `topic T`.
    fn described(&self) -> String {
        format!("{} {}", self.context().service.resource(), self.name())
    }
}

/// One message to send.
#[derive(Debug, Clone)]
struct Outgoing {
    number: u64,
    body: String,
    dedup_id: Option<String>,
}

/// Whether a send to a queue or topic (FIFO or not, with content-based deduplication or not)
/// carries a deduplication id, and which.
#[must_use]
pub fn dedup_id(
    fifo: bool,
    content_based_dedup: bool,
    mode: DedupMode,
    body: &str,
) -> Option<String> {
    if !fifo {
        return None;
    }
    match mode {
        DedupMode::Auto if content_based_dedup => None,
        DedupMode::Auto | DedupMode::Content => Some(content_dedup_id(body)),
        DedupMode::None => None,
    }
}

/// Messages per request: 1 one by one, fewer when paced slowly, else 10.
fn batch_size(plan: &SendPlan) -> usize {
    if plan.one_by_one {
        return 1;
    }
    match plan.rate {
        // At least about five requests a second, so pacing stays smooth.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Some(rate) => ((rate / 5.0).floor() as usize).clamp(1, BATCH_SIZE),
        None => BATCH_SIZE,
    }
}

/// A short random id for this run (the `run` attribute).
fn run_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..8].to_string()
}

struct Sender<'a> {
    to: &'a Destination,
    plan: &'a SendPlan,
    run: String,
    start: Instant,
    accepted: AtomicU64,
    progress: &'a (dyn Fn(u64) + Send + Sync),
    /// Once cancelled, no new request starts; requests in flight finish and are counted.
    cancel: CancellationToken,
}

/// One message attribute: name, data type (`String` or `Number`), value.
type Attribute = (&'static str, &'static str, String);

impl Sender<'_> {
    /// The attributes every message carries: `client`, `run`, `sent_at`.
    fn attribute_values(&self) -> Vec<Attribute> {
        let mut attributes = Vec::with_capacity(3);
        // SQS and SNS reject empty String attributes: an empty client name is simply not sent.
        if !self.plan.client_name.is_empty() {
            attributes.push((CLIENT_ATTRIBUTE, "String", self.plan.client_name.clone()));
        }
        attributes.push((RUN_ATTRIBUTE, "String", self.run.clone()));
        attributes.push((
            SENT_AT_ATTRIBUTE,
            "Number",
            message::epoch_ms(SystemTime::now()),
        ));
        attributes
    }

    /// [`Sender::attribute_values`] as SQS message attributes.
    fn attributes(&self) -> Result<HashMap<String, MessageAttributeValue>> {
        self.attribute_values()
            .into_iter()
            .map(|(name, data_type, value)| {
                let value = MessageAttributeValue::builder()
                    .data_type(data_type)
                    .string_value(value)
                    .build()?;
                Ok((name.to_string(), value))
            })
            .collect()
    }

    fn accept(&self, n: u64) {
        let total = self.accepted.fetch_add(n, Ordering::SeqCst) + n;
        (self.progress)(total);
    }

    async fn pace(&self, first_number: u64) {
        if let Some(rate) = self.plan.rate.filter(|rate| *rate > 0.0) {
            #[allow(clippy::cast_precision_loss)]
            let due = self.start + Duration::from_secs_f64(first_number as f64 / rate);
            tokio::select! {
                () = tokio::time::sleep_until(due.into()) => {}
                () = self.cancel.cancelled() => {}
            }
        }
    }

    /// Sends one chunk until every entry is accepted or out of rounds; returns those that
    /// never were. `Err` only for failures that stop everything.
    async fn send_chunk(&self, chunk: Vec<Outgoing>) -> Result<Vec<(u64, String)>> {
        let Some(first) = chunk.first() else {
            return Ok(Vec::new());
        };
        self.pace(first.number).await;
        let mut pending = chunk;
        let mut failed = Vec::new();
        let mut last_error: HashMap<u64, String> = HashMap::new();
        for round in 0..MAX_ROUNDS {
            if pending.is_empty() || self.cancel.is_cancelled() {
                break;
            }
            if round > 0 {
                let pause = RETRY_BACKOFF
                    .saturating_mul(1 << (round - 1).min(10))
                    .min(MAX_RETRY_BACKOFF);
                tokio::time::sleep(pause).await;
                if self.cancel.is_cancelled() {
                    break;
                }
            }
            let results = match (self.to, self.plan.one_by_one) {
                (Destination::Queue(sqs, queue), true) => {
                    self.send_single(sqs, queue, &pending).await?
                }
                (Destination::Queue(sqs, queue), false) => {
                    self.send_batch(sqs, queue, &pending).await?
                }
                (Destination::Topic(sns, topic), true) => {
                    self.publish_single(sns, topic, &pending).await?
                }
                (Destination::Topic(sns, topic), false) => {
                    self.publish_batch(sns, topic, &pending).await?
                }
            };
            let EntryResults {
                accepted,
                retry,
                permanent,
            } = results;
            self.accept(accepted.len() as u64);
            failed.extend(permanent.iter().cloned());
            let done: Vec<u64> = accepted
                .into_iter()
                .chain(permanent.into_iter().map(|(number, _)| number))
                .collect();
            for (number, error) in retry {
                last_error.insert(number, error);
            }
            pending.retain(|outgoing| !done.contains(&outgoing.number));
        }
        failed.extend(pending.iter().map(|outgoing| {
            let error = last_error.remove(&outgoing.number).unwrap_or_else(|| {
                if self.cancel.is_cancelled() {
                    "interrupted before it was sent".to_string()
                } else {
                    "not accepted".to_string()
                }
            });
            (outgoing.number, error)
        }));
        Ok(failed)
    }

    async fn send_batch(
        &self,
        sqs: &Sqs,
        queue: &QueueInfo,
        pending: &[Outgoing],
    ) -> Result<EntryResults> {
        let attributes = self.attributes()?;
        let mut entries = Vec::with_capacity(pending.len());
        for outgoing in pending {
            let mut entry = SendMessageBatchRequestEntry::builder()
                .id(entry_id(outgoing))
                .message_body(&outgoing.body)
                .set_message_attributes(Some(attributes.clone()));
            if queue.fifo {
                entry = entry.message_group_id(&self.plan.group);
            }
            if let Some(id) = &outgoing.dedup_id {
                entry = entry.message_deduplication_id(id);
            }
            entries.push(entry.build()?);
        }
        let answer = sqs
            .client
            .send_message_batch()
            .queue_url(&queue.url)
            .set_entries(Some(entries))
            .send()
            .await;
        let output = match answer {
            Ok(output) => output,
            Err(error) => return self.whole_request_failed(&errors::classify(&error), pending),
        };
        Ok(entry_results(
            pending,
            output.successful().iter().map(|entry| entry.id()),
            output.failed().iter().map(|entry| FailedEntry {
                id: entry.id(),
                code: entry.code(),
                message: entry.message(),
                sender_fault: entry.sender_fault(),
            }),
        ))
    }

    async fn send_single(
        &self,
        sqs: &Sqs,
        queue: &QueueInfo,
        pending: &[Outgoing],
    ) -> Result<EntryResults> {
        let mut results = EntryResults::default();
        for outgoing in pending {
            let mut request = sqs
                .client
                .send_message()
                .queue_url(&queue.url)
                .message_body(&outgoing.body)
                .set_message_attributes(Some(self.attributes()?));
            if queue.fifo {
                request = request.message_group_id(&self.plan.group);
            }
            if let Some(id) = &outgoing.dedup_id {
                request = request.message_deduplication_id(id);
            }
            match request.send().await {
                Ok(_) => results.accepted.push(outgoing.number),
                Err(error) => {
                    let problem = errors::classify(&error);
                    if !self.single_failed(&problem, outgoing, &mut results)? {
                        break;
                    }
                }
            }
        }
        Ok(results)
    }

    /// Records a one-by-one send that failed with `problem`; `false` when nothing after it may
    /// go in this round (FIFO order: nothing after a message that is still pending).
    fn single_failed(
        &self,
        problem: &Problem,
        outgoing: &Outgoing,
        results: &mut EntryResults,
    ) -> Result<bool> {
        let single = self.whole_request_failed(problem, std::slice::from_ref(outgoing))?;
        results.retry.extend(single.retry);
        results.permanent.extend(single.permanent);
        Ok(!self.to.fifo())
    }

    fn whole_request_failed(
        &self,
        problem: &Problem,
        pending: &[Outgoing],
    ) -> Result<EntryResults> {
        if problem.is_retryable() {
            let words = errors::describe(problem, self.to.context(), Some(self.to.name()));
            return Ok(EntryResults {
                retry: pending
                    .iter()
                    .map(|outgoing| (outgoing.number, words.message.clone()))
                    .collect(),
                ..EntryResults::default()
            });
        }
        Err(errors::describe(problem, self.to.context(), Some(self.to.name())).into())
    }
}

/// An entry a batch answer lists as failed.
struct FailedEntry<'a> {
    id: &'a str,
    code: &'a str,
    message: Option<&'a str>,
    sender_fault: bool,
}

/// Sorts a batch answer's entries (ids `m{number}`) into accepted, to retry and failed for
/// good. An entry in neither list of the answer is sent again: nothing is silently dropped.
fn entry_results<'a>(
    pending: &[Outgoing],
    successful: impl IntoIterator<Item = &'a str>,
    failed: impl IntoIterator<Item = FailedEntry<'a>>,
) -> EntryResults {
    let by_id: HashMap<String, u64> = pending
        .iter()
        .map(|outgoing| (entry_id(outgoing), outgoing.number))
        .collect();
    let mut results = EntryResults::default();
    for id in successful {
        if let Some(number) = by_id.get(id) {
            results.accepted.push(*number);
        }
    }
    for entry in failed {
        let Some(number) = by_id.get(entry.id) else {
            continue;
        };
        let error = format!("{}: {}", entry.code, entry.message.unwrap_or_default());
        let problem = errors::problem_from_code(Some(entry.code), entry.message, 400);
        if entry.sender_fault && !problem.is_retryable() {
            results.permanent.push((*number, error));
        } else {
            results.retry.push((*number, error));
        }
    }
    for outgoing in pending {
        let known = results.accepted.contains(&outgoing.number)
            || results.retry.iter().any(|(n, _)| *n == outgoing.number)
            || results.permanent.iter().any(|(n, _)| *n == outgoing.number);
        if !known {
            results
                .retry
                .push((outgoing.number, "missing from the answer".to_string()));
        }
    }
    results
}

/// The batch entry id of a message: `m{number}`.
fn entry_id(outgoing: &Outgoing) -> String {
    format!("m{}", outgoing.number)
}

/// What one request did to its entries.
#[derive(Debug, Default)]
struct EntryResults {
    accepted: Vec<u64>,
    retry: Vec<(u64, String)>,
    permanent: Vec<(u64, String)>,
}

/// Sends every message of the plan, calling `progress` with the number accepted so far.
///
/// # Errors
/// A failure that stops all sending (queue gone, credentials); per-message failures that
/// survive retries are in [`SendReport::failed`] instead.
pub async fn send_messages(
    sqs: &Sqs,
    queue: &QueueInfo,
    plan: &SendPlan,
    progress: &(dyn Fn(u64) + Send + Sync),
) -> Result<SendReport> {
    let to = Destination::Queue(sqs.clone(), queue.clone());
    send_messages_until(&to, plan, progress, CancellationToken::new()).await
}

/// [`send_messages`] that stops starting requests once `cancel` fires; requests already in
/// flight finish, so [`SendReport::sent`] is exactly what SQS accepted. Messages never sent
/// are in [`SendReport::failed`].
///
/// # Errors
/// See [`send_messages`].
pub async fn send_messages_until(
    to: &Destination,
    plan: &SendPlan,
    progress: &(dyn Fn(u64) + Send + Sync),
    cancel: CancellationToken,
) -> Result<SendReport> {
    let sender = Sender {
        cancel,
        to,
        plan,
        run: run_id(),
        start: Instant::now(),
        accepted: AtomicU64::new(0),
        progress,
    };
    let size = batch_size(plan);
    let outgoing = |number: u64| {
        let body = message::body(&plan.prepend, number);
        Outgoing {
            number,
            dedup_id: dedup_id(to.fifo(), to.content_based_dedup(), plan.dedup, &body),
            body,
        }
    };
    // Chunks are built as they are sent, so memory stays flat whatever --count is.
    let size = size as u64;
    let chunks = (0..plan.count.div_ceil(size)).map(move |index| {
        let first = index * size;
        (first..(first + size).min(plan.count))
            .map(outgoing)
            .collect::<Vec<_>>()
    });
    // FIFO queues and topics (and --one-by-one, as the original) send one request at a time,
    // in order.
    let in_flight = if to.fifo() || plan.one_by_one {
        1
    } else {
        plan.in_flight.max(1)
    };
    let mut failed: Vec<(u64, String)> = futures::stream::iter(chunks)
        .map(|chunk| sender.send_chunk(chunk))
        .buffered(in_flight)
        .try_fold(Vec::new(), |mut all, failed| async move {
            all.extend(failed);
            Ok(all)
        })
        .await?;
    failed.sort_by_key(|(number, _)| *number);
    Ok(SendReport {
        sent: sender.accepted.load(Ordering::SeqCst),
        elapsed: sender.start.elapsed(),
        failed,
    })
}

/// `queue send` (and the original form without `--receive`).
///
/// Diagnostics, the progress bar and the final `sent N in T` line go to stderr; stdout stays
/// empty.
///
/// # Errors
/// See [`send_messages`].
pub async fn run(args: SendArgs, config: &Config) -> Result<ExitCode> {
    let sqs = crate::sqs::connect(config).await?;
    let queue = sqs.queue(&args.name).await?;
    let plan = SendPlan::from(&args.messages);
    run_plan(&Destination::Queue(sqs, queue), &plan, config).await
}

/// Sends `plan` to `to` as `queue send` and `queue publish` do: banner, progress bar, Ctrl-C,
/// the summary and the messages never accepted, on stderr.
///
/// # Errors
/// See [`send_messages`]; also when any message was not accepted.
pub async fn run_plan(to: &Destination, plan: &SendPlan, config: &Config) -> Result<ExitCode> {
    let context = to.context();
    let service = context.service.name();
    if to.fifo() && !to.content_based_dedup() && plan.dedup == DedupMode::None {
        return Err(errors::describe(&Problem::FifoNeedsDedupId, context, Some(to.name())).into());
    }
    if config.banner {
        exit::note(format_args!(
            "{} {} message{} to {} ({}) at {}, region {}",
            match to {
                Destination::Queue(..) => "sending",
                Destination::Topic(..) => "publishing",
            },
            plan.count,
            if plan.count == 1 { "" } else { "s" },
            to.described(),
            if to.fifo() { "FIFO" } else { "standard" },
            context.endpoint,
            context.region
        ));
    }
    let bar = progress::bar(plan.count);
    let update = |n: u64| bar.set_position(n);
    let cancel = CancellationToken::new();
    let signals = exit::cancel_on_interrupt(cancel.clone());
    let report = send_messages_until(to, plan, &update, cancel.clone()).await;
    cancel.cancel();
    let interrupted = signals.await.unwrap_or(false);
    bar.finish_and_clear();
    let report = report?;
    if interrupted {
        exit::note(format_args!(
            "interrupted: {} of {} messages were accepted",
            report.sent, plan.count
        ));
        return Ok(ExitCode::from(exit::INTERRUPTED));
    }
    exit::note(summary(&report));
    // Every accepted FIFO send is deduplicated (by our id or by the content hash).
    if to.fifo() {
        exit::note(format_args!(
            "FIFO: {service} drops a body sent again within 5 minutes as a duplicate; --prepend TEXT makes new bodies"
        ));
    }
    if report.failed.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    for (number, error) in report.failed.iter().take(10) {
        exit::note(format_args!("not sent: message {number}: {error}"));
    }
    if report.failed.len() > 10 {
        exit::note(format_args!(
            "not sent: ... and {} more",
            report.failed.len() - 10
        ));
    }
    Err(Friendly::new(
        format!(
            "{} of {} messages were not accepted by {service}",
            report.failed.len(),
            plan.count
        ),
        "run again with --prepend TEXT to send new bodies, or check the errors above",
    )
    .into())
}

/// `sent N in T (R msg/s)`.
#[must_use]
pub fn summary(report: &SendReport) -> String {
    let seconds = report.elapsed.as_secs_f64();
    #[allow(clippy::cast_precision_loss)]
    let rate = if seconds > 0.0 {
        report.sent as f64 / seconds
    } else {
        0.0
    };
    format!("sent {} in {seconds:.2}s ({rate:.0} msg/s)", report.sent)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    #[test]
    fn dedup_ids_follow_the_queue_and_the_flag() {
        let sha = hex::encode(Sha256::digest(b"Message 0"));
        assert_eq!(
            dedup_id(false, false, DedupMode::Content, "Message 0"),
            None
        );
        assert_eq!(dedup_id(true, true, DedupMode::Auto, "Message 0"), None);
        assert_eq!(
            dedup_id(true, false, DedupMode::Auto, "Message 0"),
            Some(sha.clone())
        );
        assert_eq!(
            dedup_id(true, true, DedupMode::Content, "Message 0"),
            Some(sha)
        );
        assert_eq!(dedup_id(true, false, DedupMode::None, "Message 0"), None);
    }

    #[test]
    fn batch_size_follows_mode_and_rate() {
        let mut plan = SendPlan::for_tests("c", 10, "");
        assert_eq!(batch_size(&plan), 10);
        plan.rate = Some(2.0);
        assert_eq!(batch_size(&plan), 1);
        plan.rate = Some(1000.0);
        assert_eq!(batch_size(&plan), 10);
        plan.one_by_one = true;
        assert_eq!(batch_size(&plan), 1);
    }

    #[test]
    fn summary_says_sent_n_in_t() {
        let report = SendReport {
            sent: 100,
            elapsed: Duration::from_millis(500),
            failed: vec![],
        };
        assert_eq!(summary(&report), "sent 100 in 0.50s (200 msg/s)");
    }
}
