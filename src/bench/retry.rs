//! Waiting between attempts after a failed call, as a real client does: 50 ms, doubling up to
//! 200 ms, each wait jittered so that a hundred workers do not knock on a restarted server in
//! step; optionally giving up once a deadline has passed. The queue's set-up and clean-up
//! calls are retried too ([`setup_call`]), so a flaky server fails no run before it starts.

use std::future::Future;
use std::time::Duration;

use aws_sdk_sqs::error::{ProvideErrorMetadata, SdkError};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::sqs::errors;

/// The first wait after a failure.
pub const FIRST_WAIT: Duration = Duration::from_millis(50);
/// The longest wait: a server restarted within a second is found again within a fifth of one.
pub const LONGEST_WAIT: Duration = Duration::from_millis(200);

/// The waits of one call's retries (or of a worker's run of failures).
#[derive(Debug)]
pub struct Backoff {
    next: Duration,
    give_up_at: Option<Instant>,
}

impl Backoff {
    /// Retries for as long as the caller wants.
    #[must_use]
    pub fn endless() -> Self {
        Self {
            next: FIRST_WAIT,
            give_up_at: None,
        }
    }

    /// Retries until `limit` from now.
    #[must_use]
    pub fn for_at_most(limit: Duration) -> Self {
        Self {
            next: FIRST_WAIT,
            give_up_at: Some(Instant::now() + limit),
        }
    }

    /// After a success: the next failure waits the shortest time again.
    pub fn reset(&mut self) {
        self.next = FIRST_WAIT;
    }

    /// The next wait (half of it fixed, half random), and doubles the one after.
    fn next_wait(&mut self) -> Duration {
        let wait = self.next;
        self.next = (self.next * 2).min(LONGEST_WAIT);
        wait / 2 + wait.mul_f64(rand::random::<f64>() / 2.0)
    }

    /// Waits before the next attempt. False, at once or when `cancel` fires, when there is to
    /// be no next attempt: the deadline has passed, or `cancel` has fired.
    pub async fn wait(&mut self, cancel: &CancellationToken) -> bool {
        if cancel.is_cancelled() || self.give_up_at.is_some_and(|at| Instant::now() >= at) {
            return false;
        }
        let wait = self.next_wait();
        tokio::select! {
            () = tokio::time::sleep(wait) => true,
            () = cancel.cancelled() => false,
        }
    }
}

/// Set-up and clean-up calls retried on top of the SDK's own attempts.
pub const SETUP_RETRIES: u32 = 8;

/// Runs a set-up or clean-up call (CreateQueue, DeleteQueue), again while it fails with a
/// transient error, up to [`SETUP_RETRIES`] more times: against `queue serve --fail-rate 0.2`
/// the SDK's three attempts alone fail one call in 125.
///
/// # Errors
/// The call's last error.
pub async fn setup_call<T, E, F, Fut>(mut call: F) -> Result<T, SdkError<E>>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, SdkError<E>>>,
{
    let mut backoff = Backoff::endless();
    let never = CancellationToken::new();
    let mut retries = 0;
    loop {
        match call().await {
            Err(error) if retries < SETUP_RETRIES && errors::classify(&error).is_retryable() => {
                retries += 1;
                backoff.wait(&never).await;
            }
            answer => return answer,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_up_to_the_longest_and_start_over_after_a_success() {
        let mut backoff = Backoff::endless();
        let waits: Vec<Duration> = (0..5).map(|_| backoff.next_wait()).collect();
        let bounds = [50, 100, 200, 200, 200].map(Duration::from_millis);
        for (wait, bound) in waits.iter().zip(bounds) {
            assert!(*wait >= bound / 2 && *wait <= bound, "{waits:?}");
        }
        backoff.reset();
        assert!(backoff.next_wait() <= FIRST_WAIT);
    }

    #[tokio::test(start_paused = true)]
    async fn set_up_calls_are_retried_while_the_error_is_transient() {
        use aws_sdk_sqs::operation::get_queue_url::GetQueueUrlError;
        type Answer = Result<u32, SdkError<GetQueueUrlError>>;
        let mut calls = 0;
        let answer: Answer = setup_call(|| {
            calls += 1;
            let failing = calls < 3;
            async move {
                if failing {
                    Err(SdkError::timeout_error("slow"))
                } else {
                    Ok(7)
                }
            }
        })
        .await;
        assert_eq!(answer.ok(), Some(7));
        assert_eq!(calls, 3);
        let mut calls = 0;
        let answer: Answer = setup_call(|| {
            calls += 1;
            async { Err(SdkError::construction_failure("bad request")) }
        })
        .await;
        assert!(answer.is_err());
        assert_eq!(calls, 1, "not worth retrying");
        let mut calls = 0;
        let answer: Answer = setup_call(|| {
            calls += 1;
            async { Err(SdkError::timeout_error("down")) }
        })
        .await;
        assert!(answer.is_err());
        assert_eq!(calls, 1 + SETUP_RETRIES);
    }

    #[tokio::test(start_paused = true)]
    async fn it_gives_up_at_the_deadline_or_when_cancelled() {
        let cancel = CancellationToken::new();
        let mut backoff = Backoff::for_at_most(Duration::from_millis(500));
        let mut attempts = 1;
        while backoff.wait(&cancel).await {
            attempts += 1;
        }
        assert!((3..=12).contains(&attempts), "{attempts}");
        let mut endless = Backoff::endless();
        assert!(endless.wait(&cancel).await);
        cancel.cancel();
        assert!(!endless.wait(&cancel).await);
    }
}
