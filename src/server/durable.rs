//! `queue serve --data-dir DIR`: the queues, their messages and the FIFO deduplication windows,
//! and SNS's topics and subscriptions, kept in an embedded database (`DIR/queue.redb`), so
//! they survive a restart or a `kill -9`.
//!
//! Queues note what changes in a journal (`journal.rs`); after each request the engine hands
//! the changes to one writer thread, in the order they were made, and the answer waits until
//! they are on disk. The writer commits everything handed to it meanwhile in one transaction
//! (one disk sync for many requests). A crash loses nothing that was answered; what it may
//! redo is at-least-once, as SQS is: a message received but not deleted becomes visible again
//! when its visibility timeout ends. Not kept: long polls, move tasks (a restart stops them;
//! the messages already moved stay moved), ReceiveRequestAttemptId answers, the order of FIFO
//! groups in the line, and the names deleted in the last 60 s.

mod records;
mod tables;
#[cfg(test)]
mod tests;

use std::path::Path;
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use anyhow::{Context as _, Result, anyhow, bail};
use redb::Database;
use tokio::sync::oneshot;

use super::error::SqsError;
use super::journal::Journal;
use super::queue::{Message, Queue};
use super::sns;
use super::store::Now;
pub use records::{Counters, FORMAT, QueueRecord, epoch_ms, instant};
use records::{DedupRecordOnDisk, MessageRecord};

/// The database file inside the directory.
const FILE: &str = "queue.redb";
/// Groups of changes written in one transaction at most (bounds a transaction's size).
const MAX_GROUPS_PER_COMMIT: usize = 4096;

/// Changes made under one hold of the engine's lock, in the order they were made.
#[derive(Debug)]
pub struct Changes {
    /// The engine-wide counters after the changes.
    pub counters: Counters,
    /// Incarnations of the queues deleted.
    pub removed: Vec<u64>,
    /// The queues that changed.
    pub queues: Vec<QueueChanges>,
    /// SNS's topics and subscriptions, whole, when they changed.
    pub sns: Option<sns::Snapshot>,
}

/// One queue's changes.
#[derive(Debug)]
pub struct QueueChanges {
    /// The queue's incarnation.
    incarnation: u64,
    /// Its record, when it changed.
    record: Option<QueueRecord>,
    /// Every message and deduplication record went first (PurgeQueue).
    purged: bool,
    /// Messages to write (`Some`) or erase (`None`), by key.
    messages: Vec<(u64, Option<MessageRecord>)>,
    /// Deduplication records to write or erase, by scope key.
    dedup: Vec<(String, Option<DedupRecordOnDisk>)>,
}

impl QueueChanges {
    /// What `journal` says changed in `queue`, read from the queue as it is now.
    #[must_use]
    pub fn of(queue: &Queue, journal: Journal, now: Now) -> Self {
        Self {
            incarnation: queue.incarnation(),
            record: journal.record.then(|| QueueRecord::of(queue)),
            purged: journal.purged,
            messages: journal
                .messages
                .into_iter()
                .map(|key| (key, queue.message(key).map(|m| MessageRecord::of(m, now))))
                .collect(),
            dedup: journal
                .dedup
                .into_iter()
                .map(|scope| {
                    let record = queue.dedup().get(&scope);
                    let record = record.map(|r| DedupRecordOnDisk::of(r, now));
                    (scope, record)
                })
                .collect(),
        }
    }
}

/// One queue read back from the directory.
pub struct RestoredQueue {
    /// Its record: identity, attributes, tags, timestamps.
    pub record: QueueRecord,
    /// Its messages by key.
    pub messages: std::collections::BTreeMap<u64, Message>,
    /// Its deduplication window by scope key.
    pub dedup: foldhash::HashMap<String, super::queue::DedupRecord>,
}

/// What the directory held at start.
pub struct Restored {
    /// The counters, `None` for a new directory.
    pub counters: Option<Counters>,
    /// The queues.
    pub queues: Vec<RestoredQueue>,
    /// SNS's topics and subscriptions (empty for a directory that has none).
    pub sns: sns::Registry,
}

/// A request for the writer: changes to write and whom to tell, or the end.
enum Job {
    Write {
        changes: Changes,
        done: oneshot::Sender<Result<(), String>>,
    },
    Close(oneshot::Sender<()>),
}

/// The open data directory: the writer thread and its queue of jobs.
pub struct DataDir {
    /// Jobs for the writer, in the order the changes were made.
    jobs: Mutex<Option<mpsc::Sender<Job>>>,
    /// Why writing failed, once it has: every later change is refused.
    failure: Arc<Mutex<Option<String>>>,
    /// The writer thread, joined on close.
    writer: Mutex<Option<JoinHandle<()>>>,
}

/// Waits for changes to be on disk.
#[must_use]
pub enum Commit {
    /// Nothing changed.
    Nothing,
    /// Handed to the writer.
    Pending(oneshot::Receiver<Result<(), String>>),
    /// The directory can no longer be written.
    Failed,
}

impl Commit {
    /// Resolves once the changes are on disk.
    ///
    /// # Errors
    /// InternalError when they could not be written: the client retries, and nothing it was
    /// told succeeded is lost.
    pub async fn done(self) -> Result<(), SqsError> {
        match self {
            Self::Nothing => Ok(()),
            Self::Pending(done) => match done.await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(_)) | Err(_) => Err(SqsError::internal_error()),
            },
            Self::Failed => Err(SqsError::internal_error()),
        }
    }
}

impl DataDir {
    /// Opens (or creates) the data directory `path` and reads back what it holds, on the
    /// engine clock reading `now`.
    ///
    /// # Errors
    /// The directory cannot be made or read, another `queue serve` has it open, or it was
    /// written by an incompatible version.
    pub fn open(path: &Path, now: Now) -> Result<(Self, Restored)> {
        std::fs::create_dir_all(path).with_context(|| {
            format!(
                "cannot create the data directory {}: check the path and its permissions",
                path.display()
            )
        })?;
        let db = Database::create(path.join(FILE)).map_err(|error| match error {
            redb::DatabaseError::DatabaseAlreadyOpen => anyhow!(
                "the data directory {} is in use by another `queue serve`: stop it first, or give this one another --data-dir",
                path.display()
            ),
            other => anyhow!(
                "cannot open the data directory {} ({other}): check that this user may write to it and that it holds a `queue serve` data directory",
                path.display()
            ),
        })?;
        Self::start(db, path, now)
    }

    /// Reads back what `db` (the database of directory `path`) holds and starts its writer.
    fn start(db: Database, path: &Path, now: Now) -> Result<(Self, Restored)> {
        tables::create(&db)
            .map_err(|e| anyhow!("cannot write to the data directory {}: {e}", path.display()))?;
        let saved = tables::load(&db)
            .map_err(|e| anyhow!("cannot read the data directory {}: {e}", path.display()))?;
        if let Some(counters) = &saved.counters
            && counters.format != FORMAT
        {
            bail!(
                "the data directory {} was written by another version of queue (format {}, this one reads {FORMAT}): use a new --data-dir",
                path.display(),
                counters.format
            );
        }
        let restored = Restored {
            counters: saved.counters,
            queues: saved
                .queues
                .into_iter()
                .map(|q| RestoredQueue {
                    record: q.record,
                    messages: (q.messages.into_iter())
                        .map(|(key, m)| (key, m.into_message(now)))
                        .collect(),
                    dedup: (q.dedup.into_iter())
                        .map(|(scope, r)| (scope, r.into_record(now)))
                        .collect(),
                })
                .collect(),
            sns: saved
                .sns
                .map(|snapshot| sns::Registry::restore(snapshot, now))
                .unwrap_or_default(),
        };
        let (jobs, inbox) = mpsc::channel();
        let failure = Arc::new(Mutex::new(None));
        let writer = std::thread::Builder::new()
            .name("queue-data-dir".into())
            .spawn({
                let failure = Arc::clone(&failure);
                let path = path.to_path_buf();
                move || write_loop(&db, &inbox, &failure, &path)
            })
            .context("cannot start the data directory's writer thread")?;
        Ok((
            Self {
                jobs: Mutex::new(Some(jobs)),
                failure,
                writer: Mutex::new(Some(writer)),
            },
            restored,
        ))
    }

    /// Hands `changes` to the writer; they are written after every change handed earlier.
    /// Call it under the engine's lock, so the order of hand-over is the order of change.
    pub fn commit(&self, changes: Changes) -> Commit {
        if self.failed() {
            return Commit::Failed;
        }
        let (done, wait) = oneshot::channel();
        let job = Job::Write { changes, done };
        let jobs = self.jobs.lock().unwrap_or_else(PoisonError::into_inner);
        let sent = jobs.as_ref().is_some_and(|jobs| jobs.send(job).is_ok());
        if sent {
            Commit::Pending(wait)
        } else {
            Commit::Failed
        }
    }

    /// Whether writing has failed (every change is then refused).
    fn failed(&self) -> bool {
        self.failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some()
    }

    /// Writes what was handed over, closes the database (freeing the directory for another
    /// server) and stops the writer.
    pub async fn close(&self) {
        if let Some(jobs) = take(&self.jobs) {
            let (closed, wait) = oneshot::channel();
            if jobs.send(Job::Close(closed)).is_ok() {
                let _ = wait.await;
            }
        }
        if let Some(writer) = take(&self.writer) {
            let _ = tokio::task::spawn_blocking(move || writer.join()).await;
        }
    }
}

/// Empties `slot` and returns what it held.
fn take<T>(slot: &Mutex<Option<T>>) -> Option<T> {
    slot.lock().unwrap_or_else(PoisonError::into_inner).take()
}

/// The writer thread: takes every job waiting, writes their changes in one transaction, then
/// answers them all. After a failure it answers every job with the failure.
fn write_loop(
    db: &Database,
    inbox: &mpsc::Receiver<Job>,
    failure: &Mutex<Option<String>>,
    path: &Path,
) {
    while let Ok(first) = inbox.recv() {
        let mut groups = Vec::new();
        let mut waiting = Vec::new();
        let mut closed = None;
        let mut next = Some(first);
        while let Some(job) = next.take() {
            match job {
                Job::Write { changes, done } => {
                    groups.push(changes);
                    waiting.push(done);
                }
                Job::Close(closed_tx) => {
                    closed = Some(closed_tx);
                    break;
                }
            }
            if groups.len() < MAX_GROUPS_PER_COMMIT {
                next = inbox.try_recv().ok();
            }
        }
        let result = match failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
        {
            Some(earlier) => Err(earlier),
            None if groups.is_empty() => Ok(()),
            None => tables::write(db, &groups),
        };
        if let Err(error) = &result {
            let mut failure = failure.lock().unwrap_or_else(PoisonError::into_inner);
            if failure.is_none() {
                crate::exit::note(format_args!(
                    "queue serve: cannot write to the data directory {} ({error}): requests that change something now fail; stop the server and check the disk",
                    path.display()
                ));
                *failure = Some(error.clone());
            }
        }
        for done in waiting {
            let _ = done.send(result.clone());
        }
        if let Some(closed) = closed {
            let _ = closed.send(());
            return;
        }
    }
}
