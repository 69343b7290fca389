//! The engine's state behind the mutex: every queue, recently deleted names, the one seeded
//! RNG, and the lookups shared by actions (queue URLs, ARNs, ids). Its fields are private:
//! actions resolve, add and remove queues and draw ids and random choices through methods.

use std::collections::BTreeMap;

use foldhash::HashMap;
use std::sync::Arc;

use rand::rngs::StdRng;
use rand::{Rng, RngCore};
use tokio::sync::Notify;
use tokio::time::{Duration, Instant};

use super::attributes::QueueConfig;
use super::durable::{self, Changes, Counters, QueueChanges, Restored};
use super::engine::RequestContext;
use super::error::SqsError;
use super::fifo;
use super::metrics::Metrics;
use super::move_tasks::MoveTasks;
use super::queue::{Queue, QueueKey};
use super::queue_url;
use super::receipt::{self, ReceiptRef};
use super::sns;
use super::standard::{self, Sweep};
use super::validate::Input;

/// The simulation knobs, from `ServeOptions`.
#[derive(Debug, Clone)]
pub struct Simulation {
    /// Simulated storage servers per standard queue (1 in ordered mode).
    pub servers: u32,
    /// Probability a delete misses a replica.
    pub duplicate_rate: f64,
    /// Strict order, no duplicates.
    pub ordered: bool,
    /// Probability a batch entry fails with a retryable error.
    pub fail_rate: f64,
}

/// Everything the engine knows.
#[derive(Debug)]
pub struct State {
    /// Queues by key.
    queues: HashMap<QueueKey, Queue>,
    /// When each recently deleted name was deleted (reuse needs 60 s).
    deleted: HashMap<QueueKey, Instant>,
    /// The only source of randomness.
    rng: StdRng,
    /// Simulation knobs.
    sim: Simulation,
    /// Key for receipt-handle checks.
    secret: [u8; 16],
    /// Next queue incarnation.
    next_incarnation: u64,
    /// Next receive serial.
    next_serial: u64,
    /// Last FIFO sequence number handed out (20 digits, increasing).
    last_sequence: u128,
    /// Message move tasks (DLQ redrive).
    move_tasks: MoveTasks,
    /// What is not yet handed to the data directory; `None` when nothing is kept on disk.
    unsaved: Option<Unsaved>,
    /// SNS topics and subscriptions.
    sns: sns::Registry,
    /// The queues' CloudWatch figures (the console and `/metrics`; never on disk).
    metrics: Metrics,
}

/// Which queues have changes not yet handed to the data directory.
#[derive(Debug, Default)]
struct Unsaved {
    /// Queues whose journal has something (listed once per hand-over).
    touched: Vec<QueueKey>,
    /// Incarnations of the queues deleted.
    removed: Vec<u64>,
    /// SNS's topics or subscriptions changed.
    sns: bool,
}

/// Epoch seconds and the like for "now", read once per request.
#[derive(Debug, Clone, Copy)]
pub struct Now {
    /// Engine instant.
    pub at: Instant,
    /// Epoch milliseconds at `at`.
    pub epoch_ms: u64,
}

impl State {
    /// A fresh state.
    #[must_use]
    pub fn new(mut rng: StdRng, sim: Simulation) -> Self {
        let mut secret = [0; 16];
        rng.fill_bytes(&mut secret);
        Self {
            queues: HashMap::default(),
            deleted: HashMap::default(),
            rng,
            sim,
            secret,
            next_incarnation: 1,
            next_serial: 1,
            last_sequence: 18_849_496_460_467_696_128,
            move_tasks: MoveTasks::default(),
            unsaved: None,
            sns: sns::Registry::default(),
            metrics: Metrics::default(),
        }
    }

    /// Starts journaling changes for the data directory, after putting back what it held:
    /// the counters, and each queue with its messages and deduplication window.
    pub fn persist(&mut self, restored: Restored) {
        if let Some(counters) = restored.counters {
            self.secret = counters.secret;
            self.next_incarnation = counters.next_incarnation;
            self.next_serial = counters.next_serial;
            self.last_sequence = counters.last_sequence;
        }
        for saved in restored.queues {
            let record = saved.record;
            // Serials only grow, so a handle given out before the restart stays unique.
            let serial = saved
                .messages
                .values()
                .filter_map(|m| m.receipt)
                .map(|r| r.serial);
            self.next_serial = self.next_serial.max(serial.max().unwrap_or(0) + 1);
            self.next_incarnation = self.next_incarnation.max(record.incarnation + 1);
            let mut queue = Queue::new(
                record.incarnation,
                record.key.clone(),
                record.config.clone(),
                record.tags.clone(),
                record.server_weights(),
                record.created_s,
            );
            queue.restore(
                record.modified_s,
                record.dedup_per_group,
                saved.messages,
                saved.dedup,
            );
            queue.keep_journal(true);
            self.queues.insert(record.key, queue);
        }
        self.sns = restored.sns;
        self.unsaved = Some(Unsaved::default());
    }

    /// The changes made since the last call, for the data directory (`None` when nothing
    /// changed or nothing is kept on disk).
    pub fn take_changes(&mut self, now: Now) -> Option<Changes> {
        let unsaved = self.unsaved.as_mut()?;
        if unsaved.touched.is_empty() && unsaved.removed.is_empty() && !unsaved.sns {
            return None;
        }
        let removed = std::mem::take(&mut unsaved.removed);
        let sns = std::mem::take(&mut unsaved.sns).then(|| self.sns.snapshot(now));
        let mut queues = Vec::new();
        for key in std::mem::take(&mut unsaved.touched) {
            let Some(queue) = self.queues.get_mut(&key) else {
                continue;
            };
            if let Some(journal) = queue.take_journal() {
                queues.push(QueueChanges::of(queue, journal, now));
            }
        }
        if queues.is_empty() && removed.is_empty() && sns.is_none() {
            return None;
        }
        Some(Changes {
            counters: self.counters(),
            removed,
            queues,
            sns,
        })
    }

    /// The engine-wide counters as the data directory keeps them.
    fn counters(&self) -> Counters {
        Counters {
            format: durable::FORMAT,
            secret: self.secret,
            next_incarnation: self.next_incarnation,
            next_serial: self.next_serial,
            last_sequence: self.last_sequence,
        }
    }

    /// The queue's URL as the client sees it: on the host and port it used, with the region
    /// in the path unless it is the home region (see `queue_url`).
    #[must_use]
    pub fn url(ctx: &RequestContext, key: &QueueKey) -> String {
        queue_url::build(&ctx.host, &key.region, &key.account, &key.name)
    }

    /// The key a `QueueUrl` parameter names (a URL in any shape the server reads, or a bare
    /// queue name), else the queue URL the request was sent to. Parts the URL leaves out are
    /// the request's: its region and the server's account.
    ///
    /// # Errors
    /// Neither a QueueUrl nor a queue URL path: MissingParameter. A QueueUrl that names no
    /// queue: QueueDoesNotExist.
    pub fn key_of(ctx: &RequestContext, input: &Input<'_>) -> Result<QueueKey, SqsError> {
        let address = match input.str_opt("QueueUrl")? {
            Some(url) => queue_url::parse(url).ok_or_else(SqsError::queue_does_not_exist)?,
            None => ctx
                .path_queue
                .clone()
                .ok_or_else(|| SqsError::missing_parameter("QueueUrl"))?,
        };
        Ok(QueueKey {
            account: address.account.unwrap_or_else(|| ctx.account.clone()),
            region: address.region.unwrap_or_else(|| ctx.region.clone()),
            name: address.name,
        })
    }

    /// The key of the existing queue a request names: the request's side of "which queue".
    ///
    /// # Errors
    /// No QueueUrl (MissingParameter), or one naming no queue (QueueDoesNotExist).
    pub fn resolve_queue(
        &self,
        ctx: &RequestContext,
        input: &Input<'_>,
    ) -> Result<QueueKey, SqsError> {
        let key = Self::key_of(ctx, input)?;
        self.queue(&key)?;
        Ok(key)
    }

    /// The queue `key`.
    ///
    /// # Errors
    /// QueueDoesNotExist.
    pub fn queue(&self, key: &QueueKey) -> Result<&Queue, SqsError> {
        self.queues
            .get(key)
            .ok_or_else(SqsError::queue_does_not_exist)
    }

    /// The queue `key` to change, retention applied.
    ///
    /// # Errors
    /// QueueDoesNotExist.
    pub fn queue_mut(&mut self, key: &QueueKey, now: Now) -> Result<&mut Queue, SqsError> {
        let queue = self
            .queues
            .get_mut(key)
            .ok_or_else(SqsError::queue_does_not_exist)?;
        if let Some(unsaved) = &mut self.unsaved
            && queue.journal_needs_listing()
        {
            unsaved.touched.push(key.clone());
        }
        queue.expire(now.at);
        Ok(queue)
    }

    /// Queue `key` if it is still incarnation `incarnation` (not deleted and recreated since),
    /// to change; retention is not applied.
    pub fn incarnation_mut(&mut self, key: &QueueKey, incarnation: u64) -> Option<&mut Queue> {
        self.queues
            .get_mut(key)
            .filter(|q| q.incarnation() == incarnation)
    }

    /// Registers a long poll as a waiter on queue `key`, listening to a weighted half of its
    /// servers (see [`standard::listening`]) and answering with up to `capacity` messages;
    /// returns its registration id, the servers it listens to, and the signal it waits on.
    pub fn listen(&mut self, key: &QueueKey, capacity: usize) -> Option<(u64, u64, Arc<Notify>)> {
        let queue = self.queues.get_mut(key)?;
        let listens = standard::listening(&mut self.rng, queue.server_weights());
        let (id, notify) = queue.waiters().register(listens, capacity);
        Some((id, listens, notify))
    }

    /// The queues' CloudWatch figures.
    #[must_use]
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Records every queue's gauges now, in the current minute of its chart.
    pub fn sample_metrics(&mut self, now: Now) {
        for queue in self.queues.values() {
            self.metrics.sample(queue, now.at, now.epoch_ms);
        }
    }

    /// The queues' CloudWatch figures, to count.
    pub fn metrics_mut(&mut self) -> &mut Metrics {
        &mut self.metrics
    }

    /// SNS's topics and subscriptions.
    #[must_use]
    pub fn sns(&self) -> &sns::Registry {
        &self.sns
    }

    /// SNS's topics and subscriptions, to change them (noted for the data directory).
    pub fn sns_mut(&mut self) -> &mut sns::Registry {
        if let Some(unsaved) = &mut self.unsaved {
            unsaved.sns = true;
        }
        &mut self.sns
    }

    /// The message move tasks.
    #[must_use]
    pub fn move_tasks(&self) -> &MoveTasks {
        &self.move_tasks
    }

    /// The message move tasks, to start, cancel or step one.
    pub fn move_tasks_mut(&mut self) -> &mut MoveTasks {
        &mut self.move_tasks
    }

    /// Every queue, in no particular order.
    pub fn queues(&self) -> impl Iterator<Item = &Queue> {
        self.queues.values()
    }

    /// Adds a queue (no checks): a new incarnation, and its simulated storage servers (one
    /// for FIFO queues and in ordered mode).
    pub fn insert_queue(
        &mut self,
        key: QueueKey,
        config: QueueConfig,
        tags: BTreeMap<String, String>,
        now: Now,
    ) {
        let servers = if self.sim.ordered || config.fifo {
            1
        } else {
            self.sim.servers
        };
        let server_weights = standard::server_weights(&mut self.rng, servers);
        let incarnation = self.next_incarnation;
        self.next_incarnation += 1;
        let mut queue = Queue::new(
            incarnation,
            key.clone(),
            config,
            tags,
            server_weights,
            now.epoch_ms / 1000,
        );
        if let Some(unsaved) = &mut self.unsaved {
            queue.keep_journal(false);
            if queue.journal_needs_listing() {
                unsaved.touched.push(key.clone());
            }
        }
        self.queues.insert(key, queue);
    }

    /// Deletes queue `key`, wakes its long polls, and remembers when (the name can be reused
    /// after 60 s).
    ///
    /// # Errors
    /// QueueDoesNotExist.
    pub fn remove_queue(&mut self, key: &QueueKey, now: Now) -> Result<(), SqsError> {
        let mut queue = self
            .queues
            .remove(key)
            .ok_or_else(SqsError::queue_does_not_exist)?;
        queue.wake_waiters();
        if let Some(unsaved) = &mut self.unsaved {
            unsaved.removed.push(queue.incarnation());
        }
        self.deleted.insert(key.clone(), now.at);
        self.metrics.forget(key);
        Ok(())
    }

    /// Wakes the long polls of every queue (the clock moved).
    pub fn wake_all(&mut self) {
        for queue in self.queues.values_mut() {
            queue.wake_waiters();
        }
    }

    /// Keys of the messages a receive on queue `key` can see, in the order it takes them, at
    /// most `limit`: FIFO by its group rules (`fifo.rs`), standard from the simulated servers
    /// that answer (`standard.rs`; `busy` is [`standard::is_busy`] for a full sweep).
    pub fn candidates(
        &mut self,
        key: &QueueKey,
        now: Instant,
        long_poll: bool,
        sweep: Sweep,
        busy: bool,
        limit: usize,
    ) -> Vec<u64> {
        let Some(queue) = self.queues.get(key) else {
            return Vec::new();
        };
        if queue.config().fifo {
            fifo::candidates(queue, now, limit)
        } else {
            standard::candidates(queue, &mut self.rng, now, long_poll, sweep, busy, limit)
        }
    }

    /// The simulated servers that will hold a new message on standard queue `key`.
    pub fn place(&mut self, key: &QueueKey) -> u64 {
        self.queues
            .get(key)
            .map_or(1, |q| standard::place(&mut self.rng, q.server_weights()))
    }

    /// A random lower-case UUID v4 from the seeded RNG.
    pub fn new_message_id(&mut self) -> String {
        let mut bytes = [0; 16];
        self.rng.fill_bytes(&mut bytes);
        uuid::Builder::from_random_bytes(bytes)
            .into_uuid()
            .to_string()
    }

    /// The next FIFO sequence number: 20 digits, increasing, not consecutive.
    pub fn next_sequence_number(&mut self) -> String {
        self.last_sequence += u128::from(self.rng.random_range(1_000..=100_000_u32)) << 8;
        self.last_sequence.to_string()
    }

    /// A fresh receive serial.
    pub fn next_serial(&mut self) -> u64 {
        let serial = self.next_serial;
        self.next_serial += 1;
        serial
    }

    /// A receipt handle for a receive.
    pub fn receipt_handle(&mut self, r: ReceiptRef) -> String {
        let mut padding = [0; receipt::PADDING_LEN];
        self.rng.fill_bytes(&mut padding);
        receipt::encode(&self.secret, r, &padding)
    }

    /// Decodes a handle meant for the current incarnation of queue `key`.
    ///
    /// # Errors
    /// No such queue: QueueDoesNotExist. Garbage, or a handle of another queue (or of an
    /// earlier queue of the same name): ReceiptHandleIsInvalid.
    pub fn decode_handle(&self, handle: &str, key: &QueueKey) -> Result<ReceiptRef, SqsError> {
        let incarnation = self
            .queues
            .get(key)
            .map(Queue::incarnation)
            .ok_or_else(SqsError::queue_does_not_exist)?;
        receipt::decode(&self.secret, handle)
            .filter(|r| r.incarnation == incarnation)
            .ok_or_else(|| SqsError::receipt_handle_is_invalid(handle))
    }

    /// Whether `--fail-rate` fails this batch entry.
    pub fn entry_fails(&mut self) -> bool {
        let p = self.sim.fail_rate;
        p > 0.0 && self.rng.random::<f64>() < p
    }

    /// Whether this delete of a standard message misses a replica (`--duplicate-rate`; never
    /// in ordered mode), so a copy is delivered again later.
    pub fn delete_misses_replica(&mut self) -> bool {
        let rate = if self.sim.ordered {
            0.0
        } else {
            self.sim.duplicate_rate
        };
        rate > 0.0 && self.rng.random_bool(rate.min(1.0))
    }

    /// How long a message that arrived where no waiting long poll listens stays out of sight
    /// (see [`standard::settle_delay`]).
    pub fn settle_delay(&mut self) -> Duration {
        standard::settle_delay(&mut self.rng)
    }

    /// How long after a delete that missed a replica the surviving copy is delivered again.
    pub fn duplicate_delay(&mut self) -> Duration {
        standard::duplicate_delay(&mut self.rng)
    }

    /// Forgets deletions older than 60 s and says whether `key` was deleted more recently.
    pub fn deleted_recently(&mut self, key: &QueueKey, now: Instant) -> bool {
        self.deleted
            .retain(|_, at| *at + Duration::from_secs(60) > now);
        self.deleted.contains_key(key)
    }
}
