//! The three calls the load makes millions of times (send, receive, delete), through the lean
//! client ([`lean`], the default: it costs a fraction of the server's CPU, so the figures are
//! the server's) or the AWS SDK (`--client sdk`: what an application built on the SDK sees).
//! Queue set-up and clean-up always go through the SDK. A failed call says whether trying again
//! may work ([`CallError`]), and a batch answer which of its entries failed ([`Failures`]), so
//! the load can retry as a real client would.

mod failure;
mod lean;
mod sigv4;
mod wire;

use anyhow::Result;
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, SendMessageBatchRequestEntry};
use serde::Deserialize;

use crate::cli::BenchClient;
use crate::sqs::Sqs;
pub use failure::{CallError, FailedEntry, Failures};

/// One message to send.
#[derive(Debug, Clone)]
pub struct SendEntry {
    /// The body.
    pub body: String,
    /// FIFO message group.
    pub group: Option<String>,
    /// FIFO deduplication id.
    pub dedup: Option<String>,
}

/// One received message.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Received {
    /// The body.
    pub body: String,
    /// What deletes it.
    pub receipt_handle: String,
}

/// The data-plane client.
#[derive(Clone)]
pub enum Client {
    /// [`lean::Lean`] (boxed: its connection pool is large).
    Lean(Box<lean::Lean>),
    /// The AWS SDK client of [`crate::sqs`].
    Sdk(Sqs),
}

impl Client {
    /// The client `kind` for `sqs`'s endpoint, region and credentials, pooling up to
    /// `connections` connections.
    ///
    /// # Errors
    /// The lean client could not be set up (no CA certificates for an HTTPS endpoint).
    pub fn new(kind: BenchClient, sqs: &Sqs, connections: usize) -> Result<Self> {
        Ok(match kind {
            BenchClient::Sdk => Self::Sdk(sqs.clone()),
            BenchClient::Lean => Self::Lean(Box::new(lean::Lean::new(
                sqs.endpoint(),
                sqs.region(),
                sqs.credentials.clone(),
                connections,
            )?)),
        })
    }

    /// Sends the entries (one with SendMessage, more with SendMessageBatch); the failed ones.
    ///
    /// # Errors
    /// The request failed as a whole.
    pub async fn send(
        &self,
        queue_url: &str,
        entries: &[SendEntry],
    ) -> Result<Failures, CallError> {
        let sqs = match self {
            Self::Lean(lean) => return lean.send(queue_url, entries).await,
            Self::Sdk(sqs) => sqs,
        };
        if let [entry] = entries {
            sqs.client
                .send_message()
                .queue_url(queue_url)
                .message_body(entry.body.clone())
                .set_message_group_id(entry.group.clone())
                .set_message_deduplication_id(entry.dedup.clone())
                .send()
                .await
                .map_err(|error| call_error(sqs, &error))?;
            return Ok(Failures::none());
        }
        let entries = entries
            .iter()
            .enumerate()
            .map(|(index, entry)| {
                SendMessageBatchRequestEntry::builder()
                    .id(index.to_string())
                    .message_body(entry.body.clone())
                    .set_message_group_id(entry.group.clone())
                    .set_message_deduplication_id(entry.dedup.clone())
                    .build()
                    .map_err(|error| CallError::fatal(error.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let answer = sqs
            .client
            .send_message_batch()
            .queue_url(queue_url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|error| call_error(sqs, &error))?;
        Ok(sdk_failures(answer.failed()))
    }

    /// ReceiveMessage.
    ///
    /// # Errors
    /// The request failed.
    pub async fn receive(
        &self,
        queue_url: &str,
        max: i32,
        wait: i32,
    ) -> Result<Vec<Received>, CallError> {
        let sqs = match self {
            Self::Lean(lean) => return lean.receive(queue_url, max, wait).await,
            Self::Sdk(sqs) => sqs,
        };
        let answer = sqs
            .client
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(max)
            .wait_time_seconds(wait)
            .send()
            .await
            .map_err(|error| call_error(sqs, &error))?;
        Ok(answer
            .messages
            .unwrap_or_default()
            .into_iter()
            .map(|message| Received {
                body: message.body.unwrap_or_default(),
                receipt_handle: message.receipt_handle.unwrap_or_default(),
            })
            .collect())
    }

    /// DeleteMessageBatch; the failed entries.
    ///
    /// # Errors
    /// The request failed as a whole.
    pub async fn delete_batch(
        &self,
        queue_url: &str,
        handles: &[String],
    ) -> Result<Failures, CallError> {
        let sqs = match self {
            Self::Lean(lean) => return lean.delete_batch(queue_url, handles).await,
            Self::Sdk(sqs) => sqs,
        };
        let entries = handles
            .iter()
            .enumerate()
            .map(|(index, handle)| {
                DeleteMessageBatchRequestEntry::builder()
                    .id(index.to_string())
                    .receipt_handle(handle)
                    .build()
                    .map_err(|error| CallError::fatal(error.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let answer = sqs
            .client
            .delete_message_batch()
            .queue_url(queue_url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|error| call_error(sqs, &error))?;
        Ok(sdk_failures(answer.failed()))
    }

    /// DeleteMessage.
    ///
    /// # Errors
    /// The request failed.
    pub async fn delete(&self, queue_url: &str, handle: &str) -> Result<(), CallError> {
        let sqs = match self {
            Self::Lean(lean) => return lean.delete(queue_url, handle).await,
            Self::Sdk(sqs) => sqs,
        };
        sqs.client
            .delete_message()
            .queue_url(queue_url)
            .receipt_handle(handle)
            .send()
            .await
            .map_err(|error| call_error(sqs, &error))?;
        Ok(())
    }
}

/// An SDK error as one line, and whether trying again may work: no answer (connection
/// refused or reset, a timeout), a 5xx, or a throttling or transient code.
fn call_error<E>(sqs: &Sqs, error: &aws_sdk_sqs::error::SdkError<E>) -> CallError
where
    E: aws_sdk_sqs::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    use aws_sdk_sqs::error::SdkError;
    let text = sqs.friendly(error, None).message;
    let retryable = match error {
        SdkError::ServiceError(service) => {
            service.raw().status().as_u16() >= 500
                || service.err().code().is_some_and(failure::is_transient_code)
        }
        SdkError::ConstructionFailure(_) => false,
        _ => true,
    };
    CallError { text, retryable }
}

fn sdk_failures(failed: &[aws_sdk_sqs::types::BatchResultErrorEntry]) -> Failures {
    Failures::new(
        failed
            .iter()
            .map(|failure| FailedEntry::new(failure.id(), failure.code(), failure.sender_fault()))
            .collect(),
        failed
            .first()
            .map(|failure| (failure.code(), failure.message())),
    )
}
