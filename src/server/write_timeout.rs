//! The write timeout of [`Limits::write_timeout`](super::Limits::write_timeout): a stream
//! wrapper that fails a write with `TimedOut` once it has been pending (the client does not
//! read) for that long, so hyper drops the connection and its slot.

use std::future::Future as _;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// `inner` with its writes held to `timeout`. Only a write that cannot go out starts the
/// clock, and any write that goes out stops it: a long poll (nothing to write) and a slow
/// reader that keeps reading are never cut. Reads pass through untouched.
pub(super) struct WriteTimeout<S> {
    inner: S,
    timeout: Duration,
    /// Allocated at the first stalled write and reused after, as most connections never
    /// stall.
    timer: Option<Pin<Box<Sleep>>>,
    /// Whether `timer` is counting down the current stall (it keeps its old deadline
    /// otherwise).
    stalled: bool,
}

impl<S> WriteTimeout<S> {
    pub(super) fn new(inner: S, timeout: Duration) -> Self {
        Self {
            inner,
            timeout,
            timer: None,
            stalled: false,
        }
    }

    /// Passes on a finished write (and stops the clock), or starts the clock on a pending one
    /// and turns it into an error once the clock runs out.
    fn watch<T>(
        &mut self,
        cx: &mut Context<'_>,
        written: Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        if written.is_ready() {
            self.stalled = false;
            return written;
        }
        let deadline = Instant::now() + self.timeout;
        let timer = self
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if !self.stalled {
            timer.as_mut().reset(deadline);
            self.stalled = true;
        }
        // Polling the timer registers this task to be woken when it fires, so a client that
        // never reads (and so never wakes the write) is still dropped.
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "the client read none of the response for {} ms",
                    self.timeout.as_millis()
                ),
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for WriteTimeout<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for WriteTimeout<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.watch(cx, written)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.watch(cx, written)
    }

    // hyper writes head and body in one vectored write when the stream takes them.
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let flushed = Pin::new(&mut this.inner).poll_flush(cx);
        this.watch(cx, flushed)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let shut = Pin::new(&mut this.inner).poll_shutdown(cx);
        this.watch(cx, shut)
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    use super::*;

    const TIMEOUT: Duration = Duration::from_millis(300);
    /// Smaller than what the tests write, so the writer stalls until the reader reads.
    const PIPE_BYTES: usize = 1024;

    #[tokio::test(start_paused = true)]
    async fn a_write_the_client_never_reads_fails_after_the_timeout() {
        let (server, _client) = tokio::io::duplex(PIPE_BYTES);
        let mut server = WriteTimeout::new(server, TIMEOUT);
        let started = Instant::now();
        let error = server
            .write_all(&[0; 4 * PIPE_BYTES])
            .await
            .expect_err("the write times out");
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
        assert_eq!(started.elapsed(), TIMEOUT);
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_reader_that_keeps_reading_is_not_cut() {
        let (server, mut client) = tokio::io::duplex(PIPE_BYTES);
        let mut server = WriteTimeout::new(server, TIMEOUT);
        let total = 8 * PIPE_BYTES;
        let reader = tokio::spawn(async move {
            let mut buf = [0; PIPE_BYTES];
            let mut read = 0;
            while read < total {
                // Each pause alone is most of the timeout; all of them far more than it.
                tokio::time::sleep(TIMEOUT * 2 / 3).await;
                read += client.read(&mut buf).await.expect("read");
            }
        });
        let started = Instant::now();
        server
            .write_all(&vec![0; total])
            .await
            .expect("a progressing write is not cut");
        assert!(started.elapsed() > 2 * TIMEOUT);
        reader.await.expect("reader");
    }

    #[tokio::test(start_paused = true)]
    async fn a_quiet_spell_between_stalls_does_not_count() {
        let (server, client) = tokio::io::duplex(PIPE_BYTES);
        let mut server = WriteTimeout::new(server, TIMEOUT);
        // A stall the reader ends in time, a long quiet spell (a long poll), another such
        // stall: the first stall's clock must not carry over to the second.
        let client = stall_briefly(&mut server, client).await;
        tokio::time::sleep(10 * TIMEOUT).await;
        stall_briefly(&mut server, client).await;
    }

    /// Writes more than the pipe holds while the reader waits half the timeout, then reads
    /// it all.
    async fn stall_briefly(
        server: &mut WriteTimeout<tokio::io::DuplexStream>,
        mut client: tokio::io::DuplexStream,
    ) -> tokio::io::DuplexStream {
        let reader = tokio::spawn(async move {
            let mut buf = [0; 2 * PIPE_BYTES];
            tokio::time::sleep(TIMEOUT / 2).await;
            client.read_exact(&mut buf).await.expect("read");
            client
        });
        server
            .write_all(&[0; 2 * PIPE_BYTES])
            .await
            .expect("a stall shorter than the timeout is not cut");
        reader.await.expect("reader")
    }
}
