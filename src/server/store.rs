//! The engine's state behind the mutex: every queue, recently deleted names, the one seeded
//! RNG, and the lookups shared by actions (queue URLs, ARNs, ids).

use std::collections::HashMap;

use rand::rngs::StdRng;
use rand::{Rng, RngCore};
use tokio::time::{Duration, Instant};

use super::engine::RequestContext;
use super::error::SqsError;
use super::move_tasks::MoveTasks;
use super::queue::{Queue, QueueKey};
use super::queue_url;
use super::receipt::{self, ReceiptRef};
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
    pub queues: HashMap<QueueKey, Queue>,
    /// When each recently deleted name was deleted (reuse needs 60 s).
    pub deleted: HashMap<QueueKey, Instant>,
    /// The only source of randomness.
    pub rng: StdRng,
    /// Simulation knobs.
    pub sim: Simulation,
    /// Key for receipt-handle checks.
    pub secret: [u8; 16],
    /// Next queue incarnation.
    pub next_incarnation: u64,
    /// Next receive serial.
    pub next_serial: u64,
    /// Last FIFO sequence number handed out (20 digits, increasing).
    pub last_sequence: u128,
    /// Message move tasks (DLQ redrive).
    pub move_tasks: MoveTasks,
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
            queues: HashMap::new(),
            deleted: HashMap::new(),
            rng,
            sim,
            secret,
            next_incarnation: 1,
            next_serial: 1,
            last_sequence: 18_849_496_460_467_696_128,
            move_tasks: MoveTasks::default(),
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

    /// The queue a request names, retention applied.
    ///
    /// # Errors
    /// QueueDoesNotExist.
    pub fn queue_mut(
        &mut self,
        ctx: &RequestContext,
        input: &Input<'_>,
        now: Now,
    ) -> Result<&mut Queue, SqsError> {
        let key = Self::key_of(ctx, input)?;
        let queue = self
            .queues
            .get_mut(&key)
            .ok_or_else(SqsError::queue_does_not_exist)?;
        queue.expire(now.at);
        Ok(queue)
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
            .map(|q| q.incarnation)
            .ok_or_else(SqsError::queue_does_not_exist)?;
        receipt::decode(&self.secret, handle)
            .filter(|r| r.incarnation == incarnation)
            .ok_or_else(|| SqsError::receipt_handle_is_invalid(handle))
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && self.rng.random::<f64>() < p
    }

    /// Forgets deletions older than 60 s and says whether `key` was deleted more recently.
    pub fn deleted_recently(&mut self, key: &QueueKey, now: Instant) -> bool {
        self.deleted
            .retain(|_, at| *at + Duration::from_secs(60) > now);
        self.deleted.contains_key(key)
    }
}
