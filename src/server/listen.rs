//! The accept loop: at most [`Limits::max_connections`] connections at once (the rest wait in
//! the listen backlog), each served by hyper's HTTP/1 with the head limits and timeouts of
//! [`Limits`] and its writes held to [`Limits::write_timeout`] by [`WriteTimeout`]; on
//! shutdown it stops accepting, lets each connection finish the request in flight and close,
//! and returns once they all have.

use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::http::App;
use super::limits::Limits;
use super::write_timeout::WriteTimeout;

/// hyper's read buffer never grows past this (its floor is 8 KiB); a head must fit in
/// [`Limits::max_header_bytes`] as well.
const MIN_BUF_BYTES: usize = 64 * 1024;
/// Pause after an accept error that is not the one connection's fault (out of descriptors).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Serves `app` on `listener` until `stopping` is cancelled, then waits for the open
/// connections to finish their requests and close.
pub(super) async fn serve(
    listener: TcpListener,
    app: App,
    limits: Limits,
    stopping: CancellationToken,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let connections = TaskTracker::new();
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_header_size(limits.max_header_bytes)
        .max_buf_size(limits.max_header_bytes.max(MIN_BUF_BYTES));
    loop {
        let permit = tokio::select! {
            () = stopping.cancelled() => break,
            permit = Arc::clone(&permits).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
        };
        let stream = tokio::select! {
            () = stopping.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    if !is_connection_error(&error) {
                        tokio::time::sleep(ACCEPT_BACKOFF).await;
                    }
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let io = TokioIo::new(WriteTimeout::new(stream, limits.write_timeout));
        let connection = builder.serve_connection(io, TowerToHyperService::new(app.clone()));
        let stopping = stopping.clone();
        connections.spawn(async move {
            let _permit = permit;
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => return,
                () = stopping.cancelled() => connection.as_mut().graceful_shutdown(),
            }
            let _ = connection.await;
        });
    }
    drop(listener);
    connections.close();
    connections.wait().await;
}

/// An accept error that concerns only the connection being accepted.
fn is_connection_error(error: &std::io::Error) -> bool {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    matches!(
        error.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    )
}
