//! The queue engine ([`Engine`]) and the [`RequestContext`] every action reads: the seam
//! between the wire (HTTP, JSON and Query protocols) and the actions. Every request arrives
//! here as an action name and a JSON-protocol-shaped input, whatever protocol carried it, and
//! leaves as a JSON-protocol-shaped output or an [`SqsError`].
//!
//! The engine owns the state (`store.rs`) behind a std mutex that is never held across an
//! `.await`, and the clock (`clock.rs`). A long poll waits here, off the lock, registered as a
//! listener of its queue (`waiting.rs`: a send on a server it listens to, or any other change
//! through [`Waiters::wake_all`](super::waiting::Waiters::wake_all)) or until the next message
//! becomes visible or the wait ends: no polling loops, no CPU while idle.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::{Value, json};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::ServeOptions;
use super::actions::{self, move_tasks, receive};
use super::answer::Answer;
use super::attributes::QueueConfig;
use super::clock::Clock;
use super::durable::{Commit, DataDir};
use super::error::SqsError;
use super::input::RequestInput;
use super::metrics::Gauges;
use super::metrics::prometheus::QueueFigures;
use super::move_tasks::mover;
use super::queue::{Queue, QueueKey};
use super::queue_url::Address;
use super::sns;
use super::standard::{self, Sweep};
use super::store::{Now, Simulation, State};
use super::validate::Input;
use super::waiting::Wake;
use crate::rules::DEFAULT_REGION;

/// The server's one account.
pub const DEFAULT_ACCOUNT: &str = "000000000000";

/// Where a request came from and how it was addressed.
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// Region of the queue URL the request was sent to (`/queue/<region>/…`), else from the
    /// SigV4 credential scope, else the server's default (us-east-1).
    pub region: String,
    /// Account id (the server has one: `000000000000`).
    pub account: String,
    /// `host[:port]` the client used, for building queue URLs.
    pub host: String,
    /// The queue whose URL the request was sent to, if any.
    pub path_queue: Option<Address>,
    /// `X-Amzn-Trace-Id`, which SendMessage turns into the `AWSTraceHeader` attribute.
    pub trace_header: Option<String>,
    /// The SenderId to record (from the access key id).
    pub sender_id: String,
}

/// The shared part of an [`Engine`].
struct Shared {
    /// Queues, messages, the RNG. Locked briefly, never across `.await`.
    state: Mutex<State>,
    /// Engine time.
    clock: Clock,
    /// Background work (move tasks): tracked, and stopped with the server.
    background: Background,
    /// `--data-dir`: where changes are kept; `None` keeps everything in memory only.
    data_dir: Option<DataDir>,
}

/// The engine's background tasks and the signals they wait on.
struct Background {
    /// Every runner spawned, so stopping can wait for them.
    tracker: TaskTracker,
    /// Cancelled when the server stops.
    stop: CancellationToken,
    /// Notified when the clock is moved (runners sleeping on it look again).
    ticks: Arc<Notify>,
}

/// The queues and their messages: a cheap clonable handle.
#[derive(Clone)]
pub struct Engine {
    shared: Arc<Shared>,
}

impl Engine {
    /// An engine that keeps everything in memory, with the options' queues created
    /// (`options.data_dir` is not read: [`Engine::open`] reads it).
    #[must_use]
    pub fn new(options: &ServeOptions) -> Self {
        let engine = Self::build(options, Clock::new(), None);
        engine.create_startup_queues(options);
        engine
    }

    /// An engine for `options`: with `--data-dir`, what the directory holds is read back and
    /// every change is kept there; the options' queues are created if missing.
    ///
    /// # Errors
    /// The data directory cannot be opened (in use by another server, unreadable, written by
    /// an incompatible version) or written.
    pub async fn open(options: &ServeOptions) -> anyhow::Result<Self> {
        let Some(path) = &options.data_dir else {
            return Ok(Self::new(options));
        };
        let clock = Clock::new();
        let (data_dir, restored) = DataDir::open(path, reading(&clock))?;
        let engine = Self::build(options, clock, Some(data_dir));
        engine.lock().persist(restored);
        engine.create_startup_queues(options);
        let commit = engine.save(&mut engine.lock());
        commit.done().await.map_err(|_| {
            anyhow::anyhow!(
                "cannot write to the data directory {}: check the disk",
                path.display()
            )
        })?;
        Ok(engine)
    }

    fn build(options: &ServeOptions, clock: Clock, data_dir: Option<DataDir>) -> Self {
        let rng = options
            .seed
            .map_or_else(StdRng::from_os_rng, StdRng::seed_from_u64);
        let sim = Simulation {
            servers: if options.ordered {
                1
            } else {
                standard::server_count(options.servers)
            },
            duplicate_rate: if options.ordered {
                0.0
            } else {
                probability(options.duplicate_rate)
            },
            ordered: options.ordered,
            fail_rate: probability(options.fail_rate),
        };
        Self {
            shared: Arc::new(Shared {
                state: Mutex::new(State::new(rng, sim)),
                clock,
                background: Background {
                    tracker: TaskTracker::new(),
                    stop: CancellationToken::new(),
                    ticks: Arc::new(Notify::new()),
                },
                data_dir,
            }),
        }
    }

    /// Creates the options' queues that do not exist yet.
    fn create_startup_queues(&self, options: &ServeOptions) {
        let now = self.now();
        let mut state = self.lock();
        let subscribed = options.topics.iter().flat_map(|t| &t.queues);
        for name in options.queues.iter().chain(subscribed) {
            let fifo = name.ends_with(".fifo");
            let mut config = QueueConfig::new(fifo);
            config.content_based_deduplication = fifo;
            let key = QueueKey {
                account: DEFAULT_ACCOUNT.to_string(),
                region: DEFAULT_REGION.to_string(),
                name: name.clone(),
            };
            if state.queue(&key).is_err() {
                state.insert_queue(key, config, BTreeMap::new(), now);
            }
        }
        let ctx = RequestContext {
            region: DEFAULT_REGION.to_string(),
            account: DEFAULT_ACCOUNT.to_string(),
            host: String::new(),
            path_queue: None,
            trace_header: None,
            sender_id: String::new(),
        };
        for topic in &options.topics {
            let arns: Vec<String> = topic
                .queues
                .iter()
                .map(|name| {
                    QueueKey {
                        account: DEFAULT_ACCOUNT.to_string(),
                        region: DEFAULT_REGION.to_string(),
                        name: name.clone(),
                    }
                    .arn()
                })
                .collect();
            if let Err(error) = sns::create_wired_topic(&mut state, &ctx, &topic.name, &arns) {
                crate::exit::note(format_args!(
                    "queue serve: topic {} not created: {error}",
                    topic.name
                ));
            }
        }
    }

    /// Every queue's figures for a `/metrics` scrape, its gauges sampled now (and kept in
    /// the current minute of its chart).
    pub(super) fn scrape(&self) -> Vec<QueueFigures> {
        self.with_state(|state, now| {
            state.sample_metrics(now);
            let mut figures: Vec<QueueFigures> = state
                .queues()
                .map(|queue| {
                    let key = queue.key().clone();
                    let stats = state.metrics().of(&key);
                    QueueFigures {
                        totals: stats.map(|s| *s.totals()).unwrap_or_default(),
                        gauges: Gauges::of(queue, now.at, now.epoch_ms),
                        key,
                    }
                })
                .collect();
            figures.sort_by(|a, b| a.key.cmp(&b.key));
            figures
        })
    }

    /// Samples every queue's gauges once a minute, for the charts, until the server stops.
    pub(super) fn start_sampler(&self) {
        let engine = self.clone();
        let stop = self.shared.background.stop.clone();
        self.shared.background.tracker.spawn(async move {
            loop {
                let now_ms = u64::try_from(
                    std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .unwrap_or_default()
                        .as_millis(),
                )
                .unwrap_or(0);
                // Just after the next minute starts.
                let wait = 60_000 - now_ms % 60_000 + 50;
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_millis(wait)) => {}
                    () = stop.cancelled() => return,
                }
                engine.with_state(|state, now| state.sample_metrics(now));
            }
        });
    }

    /// The ARNs of every SNS topic, for the banner.
    #[must_use]
    pub fn topic_arns(&self) -> Vec<String> {
        self.lock().sns().topics.keys().cloned().collect()
    }

    /// Hands the changes made under this hold of the lock to the data directory (so they are
    /// written in the order they were made); an answer that reports them waits for the
    /// returned commit.
    fn save(&self, state: &mut State) -> Commit {
        let Some(data_dir) = &self.shared.data_dir else {
            return Commit::Nothing;
        };
        match state.take_changes(self.now()) {
            Some(changes) => data_dir.commit(changes),
            None => Commit::Nothing,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.shared
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn now(&self) -> Now {
        reading(&self.shared.clock)
    }

    /// Moves the engine's clock forward and wakes waiting long polls.
    pub fn advance_clock(&self, by: Duration) {
        self.shared.clock.advance(by);
        self.lock().wake_all();
        self.shared.background.ticks.notify_waiters();
    }

    /// Runs `f` on the state under the lock, with the engine's "now".
    /// Its changes go to the data directory without waiting for the disk.
    pub(super) fn with_state<T>(&self, f: impl FnOnce(&mut State, Now) -> T) -> T {
        let now = self.now();
        let mut state = self.lock();
        let result = f(&mut state, now);
        drop(self.save(&mut state));
        result
    }

    /// Sleeps until the engine clock reads `at` (sooner if the clock is moved past it; wake
    /// on [`Engine::ticks`] to notice).
    pub(super) async fn sleep_until(&self, at: tokio::time::Instant) {
        tokio::time::sleep_until(self.shared.clock.to_tokio(at)).await;
    }

    /// Notified whenever the clock is moved.
    pub(super) fn ticks(&self) -> Arc<Notify> {
        Arc::clone(&self.shared.background.ticks)
    }

    /// Stops the background work (move tasks) and waits for it, then writes what is left
    /// to the data directory and closes it.
    pub async fn stop_background(&self) {
        let background = &self.shared.background;
        background.stop.cancel();
        background.tracker.close();
        background.tracker.wait().await;
        if let Some(data_dir) = &self.shared.data_dir {
            let commit = self.save(&mut self.lock());
            let _ = commit.done().await;
            data_dir.close().await;
        }
    }

    /// StartMessageMoveTask: records the task, then starts its runner.
    async fn start_move_task(
        &self,
        ctx: &RequestContext,
        input: &Input<'_>,
    ) -> Result<Value, SqsError> {
        let now = self.now();
        let (started, commit) = {
            let mut state = self.lock();
            let started = move_tasks::StartMessageMoveTaskRequest::parse(ctx, input, &state)?
                .start(&mut state, now)?;
            (started, self.save(&mut state))
        };
        let background = &self.shared.background;
        background.tracker.spawn(mover::run(
            self.clone(),
            started.id,
            started.wake,
            background.stop.clone(),
        ));
        commit.done().await?;
        Ok(started.answer)
    }

    /// Runs one action. `action` is the operation name (`SendMessage`); `input` is the request
    /// as the JSON protocol would carry it, and so is the answer.
    ///
    /// # Errors
    /// Any SQS error the action can answer with, including `UnsupportedOperation` for unknown
    /// actions.
    pub async fn dispatch(
        &self,
        ctx: &RequestContext,
        action: &str,
        input: Value,
    ) -> Result<Value, SqsError> {
        self.answer(ctx, action, RequestInput::Value(input))
            .await
            .map(Answer::into_value)
    }

    /// [`Engine::dispatch`] with the answer as the action gave it: typed on the hot actions,
    /// so the JSON protocol writes it without building a value (see `answer.rs`); their input
    /// may come read into fields (see `input.rs`).
    ///
    /// # Errors
    /// As [`Engine::dispatch`].
    pub(super) async fn answer(
        &self,
        ctx: &RequestContext,
        action: &str,
        input: RequestInput,
    ) -> Result<Answer, SqsError> {
        let input = input.input();
        if action == "ReceiveMessage" {
            return self.receive(ctx, &input).await;
        }
        if action == "StartMessageMoveTask" {
            return self.start_move_task(ctx, &input).await.map(Answer::Value);
        }
        let apply = actions::find(action).ok_or_else(|| SqsError::unsupported_operation(action))?;
        let now = self.now();
        let (answer, commit) = {
            let mut state = self.lock();
            let answer = apply(&mut state, ctx, &input, now);
            // A failed request may have changed something too (a batch's other entries).
            (answer, self.save(&mut state))
        };
        commit.done().await?;
        answer
    }

    /// Runs one SNS action (`sns.rs`) under the state lock, as the SQS actions run; what it
    /// delivered to queues is committed before it answers.
    ///
    /// # Errors
    /// Any SNS error the action answers.
    pub(super) async fn sns(
        &self,
        ctx: &RequestContext,
        action: &str,
        params: &[(String, String)],
    ) -> Result<sns::Output, sns::SnsError> {
        let now = self.now();
        let (answer, commit) = {
            let mut state = self.lock();
            let answer = sns::run(&mut state, ctx, action, params, now);
            (answer, self.save(&mut state))
        };
        commit.done().await?;
        answer
    }

    /// ReceiveMessage: a short poll answers at once; a long poll that finds nothing waits (off
    /// the lock) as a registered listener of its queue until a wake, the next message
    /// becoming visible, or its deadline. A send on a server it listens to makes it answer from
    /// those servers; every other wake, and the deadline, sweeps the whole queue.
    async fn receive(&self, ctx: &RequestContext, input: &Input<'_>) -> Result<Answer, SqsError> {
        let start = self.now();
        let request = receive::ReceiveMessageRequest::parse(ctx, input, &self.lock())?;
        let long_poll = request.wait > 0;
        let deadline = start.at + Duration::from_secs(request.wait);
        let mut listener: Option<Listener> = None;
        let mut sweep = Sweep::Full;
        let mut stale: Option<Listener> = None;
        loop {
            let now = self.now();
            let last = !long_poll || now.at >= deadline;
            // Answered (with the commit of what it changed), or when to look again.
            let step = {
                let mut state = self.lock();
                // The deadline sweeps every server: a long poll never answers empty while a
                // message is visible.
                let sweep = if last { Sweep::Full } else { sweep };
                match receive::attempt(&mut state, &request, now, long_poll, sweep, last)? {
                    receive::ReceiveStep::Done(answer) => Ok((answer, self.save(&mut state))),
                    receive::ReceiveStep::Wait { wake_at } => {
                        let incarnation = state.queue(&request.key).ok().map(Queue::incarnation);
                        if listener.as_ref().map(|l| l.incarnation) != incarnation {
                            // First wait (or the queue was recreated): start listening. A
                            // stale registration is dropped once the lock is released.
                            stale = listener.take();
                            listener = incarnation.and_then(|incarnation| {
                                Listener::register(self, &mut state, &request, incarnation)
                            });
                        }
                        Err(wake_at.map_or(deadline, |w| w.min(deadline)))
                    }
                }
            };
            let target = match step {
                Ok((answer, commit)) => {
                    // Received messages are on disk as in flight before anyone sees them.
                    commit.done().await?;
                    return Ok(answer);
                }
                Err(target) => target,
            };
            drop(stale.take());
            let Some(registered) = listener.as_ref() else {
                return Ok(Answer::Value(json!({})));
            };
            let sleep = tokio::time::sleep_until(self.shared.clock.to_tokio(target));
            tokio::select! {
                () = registered.notify.notified() => {}
                () = sleep => {}
            }
            sweep = registered.take_wake(&mut self.lock());
        }
    }
}

/// A long poll registered as a waiter on its queue; unregisters when dropped (answered, or
/// the client went away).
struct Listener {
    engine: Engine,
    key: QueueKey,
    incarnation: u64,
    id: u64,
    listens: u64,
    notify: Arc<Notify>,
}

impl Listener {
    /// Registers a waiter on the request's queue, listening to a weighted half of its servers.
    fn register(
        engine: &Engine,
        state: &mut State,
        request: &receive::ReceiveMessageRequest,
        incarnation: u64,
    ) -> Option<Self> {
        let (id, listens, notify) = state.listen(&request.key, request.max)?;
        Some(Self {
            engine: engine.clone(),
            key: request.key.clone(),
            incarnation,
            id,
            listens,
            notify,
        })
    }

    /// How to look after waking: the servers it listens to after a send there, else all.
    fn take_wake(&self, state: &mut State) -> Sweep {
        let wake = state
            .incarnation_mut(&self.key, self.incarnation)
            .and_then(|q| q.waiters().take_wake(self.id));
        match wake {
            Some(Wake::Listened) => Sweep::Listening(self.listens),
            Some(Wake::Sweep) | None => Sweep::Full,
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let mut state = self.engine.lock();
        if let Some(queue) = state.incarnation_mut(&self.key, self.incarnation) {
            queue.waiters().remove(self.id);
        }
    }
}

/// What `clock` reads now, as an instant and in epoch milliseconds.
fn reading(clock: &Clock) -> Now {
    let at = clock.now();
    Now {
        at,
        epoch_ms: clock.epoch_ms(at),
    }
}

/// A rate as a probability: clamped to 0–1, NaN as 0 (the engine's rates and the wire's).
pub(super) fn probability(rate: f64) -> f64 {
    if rate.is_nan() {
        0.0
    } else {
        rate.clamp(0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use crate::server::engine::Engine;
    use crate::server::test_support::{bodies, create, options, receive, send};
    use serde_json::json;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn long_poll_wakes_on_send_and_on_visibility_expiry() {
        let engine = Engine::new(&options(true));
        let url = create(&engine, "lp", json!({"VisibilityTimeout": "3"})).await;
        let waiter = {
            let engine = engine.clone();
            let url = url.clone();
            tokio::spawn(async move {
                let start = tokio::time::Instant::now();
                let got = receive(&engine, &url, 10, 20).await;
                (bodies(&got), start.elapsed())
            })
        };
        tokio::time::sleep(Duration::from_secs(2)).await;
        send(&engine, &url, "wake").await;
        let (got, waited) = waiter.await.unwrap();
        assert_eq!(got, ["wake"]);
        assert!(waited < Duration::from_secs(3), "waited {waited:?}");
        // Not deleted: a long poll returns when its visibility timeout ends.
        let start = tokio::time::Instant::now();
        assert_eq!(bodies(&receive(&engine, &url, 10, 20).await), ["wake"]);
        let waited = start.elapsed();
        assert!(
            waited >= Duration::from_secs(2) && waited < Duration::from_secs(4),
            "{waited:?}"
        );
        // advance_clock wakes waiters too.
        let waiter = {
            let engine = engine.clone();
            let url = url.clone();
            tokio::spawn(async move { receive(&engine, &url, 10, 20).await })
        };
        tokio::task::yield_now().await;
        engine.advance_clock(Duration::from_secs(4));
        assert_eq!(bodies(&waiter.await.unwrap()), ["wake"]);
        // Nothing at all: empty after the wait.
        let empty = create(&engine, "empty", json!({})).await;
        assert!(receive(&engine, &empty, 10, 1).await.is_empty());
    }
}
