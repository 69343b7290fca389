//! One queue and its messages: the per-message state every rule reads (visibility, delay,
//! receive count, the latest receipt, which simulated servers hold a copy).

use std::collections::BTreeMap;

use foldhash::{HashMap, HashSet};
use tokio::time::{Duration, Instant};

use super::attributes::QueueConfig;
use super::error::SqsError;
use super::fifo;
use super::journal::Journal;
use super::md5::MessageAttribute;
use super::waiting::Waiters;
use crate::rules::DEDUP_WINDOW;

/// A queue's identity: SQS scopes names by account and region.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct QueueKey {
    /// 12-digit account id.
    pub account: String,
    /// Region (`us-east-1`).
    pub region: String,
    /// Queue name (case-sensitive).
    pub name: String,
}

impl QueueKey {
    /// `arn:aws:sqs:<region>:<account>:<name>`.
    #[must_use]
    pub fn arn(&self) -> String {
        format!("arn:aws:sqs:{}:{}:{}", self.region, self.account, self.name)
    }

    /// Parses an SQS queue ARN.
    #[must_use]
    pub fn from_arn(arn: &str) -> Option<Self> {
        let mut parts = arn.split(':');
        let fixed = (parts.next()?, parts.next()?, parts.next()?);
        if fixed != ("arn", "aws", "sqs") {
            return None;
        }
        let region = parts.next()?.to_string();
        let account = parts.next()?.to_string();
        let name = parts.next()?.to_string();
        parts.next().is_none().then_some(Self {
            account,
            region,
            name,
        })
    }
}

/// The latest receive of a message.
#[derive(Debug, Clone, Copy)]
pub struct Receipt {
    /// Engine-wide receive serial, encoded in the receipt handle; only the latest works.
    pub serial: u64,
    /// When this receive happened (the 12-hour visibility cap counts from here).
    pub received_at: Instant,
}

/// One stored message.
#[derive(Debug, Clone)]
pub struct Message {
    /// `MessageId` (UUID).
    pub id: String,
    /// The body as sent.
    pub body: String,
    /// MD5 of the body.
    pub md5_body: String,
    /// User attributes.
    pub attributes: BTreeMap<String, MessageAttribute>,
    /// `SenderId`.
    pub sender_id: String,
    /// `SentTimestamp` (epoch ms).
    pub sent_ms: u64,
    /// `AWSTraceHeader`, if the sender carried one.
    pub trace_header: Option<String>,
    /// `MessageGroupId` (FIFO; fair-queue tenant on standard queues).
    pub group_id: Option<String>,
    /// `MessageDeduplicationId` (FIFO).
    pub dedup_id: Option<String>,
    /// `SequenceNumber` (FIFO).
    pub sequence_number: Option<String>,
    /// `DeadLetterQueueSourceArn`, once moved to a DLQ.
    pub dlq_source_arn: Option<String>,
    /// Start of the retention period: the message expires at `enqueued_at + retention`.
    pub enqueued_at: Instant,
    /// When the message may be received: after its delay, or after its visibility timeout.
    /// A message with no receipt and `visible_at` in the future is *delayed*; with a receipt,
    /// *in flight*.
    pub visible_at: Instant,
    /// `ApproximateReceiveCount`.
    pub receive_count: u32,
    /// `ApproximateFirstReceiveTimestamp` (epoch ms).
    pub first_receive_ms: Option<u64>,
    /// The latest receive; `None` before the first one (and for a resurrected duplicate).
    pub receipt: Option<Receipt>,
    /// Standard queues: bit `i` set when simulated server `i` holds a copy.
    pub servers: u64,
    /// Standard queues: this is a copy that survived a delete on a missed replica; deleting it
    /// again is final.
    pub ghost: bool,
    /// Standard queues: it arrived while long polls waited, or was received from a busy
    /// queue, so a delete may miss a replica (`--duplicate-rate`). Never set for a message
    /// sent and then received on a quiet queue.
    pub raced: bool,
    /// Standard queues: it arrived while long polls waited, on servers none of them listens
    /// to, and is out of sight until `visible_at` (counted as visible meanwhile).
    pub settling: bool,
}

impl Message {
    /// Visible (receivable, redrive aside) at `now`.
    #[must_use]
    pub fn is_visible(&self, now: Instant) -> bool {
        self.visible_at <= now
    }
}

/// A FIFO deduplication record, kept 5 minutes from the first accepted send.
#[derive(Debug, Clone)]
pub struct DedupRecord {
    /// End of the window.
    pub expires: Instant,
    /// The original send's MessageId (answered again for duplicates).
    pub message_id: String,
    /// The original send's SequenceNumber.
    pub sequence_number: String,
}

/// A FIFO ReceiveRequestAttemptId answer, replayable for 5 minutes while nothing changed.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// When the answer was given.
    pub at: Instant,
    /// `(message key, receive serial)` of every message in the answer.
    pub messages: Vec<(u64, u64)>,
    /// The answer as sent.
    pub response: serde_json::Value,
}

/// One queue.
#[derive(Debug)]
pub struct Queue {
    /// Incarnation number, encoded in receipt handles (a recreated queue rejects old ones).
    incarnation: u64,
    /// Name, account, region.
    key: QueueKey,
    /// Settable attributes.
    config: QueueConfig,
    /// `CreatedTimestamp` (epoch s).
    created_s: u64,
    /// `LastModifiedTimestamp` (epoch s).
    modified_s: u64,
    /// Tags.
    tags: BTreeMap<String, String>,
    /// Messages by key; keys grow with send order.
    messages: BTreeMap<u64, Message>,
    /// Next message key (only [`Queue::push`] hands keys out).
    next_key: u64,
    /// Long polls waiting on this queue; woken when something they care about changes.
    waiters: Waiters,
    /// When the last PurgeQueue happened (one per 60 s).
    last_purge: Option<Instant>,
    /// FIFO: deduplicate per message group. Fixed when the queue is created: SQS reports a later
    /// change of DeduplicationScope but keeps deduplicating as before.
    dedup_per_group: bool,
    /// FIFO dedup window, keyed by scope (`group\u{0}id` or `\u{0}id`).
    dedup: HashMap<String, DedupRecord>,
    /// FIFO ReceiveRequestAttemptId answers.
    attempts: HashMap<String, Attempt>,
    /// FIFO: when each message group was last served or unlocked (its place in the line).
    group_marks: HashMap<String, GroupMark>,
    /// Standard queues: weight of each simulated storage server.
    server_weights: Vec<f64>,
    /// Housekeeping is skipped until this instant: no message expires before it and the
    /// dedup/attempt records were pruned recently. `None` forces a full pass (set it when a
    /// message with an older enqueue time arrives or the retention period changes).
    housekeeping_due: Option<Instant>,
    /// What changed since the last commit to the data directory; `None` when the server
    /// keeps nothing on disk.
    journal: Option<Journal>,
}

/// FIFO: the last time a message group was served (received) or touched by a delete or a
/// visibility change, with a tick from the queue's key counter to order events at one instant.
#[derive(Debug, Clone, Copy)]
pub struct GroupMark {
    /// When.
    pub at: Instant,
    /// Event order (shares the counter of message keys).
    pub tick: u64,
}

/// Messages counted as GetQueueAttributes reports them.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Visible (ApproximateNumberOfMessages).
    pub visible: usize,
    /// In flight (ApproximateNumberOfMessagesNotVisible).
    pub in_flight: usize,
    /// Delayed (ApproximateNumberOfMessagesDelayed).
    pub delayed: usize,
}

impl Queue {
    /// An empty queue. `server_weights` has one entry per simulated storage server (one for
    /// FIFO and ordered queues).
    #[must_use]
    pub fn new(
        incarnation: u64,
        key: QueueKey,
        config: QueueConfig,
        tags: BTreeMap<String, String>,
        server_weights: Vec<f64>,
        created_s: u64,
    ) -> Self {
        Self {
            incarnation,
            key,
            dedup_per_group: config.dedup_per_group,
            config,
            created_s,
            modified_s: created_s,
            tags,
            messages: BTreeMap::new(),
            next_key: 1,
            waiters: Waiters::default(),
            last_purge: None,
            dedup: HashMap::default(),
            attempts: HashMap::default(),
            group_marks: HashMap::default(),
            server_weights,
            housekeeping_due: None,
            journal: None,
        }
    }

    /// Puts back what the data directory kept of a queue made by [`Queue::new`]: its
    /// LastModifiedTimestamp, messages and deduplication window. Message keys go on after the
    /// highest one kept.
    pub fn restore(
        &mut self,
        modified_s: u64,
        dedup_per_group: bool,
        messages: BTreeMap<u64, Message>,
        dedup: HashMap<String, DedupRecord>,
    ) {
        self.modified_s = modified_s;
        self.dedup_per_group = dedup_per_group;
        self.next_key = messages.keys().next_back().map_or(1, |last| last + 1);
        self.messages = messages;
        self.dedup = dedup;
        self.housekeeping_due = None;
    }

    /// Starts keeping a journal of changes for the data directory. A queue new to it
    /// (`written` false) must have its record written.
    pub fn keep_journal(&mut self, written: bool) {
        self.journal = Some(if written {
            Journal::default()
        } else {
            Journal::new_queue()
        });
    }

    /// Whether the queue has a journal that the store does not list yet (it then lists it).
    pub fn journal_needs_listing(&mut self) -> bool {
        match &mut self.journal {
            Some(journal) if !journal.listed => {
                journal.listed = true;
                true
            }
            _ => false,
        }
    }

    /// The changes since the last call, if any; the queue starts a fresh journal.
    pub fn take_journal(&mut self) -> Option<Journal> {
        let journal = self.journal.as_mut()?;
        journal.listed = false;
        if journal.is_empty() {
            return None;
        }
        Some(std::mem::take(journal))
    }

    fn note_record(&mut self) {
        if let Some(journal) = &mut self.journal {
            journal.record = true;
        }
    }

    fn note_message(&mut self, key: u64) {
        if let Some(journal) = &mut self.journal {
            journal.messages.insert(key);
        }
    }

    /// Name, account and region.
    #[must_use]
    pub fn key(&self) -> &QueueKey {
        &self.key
    }

    /// The incarnation receipt handles of this queue carry.
    #[must_use]
    pub fn incarnation(&self) -> u64 {
        self.incarnation
    }

    /// The settable attributes.
    #[must_use]
    pub fn config(&self) -> &QueueConfig {
        &self.config
    }

    /// `CreatedTimestamp` (epoch s).
    #[must_use]
    pub fn created_s(&self) -> u64 {
        self.created_s
    }

    /// `LastModifiedTimestamp` (epoch s).
    #[must_use]
    pub fn modified_s(&self) -> u64 {
        self.modified_s
    }

    /// Replaces the settable attributes (SetQueueAttributes). A FIFO queue's DelaySeconds
    /// applies retroactively to messages not yet received; a standard queue's only to later
    /// sends. A new retention period is applied at the next housekeeping, which runs at once.
    pub fn set_config(&mut self, config: QueueConfig, now_epoch_s: u64) {
        if config.fifo && config.delay_seconds != self.config.delay_seconds {
            let delay = Duration::from_secs(u64::from(config.delay_seconds));
            for (key, message) in &mut self.messages {
                if message.receipt.is_none() && !message.ghost {
                    message.visible_at = message.enqueued_at + delay;
                    if let Some(journal) = &mut self.journal {
                        journal.messages.insert(*key);
                    }
                }
            }
        }
        self.note_record();
        self.config = config;
        self.housekeeping_due = None;
        self.modified_s = now_epoch_s;
        self.wake_waiters();
    }

    /// Sets the `Policy` attribute as AddPermission and RemovePermission leave it (unlike
    /// SetQueueAttributes, LastModifiedTimestamp stays).
    pub fn set_policy(&mut self, policy: Option<String>) {
        self.note_record();
        self.config.policy = policy;
    }

    /// The tags.
    #[must_use]
    pub fn tags(&self) -> &BTreeMap<String, String> {
        &self.tags
    }

    /// Adds tags, overwriting existing keys.
    pub fn tag(&mut self, tags: BTreeMap<String, String>) {
        self.note_record();
        self.tags.extend(tags);
    }

    /// Removes the tags with these keys (missing ones are ignored).
    pub fn untag(&mut self, keys: &[String]) {
        self.note_record();
        for key in keys {
            self.tags.remove(key);
        }
    }

    /// Simulated storage servers and their weights (one for FIFO and ordered queues).
    #[must_use]
    pub fn server_weights(&self) -> &[f64] {
        &self.server_weights
    }

    /// The messages by key, in send order.
    #[must_use]
    pub fn messages(&self) -> &BTreeMap<u64, Message> {
        &self.messages
    }

    /// The message stored under `key`.
    #[must_use]
    pub fn message(&self, key: u64) -> Option<&Message> {
        self.messages.get(&key)
    }

    /// The message stored under `key`, to change.
    pub fn message_mut(&mut self, key: u64) -> Option<&mut Message> {
        self.note_message(key);
        self.messages.get_mut(&key)
    }

    /// Takes the message stored under `key` out of the queue (a delete, or a move).
    pub fn remove(&mut self, key: u64) -> Option<Message> {
        self.note_message(key);
        self.messages.remove(&key)
    }

    /// Stores `message` after every message already here (keys grow with arrival order) and
    /// returns its key. A message that keeps an older enqueue time (a move to a standard
    /// dead-letter queue) brings the next housekeeping forward if it expires sooner.
    pub fn push(&mut self, message: Message) -> u64 {
        let retention = Duration::from_secs(u64::from(self.config.message_retention_period));
        if self
            .housekeeping_due
            .is_some_and(|due| message.enqueued_at + retention < due)
        {
            self.housekeeping_due = None;
        }
        let key = self.next_key;
        self.next_key += 1;
        self.messages.insert(key, message);
        self.note_message(key);
        key
    }

    /// FIFO: records that `group` was served or touched now, so it joins the back of the line
    /// once it is available again (see [`super::fifo::candidates`]).
    pub fn touch_group(&mut self, group: Option<&str>, now: Instant) {
        if !self.config.fifo {
            return;
        }
        let tick = self.next_key;
        self.next_key += 1;
        self.group_marks
            .insert(group.unwrap_or("").to_string(), GroupMark { at: now, tick });
    }

    /// FIFO: where `group` stands in the line (see [`Queue::touch_group`]).
    #[must_use]
    pub fn group_mark(&self, group: &str) -> Option<&GroupMark> {
        self.group_marks.get(group)
    }

    /// PurgeQueue: every message goes, in flight or not, and with them the FIFO
    /// deduplication window (a delete does not forget it), the ReceiveRequestAttemptId
    /// answers and the groups' places in the line; one purge per 60 s.
    ///
    /// # Errors
    /// PurgeQueueInProgress within 60 s of the last purge.
    pub fn purge(&mut self, now: Instant) -> Result<(), SqsError> {
        if self
            .last_purge
            .is_some_and(|at| at + Duration::from_secs(60) > now)
        {
            return Err(SqsError::purge_queue_in_progress(&self.key.name));
        }
        self.last_purge = Some(now);
        if let Some(journal) = &mut self.journal {
            journal.purge();
        }
        self.messages.clear();
        self.attempts.clear();
        self.dedup.clear();
        self.group_marks.clear();
        Ok(())
    }

    /// FIFO: the record of an accepted send with this deduplication id (scoped by
    /// DeduplicationScope) while its 5-minute window is open.
    #[must_use]
    pub fn duplicate_of(&self, group: &str, dedup_id: &str, now: Instant) -> Option<&DedupRecord> {
        self.dedup
            .get(&fifo::dedup_key(self.dedup_per_group, group, dedup_id))
            .filter(|r| r.expires > now)
    }

    /// FIFO: opens the 5-minute deduplication window of an accepted send.
    pub fn remember_send(&mut self, group: &str, dedup_id: &str, record: DedupRecord) {
        let key = fifo::dedup_key(self.dedup_per_group, group, dedup_id);
        if let Some(journal) = &mut self.journal {
            journal.dedup.insert(key.clone());
        }
        self.dedup.insert(key, record);
    }

    /// FIFO: the deduplication window by scope key (see [`fifo::dedup_key`]).
    #[must_use]
    pub fn dedup(&self) -> &HashMap<String, DedupRecord> {
        &self.dedup
    }

    /// FIFO: deduplicates per message group (fixed at creation).
    #[must_use]
    pub fn dedup_per_group(&self) -> bool {
        self.dedup_per_group
    }

    /// FIFO: the stored answer to a ReceiveRequestAttemptId, if it is still kept.
    #[must_use]
    pub fn attempt(&self, id: &str) -> Option<&Attempt> {
        self.attempts.get(id)
    }

    /// FIFO: keeps the answer to a ReceiveRequestAttemptId for replay.
    pub fn remember_attempt(&mut self, id: String, attempt: Attempt) {
        self.attempts.insert(id, attempt);
    }

    /// The long polls waiting on this queue: registered, woken and forgotten through it.
    pub fn waiters(&mut self) -> &mut Waiters {
        &mut self.waiters
    }

    /// Wakes every long poll waiting on this queue for a full sweep (something other than a
    /// new message changed; see [`Waiters::wake_all`]).
    pub fn wake_waiters(&mut self) {
        self.waiters.wake_all();
    }

    /// Drops messages past the retention period (SQS deletes them silently).
    /// Also prunes expired dedup and ReceiveRequestAttemptId records and the line places of
    /// FIFO groups that have no message left. Cheap when nothing is
    /// due: a full pass runs at most once a second, or when a message may have expired.
    pub fn expire(&mut self, now: Instant) {
        if self.housekeeping_due.is_some_and(|due| now < due) {
            return;
        }
        let retention = Duration::from_secs(u64::from(self.config.message_retention_period));
        let mut journal = self.journal.as_mut();
        self.messages.retain(|key, m| {
            let keep = m.enqueued_at + retention > now;
            if let (false, Some(journal)) = (keep, journal.as_deref_mut()) {
                journal.messages.insert(*key);
            }
            keep
        });
        self.dedup.retain(|key, r| {
            let keep = r.expires > now;
            if let (false, Some(journal)) = (keep, journal.as_deref_mut()) {
                journal.dedup.insert(key.clone());
            }
            keep
        });
        self.attempts.retain(|_, a| a.at + DEDUP_WINDOW > now);
        if !self.group_marks.is_empty() {
            let live: HashSet<&str> = self
                .messages
                .values()
                .map(|m| m.group_id.as_deref().unwrap_or(""))
                .collect();
            self.group_marks.retain(|g, _| live.contains(g.as_str()));
        }
        let next_expiry = self
            .messages
            .values()
            .map(|m| m.enqueued_at + retention)
            .min();
        self.housekeeping_due = Some(self.next_housekeeping(next_expiry, now));
    }

    /// When housekeeping is due after a pass at `now`: when the next message expires. A FIFO
    /// queue also prunes its dedup, attempt and group records at least once a second; a
    /// standard queue keeps none, so a deep one is not walked every second (a push of an
    /// older message, or a new retention period, brings the pass forward).
    fn next_housekeeping(&self, next_expiry: Option<Instant>, now: Instant) -> Instant {
        let soon = now + Duration::from_secs(1);
        match next_expiry {
            Some(at) if !self.config.fifo => at.max(now),
            Some(at) => at.min(soon).max(now),
            None => soon,
        }
    }

    /// The approximate counters.
    #[must_use]
    pub fn counts(&self, now: Instant) -> Counts {
        let mut counts = Counts::default();
        for message in self.messages.values() {
            if message.is_visible(now) || (message.settling && message.receipt.is_none()) {
                counts.visible += 1;
            } else if message.receipt.is_some() || message.ghost {
                // A resurrected duplicate is, in SQS terms, still in flight on the replica
                // that missed the delete.
                counts.in_flight += 1;
            } else {
                counts.delayed += 1;
            }
        }
        counts
    }

    /// The earliest future instant at which a message becomes visible (to wake long polls).
    #[must_use]
    pub fn next_change(&self, now: Instant) -> Option<Instant> {
        self.messages
            .values()
            .map(|m| m.visible_at)
            .filter(|at| *at > now)
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue(fifo: bool) -> Queue {
        let key = QueueKey {
            account: "000000000000".into(),
            region: "us-east-1".into(),
            name: if fifo { "q.fifo" } else { "q" }.into(),
        };
        Queue::new(
            1,
            key,
            QueueConfig::new(fifo),
            BTreeMap::new(),
            vec![1.0],
            0,
        )
    }

    fn message(enqueued_at: Instant) -> Message {
        Message {
            id: "id".into(),
            body: "body".into(),
            md5_body: String::new(),
            attributes: BTreeMap::new(),
            sender_id: String::new(),
            sent_ms: 0,
            trace_header: None,
            group_id: None,
            dedup_id: None,
            sequence_number: None,
            dlq_source_arn: None,
            enqueued_at,
            visible_at: enqueued_at,
            receive_count: 0,
            first_receive_ms: None,
            receipt: None,
            servers: 1,
            ghost: false,
            raced: false,
            settling: false,
        }
    }

    #[test]
    fn housekeeping_waits_for_the_next_expiry_on_standard_queues_only() {
        let second = Duration::from_secs(1);
        for fifo in [false, true] {
            let mut queue = queue(fifo);
            let retention = Duration::from_secs(u64::from(queue.config.message_retention_period));
            // Late enough that a message can be older than the retention period.
            let now = Instant::now() + retention;
            queue.expire(now);
            assert_eq!(
                queue.housekeeping_due,
                Some(now + second),
                "empty, fifo {fifo}"
            );
            queue.push(message(now));
            queue.housekeeping_due = None;
            queue.expire(now);
            let expected = if fifo { now + second } else { now + retention };
            assert_eq!(queue.housekeeping_due, Some(expected), "fifo {fifo}");
            // An older message brings the pass forward; it expires on time.
            let soon = second / 2;
            queue.push(message(now - retention + soon));
            assert_eq!(queue.housekeeping_due, None);
            queue.expire(now);
            assert_eq!(queue.housekeeping_due, Some(now + soon));
            queue.expire(now + soon);
            assert_eq!(queue.messages().len(), 1, "fifo {fifo}");
        }
    }
}
