//! For the receiver's tests: the embedded server with a queue that already holds what a
//! [`SendPlan`] sent to it, and the real receiver on it in a task.

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::{Batch, ReceiveOptions, receive_loop};
use crate::send::{SendPlan, SendReport, send_messages};
use crate::server::{LocalServer, ServeOptions};
use crate::sqs::{QueueInfo, Sqs};

/// A server with `options`, a client for it, its queue `name`, and the report of sending
/// `plan` there.
pub async fn filled(
    options: ServeOptions,
    name: &str,
    plan: &SendPlan,
) -> (LocalServer, Sqs, QueueInfo, SendReport) {
    let server = LocalServer::start(options).await.unwrap();
    let sqs = crate::sqs::connect_local(&server.endpoint(), "us-east-1");
    let queue = sqs.queue(name).await.unwrap();
    let report = send_messages(&sqs, &queue, plan, &|_| {}).await.unwrap();
    (server, sqs, queue, report)
}

/// The real receiver on `queue` (waits of 1 s, up to 10 messages a call) in a task: its
/// batches, the token that stops it, and the task.
pub fn spawn_receiver(
    sqs: &Sqs,
    queue: &QueueInfo,
) -> (
    mpsc::Receiver<Batch>,
    CancellationToken,
    JoinHandle<anyhow::Result<()>>,
) {
    let (tx, rx) = mpsc::channel(1);
    let cancel = CancellationToken::new();
    let receiver = tokio::spawn({
        let (sqs, queue, cancel) = (sqs.clone(), queue.clone(), cancel.clone());
        let options = ReceiveOptions { wait: 1, max: 10 };
        async move { receive_loop(&sqs, &queue, options, tx, cancel).await }
    });
    (rx, cancel, receiver)
}
