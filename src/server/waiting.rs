//! Long polls waiting on a queue: which simulated servers each one listens to, and how a change
//! wakes them. A new standard-queue message wakes one poll listening to a server that holds it
//! ([`Waiters::offer`]); on a queue with one server, where every poll sees every message,
//! only as many polls as the new messages fill ([`Waiters::promise`]); anything else that can
//! make a message receivable wakes them all for a full sweep ([`Waiters::wake_all`]).

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
    /// Most messages it answers with (its MaxNumberOfMessages).
    capacity: usize,
    /// New messages [`Waiters::promise`] counted on it to take since it was last woken.
    promised: usize,
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
    /// Registers a poll listening to `listens` that answers with up to `capacity` messages;
    /// returns its id and the signal it waits on.
    pub fn register(&mut self, listens: u64, capacity: usize) -> (u64, Arc<Notify>) {
        let id = self.next_id;
        self.next_id += 1;
        let notify = Arc::new(Notify::new());
        self.list.push(Waiter {
            id,
            listens,
            notify: Arc::clone(&notify),
            wake: None,
            capacity,
            promised: 0,
        });
        (id, notify)
    }

    /// Forgets a poll (it answered, or its request went away). New messages counted on it
    /// that it may not have taken are promised to the others.
    pub fn remove(&mut self, id: u64) {
        let Some(at) = self.list.iter().position(|w| w.id == id) else {
            return;
        };
        let gone = self.list.remove(at);
        if gone.wake.is_some() {
            for _ in 0..gone.promised {
                self.promise();
            }
        }
    }

    /// Whether any long poll is waiting.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Takes poll `id`'s pending wake (`None`: its timer ran out, or it was not woken).
    pub fn take_wake(&mut self, id: u64) -> Option<Wake> {
        let waiter = self.list.iter_mut().find(|w| w.id == id)?;
        waiter.promised = 0;
        waiter.wake.take()
    }

    /// Wakes every waiting poll for a full sweep: a visibility change, a message moved in,
    /// a purge, the clock moved, a FIFO group unlocked — anything but a new message.
    pub fn wake_all(&mut self) {
        for waiter in &mut self.list {
            waiter.wake = Some(Wake::Sweep);
            waiter.notify.notify_one();
        }
    }

    /// A new message on a queue whose every poll sees every message (one simulated server):
    /// counted on the longest-waiting woken poll that has room left in its answer, else it
    /// wakes the longest-waiting poll not woken yet. A woken poll takes every message it can
    /// see, up to its capacity, so a batch of new messages wakes one poll, not all of them.
    pub fn promise(&mut self) {
        let room = |w: &&mut Waiter| w.wake.is_some() && w.promised < w.capacity;
        if let Some(waiter) = self.list.iter_mut().find(room) {
            waiter.promised += 1;
            return;
        }
        if let Some(waiter) = self.list.iter_mut().find(|w| w.wake.is_none()) {
            waiter.wake = Some(Wake::Listened);
            waiter.promised = 1;
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
        let (a, _) = waiters.register(0b0011, 10);
        let (b, _) = waiters.register(0b0110, 10);
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

    #[test]
    fn promise_wakes_a_poll_only_when_the_woken_ones_are_full() {
        let mut waiters = Waiters::default();
        let (a, _) = waiters.register(u64::MAX, 2);
        let (b, _) = waiters.register(u64::MAX, 10);
        let (c, _) = waiters.register(u64::MAX, 10);
        waiters.promise();
        waiters.promise();
        assert_eq!(waiters.take_wake(b), None, "a has room for two");
        waiters.promise();
        assert_eq!(waiters.take_wake(a), Some(Wake::Listened), "oldest first");
        assert_eq!(waiters.take_wake(b), Some(Wake::Listened), "the third: b");
        assert_eq!(waiters.take_wake(c), None);
        // A taken wake clears the count: the next messages wake the oldest again.
        waiters.promise();
        waiters.promise();
        waiters.promise();
        // a (woken, full) leaves with two messages counted on it: b, woken, has room for them.
        waiters.remove(a);
        assert_eq!(waiters.take_wake(c), None);
        // b leaves with its wake pending too: c is woken for what was counted on b.
        waiters.remove(b);
        assert_eq!(waiters.take_wake(c), Some(Wake::Listened));
        waiters.remove(c);
        waiters.promise();
        assert!(waiters.is_empty());
    }
}
