//! A bench run's settings, resolved once from the command line, and what a run costs on
//! AWS: the requests it expects to make and SQS's price for them.

use std::time::Duration;

use crate::cli::{BenchArgs, BenchOutput, DeleteMode};
use crate::exit::UsageError;

/// SQS bills one request per started 64 KiB of payload.
pub const BILLING_CHUNK: usize = 64 * 1024;
/// US dollars per million standard-queue requests (us-east-1, past the free tier).
pub const STANDARD_PRICE_PER_MILLION: f64 = 0.40;
/// US dollars per million FIFO-queue requests (us-east-1, past the free tier).
pub const FIFO_PRICE_PER_MILLION: f64 = 0.50;
/// Messages above which a run against a non-local endpoint asks first.
pub const CONFIRM_ABOVE: u64 = 10_000;

/// When producers stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    /// Send for this long after the warm-up.
    Duration(Duration),
    /// Send this many measured messages.
    Count(u64),
}

/// Everything a run needs to know, checked.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Producer tasks.
    pub producers: u16,
    /// Consumer tasks.
    pub consumers: u16,
    /// Messages per second over all producers; `None` is unlimited.
    pub rate: Option<f64>,
    /// Body size in bytes.
    pub size: usize,
    /// Messages per send, receive and delete request.
    pub batch: usize,
    /// Long-poll wait in seconds.
    pub wait: i32,
    /// When producers stop.
    pub budget: Budget,
    /// Load before measuring.
    pub warmup: Duration,
    /// Message groups on a FIFO queue.
    pub fifo_groups: u32,
    /// How messages are deleted.
    pub delete: DeleteMode,
    /// Drain until every acknowledged message arrived or this long after sending ended;
    /// `None` drains until nothing has arrived for the long-poll wait and a grace period.
    pub drain_timeout: Option<Duration>,
    /// Fail unless every acknowledged message arrived and nothing unexpected did.
    pub verify: bool,
    /// Between report lines.
    pub interval: Duration,
    /// Lines or JSON.
    pub output: BenchOutput,
}

impl Plan {
    /// Resolves and checks the arguments.
    ///
    /// # Errors
    /// A combination that cannot run (no producers and no consumers, a count with no
    /// producers).
    pub fn new(args: &BenchArgs) -> Result<Self, UsageError> {
        if args.producers == 0 && args.consumers == 0 {
            return Err(UsageError(
                "--producers 0 --consumers 0 has nothing to do: give at least one of them".into(),
            ));
        }
        if args.producers == 0 && args.count.is_some() {
            return Err(UsageError(
                "--count needs at least one producer (--producers N)".into(),
            ));
        }
        if args.verify && (args.producers == 0 || args.consumers == 0) {
            return Err(UsageError(
                "--verify checks what this run sent against what it received: it needs producers and consumers".into(),
            ));
        }
        Ok(Self {
            producers: args.producers,
            consumers: args.consumers,
            rate: (args.rate > 0.0).then_some(args.rate),
            size: usize::try_from(args.size).unwrap_or(usize::MAX),
            batch: usize::from(args.batch),
            wait: i32::from(args.wait),
            budget: match args.count {
                Some(count) => Budget::Count(count),
                None => Budget::Duration(Duration::from_secs(args.duration)),
            },
            warmup: Duration::from_secs(args.warmup),
            fifo_groups: args.fifo_groups,
            delete: args.delete,
            drain_timeout: args.drain_timeout.map(Duration::from_secs),
            verify: args.verify,
            interval: Duration::from_secs_f64(args.interval),
            output: args.output,
        })
    }

    /// Messages the producers will send (warm-up included); `None` when only the queue's
    /// speed limits it.
    #[must_use]
    pub fn expected_messages(&self) -> Option<u64> {
        if self.producers == 0 {
            return Some(0);
        }
        let paced = |seconds: f64| {
            self.rate.map(|rate| {
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let messages = (rate * seconds).ceil() as u64;
                messages
            })
        };
        match self.budget {
            Budget::Count(count) => Some(count + paced(self.warmup.as_secs_f64()).unwrap_or(0))
                .filter(|_| self.warmup.is_zero() || self.rate.is_some()),
            Budget::Duration(duration) => paced((duration + self.warmup).as_secs_f64()),
        }
    }

    /// The fewest requests `messages` messages take: sends and receives in full batches, and
    /// the deletes.
    #[must_use]
    pub fn expected_requests(&self, messages: u64) -> u64 {
        let batches = messages.div_ceil(self.batch as u64);
        let deletes = match self.delete {
            DeleteMode::Batch => batches,
            DeleteMode::Single => messages,
        };
        batches * 2 + deletes
    }
}

/// How SQS bills a request carrying `bytes` of payload.
#[must_use]
pub fn billed_requests(bytes: usize) -> u64 {
    (bytes.div_ceil(BILLING_CHUNK) as u64).max(1)
}

/// What `billed` requests cost on AWS, in US dollars.
#[must_use]
pub fn cost_usd(billed: u64, fifo: bool) -> f64 {
    let per_million = if fifo {
        FIFO_PRICE_PER_MILLION
    } else {
        STANDARD_PRICE_PER_MILLION
    };
    #[allow(clippy::cast_precision_loss)]
    let millions = billed as f64 / 1_000_000.0;
    millions * per_million
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    fn plan(args: &[&str]) -> Result<Plan, UsageError> {
        let cli = Cli::try_parse_from(["queue", "bench"].iter().chain(args)).unwrap();
        let Some(Command::Bench(args)) = cli.command else {
            panic!("not a bench command")
        };
        Plan::new(&args)
    }

    #[test]
    fn payload_is_billed_per_started_64_kib() {
        assert_eq!(billed_requests(0), 1);
        assert_eq!(billed_requests(65_536), 1);
        assert_eq!(billed_requests(65_537), 2);
        assert_eq!(billed_requests(10 * 1024 * 1024), 160);
        assert!((cost_usd(2_000_000, false) - 0.80).abs() < 1e-9);
        assert!((cost_usd(2_000_000, true) - 1.00).abs() < 1e-9);
    }

    #[test]
    fn expected_messages_follow_the_budget() {
        let counted = plan(&["--count", "5000"]).unwrap();
        assert_eq!(counted.expected_messages(), Some(5000));
        assert_eq!(counted.expected_requests(5000), 500 + 500 + 500);
        let paced = plan(&["--rate", "100", "--duration", "60", "--warmup", "5"]);
        assert_eq!(paced.unwrap().expected_messages(), Some(6500));
        let unlimited = plan(&["--duration", "60"]).unwrap();
        assert_eq!(unlimited.expected_messages(), None);
        let single = plan(&["--count", "100", "--delete", "single"]).unwrap();
        assert_eq!(single.expected_requests(100), 10 + 10 + 100);
        let consume_only = plan(&["--producers", "0"]).unwrap();
        assert_eq!(consume_only.expected_messages(), Some(0));
    }

    #[test]
    fn runs_that_cannot_work_are_usage_errors() {
        assert!(plan(&["--producers", "0", "--consumers", "0"]).is_err());
        assert!(plan(&["--producers", "0", "--count", "5"]).is_err());
        assert!(plan(&["--verify", "--consumers", "0"]).is_err());
        assert!(plan(&["--verify", "--producers", "0"]).is_err());
        let verified = plan(&["--verify", "--drain-timeout", "30"]).unwrap();
        assert!(verified.verify);
        assert_eq!(verified.drain_timeout, Some(Duration::from_secs(30)));
        for bad in [
            &["--batch", "11"][..],
            &["--size", "10"],
            &["--rate", "-1"],
            &["--interval", "0"],
            &["--count", "5", "--duration", "5"],
            &["--create"],
            &["--drain-timeout", "0"],
            &["--visibility-timeout", "43201"],
        ] {
            let parsed = Cli::try_parse_from(["queue", "bench"].iter().chain(bad));
            assert!(parsed.is_err(), "{bad:?}");
        }
    }
}
