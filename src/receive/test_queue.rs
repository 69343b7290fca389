//! For the receiver's tests: the embedded server with a queue that already holds what a
//! [`SendPlan`] sent to it.

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
