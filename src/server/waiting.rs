//! Long polls waiting on a queue: which simulated servers each one listens to, and how a change
//! wakes them. A new standard-queue message wakes one poll listening to a server that holds it
//! ([`Waiters::offer`]); anything else that can make a message receivable wakes them all for a
//! full sweep ([`Waiters::wake_all`]).

use std::sync::Arc;

use tokio::sync::Notify;

/// Why a waiting poll was woken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    /// A message arrived on a server it listens to: answer from those servers.
    Listened,
    /// Something else changed (or the poll must re-check the whole queue): sweep every server.
    Sweep,
}

/// One waiting long poll.
#[derive(Debug)]
struct Waiter {
    /// Registration id, unique within the queue.
    id: u64,
    /// Bit `i` set when it listens to simulated server `i`.
    listens: u64,
    /// Signalled once per wake (`notify_one` keeps the permit if the poll is not awaiting yet).
    notify: Arc<Notify>,
    /// The pending wake, taken by the poll when it runs.
    wake: Option<Wake>,
}

/// The long polls waiting on one queue, in the order they started waiting.
#[derive(Debug, Default)]
pub struct Waiters {
    /// Next registration id.
    next_id: u64,
    /// Waiting polls, oldest first.
    list: Vec<Waiter>,
}

impl Waiters {
    /// Registers a poll listening to `listens`; returns its id and the signal it waits on.
    pub fn register(&mut self, listens: u64) -> (u64, Arc<Notify>) {
        let id = self.next_id;
        self.next_id += 1;
        let notify = Arc::new(Notify::new());
        self.list.push(Waiter {
            id,
            listens,
            notify: Arc::clone(&notify),
            wake: None,
        });
        (id, notify)
    }

    /// Forgets a poll (it answered, or its request went away).
    pub fn remove(&mut self, id: u64) {
        self.list.retain(|w| w.id != id);
    }

    /// Whether any long poll is waiting.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Takes poll `id`'s pending wake (`None`: its timer ran out, or it was not woken).
    pub fn take_wake(&mut self, id: u64) -> Option<Wake> {
        self.list
            .iter_mut()
            .find(|w| w.id == id)
            .and_then(|w| w.wake.take())
    }

    /// Wakes every waiting poll for a full sweep: a visibility change, a message moved in,
    /// a purge, the clock moved, a FIFO group unlocked — anything but a new message.
    pub fn wake_all(&mut self) {
        for waiter in &mut self.list {
            waiter.wake = Some(Wake::Sweep);
            waiter.notify.notify_one();
        }
    }

    /// A new message stored on `servers`: wakes the longest-waiting poll that listens to one
    /// of them and is not already woken. Returns whether any waiting poll listens to them
    /// (a poll already woken will find the message too); `false` means the message landed
    /// where no waiting poll is looking.
    pub fn offer(&mut self, servers: u64) -> bool {
        let mut listened = false;
        for waiter in &mut self.list {
            if waiter.listens & servers == 0 {
                continue;
            }
            listened = true;
            if waiter.wake.is_none() {
                waiter.wake = Some(Wake::Listened);
                waiter.notify.notify_one();
                return true;
            }
        }
        listened
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offer_wakes_one_listener_and_says_when_nobody_listens() {
        let mut waiters = Waiters::default();
        let (a, _) = waiters.register(0b0011);
        let (b, _) = waiters.register(0b0110);
        assert!(!waiters.offer(0b1000), "nobody listens to server 3");
        assert!(waiters.offer(0b0010));
        assert_eq!(waiters.take_wake(a), Some(Wake::Listened), "oldest first");
        assert_eq!(waiters.take_wake(b), None, "one listener per message");
        assert!(
            waiters.offer(0b0010),
            "a took its wake: it can be woken again"
        );
        assert!(waiters.offer(0b0010), "a is woken: the next listener, b");
        assert_eq!(waiters.take_wake(b), Some(Wake::Listened));
        waiters.wake_all();
        assert_eq!(waiters.take_wake(a), Some(Wake::Sweep));
        waiters.remove(a);
        assert!(waiters.offer(0b0100), "b still listens");
        waiters.remove(b);
        assert!(waiters.is_empty());
    }
}
