//! `queue`: see how message queues really behave.
//!
//! # Layout
//! - [`cli`]: the command line as typed (clap), including the practical's original form.
//! - [`config`]: resolves flags, env files, the terminal, the output mode and the local time
//!   zone once; nothing below reads env or tty.
//! - [`exit`]: exit codes, the one place that prints a final error, the shutdown signal and
//!   the panic hook.
//! - [`sqs`]: the only place that builds an SQS client; queue lookup and its suggestions
//!   ([`sqs::lookup`]); friendly SDK errors ([`sqs::errors`]).
//! - [`sns`]: the SNS client, built from the SQS client's configuration; topic lookup
//!   ([`sns::topic`]) and the envelope SNS wraps deliveries in ([`sns::envelope`]).
//! - [`rules`]: SQS's fixed numbers and naming rules, shared by the client and the server.
//! - [`message`]: the numbered message (`{prepend}Message {i}`) and a received [`message::Delivery`].
//! - [`tracker`]: out-of-order and duplicate bookkeeping shared by every presenter.
//! - [`send`]: the sender (batches, FIFO group and dedup, retries, progress bar), to a queue
//!   or a topic.
//! - [`publish`]: `queue publish`, the sender on an SNS topic.
//! - [`subscribe`]: `queue subscribe`, a queue wired to a topic.
//! - [`receive`]: the long-polling receiver and its presenters: plain/JSON lines and the live
//!   view ([`receive::view`]).
//! - [`tui`]: the terminal toolkit the live screens share (guard, theme, log widget, key
//!   tables, one event loop); it depends on neither `receive` nor `demo`.
//! - [`redrive`]: moves a dead-letter queue's messages back (a message move task).
//! - [`demo`]: the whole practical in one terminal.
//! - [`bench`]: the load generator (throughput, HDR latency percentiles, cost on AWS).
//! - [`server`]: the embedded SQS-compatible server behind `queue serve`.
//! - [`completions`]: shell completions and the man page.

pub mod bench;
pub mod cli;
pub mod completions;
pub mod config;
pub mod demo;
pub mod exit;
pub mod message;
pub mod publish;
pub mod receive;
pub mod redrive;
pub mod rules;
pub mod send;
pub mod server;
pub mod sns;
pub mod sqs;
pub mod subscribe;
pub mod tracker;
pub mod tui;

use std::process::ExitCode;

use anyhow::Result;

use cli::{Cli, Command};

/// Runs the parsed command line to completion.
///
/// # Errors
/// A usage error ([`exit::UsageError`]) or whatever the command failed with.
pub fn run(cli: Cli) -> Result<ExitCode> {
    let (command, global) = cli.into_command().map_err(exit::UsageError)?;
    match command {
        Command::Completions(args) => return completions::print_completions(args.shell),
        Command::Man => return completions::print_man(),
        _ => {}
    }
    let config = config::resolve(&global)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        match command {
            Command::Send(args) => send::run(args, &config).await,
            Command::Publish(args) => publish::run(args, &config).await,
            Command::Subscribe(args) => subscribe::run(args, &config).await,
            Command::Receive(args) => receive::run(args, &config).await,
            Command::Serve(args) => server::serve(args, &config).await,
            Command::Redrive(args) => redrive::run(args, &config).await,
            Command::Demo(args) => demo::run(args, &config).await,
            Command::Bench(args) => bench::run(args, &config).await,
            Command::Completions(_) | Command::Man => unreachable!("handled above"),
        }
    })
}
