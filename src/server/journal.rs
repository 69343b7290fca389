//! What changed in one queue since its changes were last handed to the data directory
//! (`--data-dir`, see `durable.rs`): the keys of the messages and deduplication records to
//! write or erase, and whether the queue's own record must be rewritten or everything it held
//! erased first (a purge). A queue keeps a journal only when the server persists.

use foldhash::HashSet;

/// The queue's changes since the last commit.
#[derive(Debug, Default)]
pub struct Journal {
    /// The queue's record (attributes, tags, timestamps) changed.
    pub record: bool,
    /// Every message and deduplication record went (PurgeQueue); the writer erases them
    /// before writing the keys below, which changed after the purge.
    pub purged: bool,
    /// Messages written or removed: a key still in the queue is written, a missing one erased.
    pub messages: HashSet<u64>,
    /// Deduplication records written or pruned, by scope key, the same way.
    pub dedup: HashSet<String>,
    /// The store already lists this queue among those with changes.
    pub listed: bool,
}

impl Journal {
    /// A journal for a queue not yet on disk: its record must be written.
    #[must_use]
    pub fn new_queue() -> Self {
        Self {
            record: true,
            ..Self::default()
        }
    }

    /// Nothing to write.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        !self.record && !self.purged && self.messages.is_empty() && self.dedup.is_empty()
    }

    /// PurgeQueue: everything goes; earlier changes no longer matter.
    pub fn purge(&mut self) {
        self.purged = true;
        self.messages.clear();
        self.dedup.clear();
    }
}
