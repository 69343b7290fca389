//! `queue bench`: a load generator for SQS. Finds (or creates) the queue, shows what the run
//! will cost and asks before a large one against AWS, runs producers and consumers
//! (`load`), and prints a line per interval and a summary with HDR percentiles
//! (`report`). Every message is booked (`ledger`): `--verify` fails the run when an
//! acknowledged message never arrived or one this run never sent did.
//!
//! With `--local` and nothing listening on `queue serve`'s default address, it starts the
//! embedded server in this process, so `queue bench --local` always has something to load.

mod client;
mod ledger;
mod load;
mod payload;
mod plan;
mod report;
mod retry;
mod stats;

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use aws_sdk_sqs::types::QueueAttributeName;

use crate::cli::{BenchArgs, BenchClient, DEFAULT_BIND};
use crate::config::Config;
use crate::exit::{self, Friendly, UsageError};
use crate::rules::DEFAULT_REGION;
use crate::server::{LocalServer, ServeOptions};
use crate::sqs::{self, Lookup, QueueInfo, Sqs};
pub use plan::{Budget, Plan};
use report::{Reporter, Summary, thousands};
use stats::Recorder;

use crate::tui::text::plural;

/// How long `--local` waits for `queue serve` to answer before starting an embedded server.
const PROBE_TIMEOUT: Duration = Duration::from_millis(300);

/// `queue bench`.
///
/// # Errors
/// Bad arguments, an unreachable endpoint, a missing queue, a declined confirmation, or a
/// closed stdout.
pub async fn run(args: BenchArgs, config: &Config) -> Result<ExitCode> {
    let plan = Plan::new(&args)?;
    let (sqs, server) = connect(config).await?;
    let outcome = bench(&args, plan, &sqs, config).await;
    if let Some(server) = server {
        server.stop().await?;
    }
    outcome
}

/// The client, and the embedded server when `--local` found no `queue serve` running.
async fn connect(config: &Config) -> Result<(Sqs, Option<LocalServer>)> {
    let default_local =
        config.local && config.endpoint_url == Some(crate::config::local_endpoint());
    if default_local && !serve_is_listening().await {
        let server = LocalServer::start(ServeOptions {
            queues: Vec::new(),
            ..ServeOptions::default()
        })
        .await
        .context("could not start the embedded server")?;
        if config.banner {
            exit::note(format_args!(
                "no `queue serve` on {DEFAULT_BIND}: benchmarking an embedded one at {} (same process; run `queue serve` for a separate one)",
                server.endpoint()
            ));
        }
        let sqs = sqs::connect_local(&server.endpoint(), DEFAULT_REGION);
        return Ok((sqs, Some(server)));
    }
    Ok((sqs::connect(config).await?, None))
}

async fn serve_is_listening() -> bool {
    let connect = tokio::net::TcpStream::connect(DEFAULT_BIND);
    matches!(
        tokio::time::timeout(PROBE_TIMEOUT, connect).await,
        Ok(Ok(_))
    )
}

async fn bench(args: &BenchArgs, plan: Plan, sqs: &Sqs, config: &Config) -> Result<ExitCode> {
    let run_id: u32 = rand::random();
    // Asked before the first request: nothing reaches AWS until the user agrees.
    confirm(args, &plan, sqs, config)?;
    let (queue, created) = queue(args, sqs, run_id).await?;
    if config.banner {
        let kind = if queue.fifo { "FIFO" } else { "standard" };
        let workers = format!(
            "{}, {}",
            plural(u64::from(plan.producers), "producer"),
            plural(u64::from(plan.consumers), "consumer")
        );
        let (name, endpoint, region) = (&queue.name, sqs.endpoint(), sqs.region());
        exit::note(format_args!(
            "bench: {workers} on {name} ({kind}) at {endpoint}, region {region}"
        ));
    }
    let outcome = load_and_report(args.client, plan, sqs, &queue, run_id).await;
    if created {
        let deleted = retry::setup_call(|| sqs.client.delete_queue().queue_url(&queue.url).send())
            .await
            .map_err(|error| sqs.friendly(&error, Some(&queue.name)));
        match (&outcome, deleted) {
            (_, Ok(_)) => {}
            (Ok(_), Err(error)) => {
                return Err(anyhow::Error::from(error).context(format!(
                    "could not delete the temporary queue {}",
                    queue.name
                )));
            }
            (Err(_), Err(error)) => exit::note(format_args!(
                "could not delete the temporary queue {}: {}",
                queue.name, error.message
            )),
        }
    }
    outcome
}

/// The queue to load, and whether this run created it (and so deletes it).
async fn queue(args: &BenchArgs, sqs: &Sqs, run_id: u32) -> Result<(QueueInfo, bool)> {
    let existing = args.name.as_deref().filter(|_| !args.create);
    if let Some(name) = existing {
        if args.fifo {
            return Err(UsageError(format!(
                "--fifo makes the queue bench creates a FIFO queue; {name} already has its type (add --create to create it)"
            ))
            .into());
        }
        if args.visibility_timeout.is_some() {
            return Err(UsageError(format!(
                "--visibility-timeout sets it on the queue bench creates; {name} already has its own (add --create to create it)"
            ))
            .into());
        }
        return Ok((sqs.queue(name).await?, false));
    }
    let suffix = if args.fifo { ".fifo" } else { "" };
    let name = match &args.name {
        Some(name) => name.clone(),
        None => format!("queue-bench-{run_id:08x}{suffix}"),
    };
    if args.fifo != name.ends_with(".fifo") {
        return Err(UsageError(format!(
            "--create{} --name {name}: a FIFO queue's name ends in .fifo, a standard one's does not",
            if args.fifo { " --fifo" } else { "" }
        ))
        .into());
    }
    if let Lookup::Found(_) = sqs.lookup(&name).await? {
        return Err(Friendly::new(
            format!("queue {name} already exists, and --create deletes the queue it creates"),
            format!("drop --create to load {name} as it is, or name a new queue"),
        )
        .into());
    }
    let mut request = sqs.client.create_queue().queue_name(&name);
    if let Some(seconds) = args.visibility_timeout {
        request = request.attributes(QueueAttributeName::VisibilityTimeout, seconds.to_string());
    }
    if args.fifo {
        request = request.attributes(QueueAttributeName::FifoQueue, "true");
        if args.high_throughput {
            request = request
                .attributes(QueueAttributeName::DeduplicationScope, "messageGroup")
                .attributes(QueueAttributeName::FifoThroughputLimit, "perMessageGroupId");
        }
    }
    let url = retry::setup_call(|| request.clone().send())
        .await
        .map_err(|error| sqs.friendly(&error, Some(&name)))
        .with_context(|| format!("could not create queue {name}"))?
        .queue_url
        .unwrap_or_default();
    let queue = QueueInfo {
        url,
        fifo: args.fifo,
        content_based_dedup: false,
        name,
    };
    Ok((queue, true))
}

/// Says what the run will send and what it may cost; asks first when more than
/// [`plan::CONFIRM_ABOVE`] messages (or an unbounded number) would go to a non-local endpoint.
fn confirm(args: &BenchArgs, plan: &Plan, sqs: &Sqs, config: &Config) -> Result<()> {
    let local = sqs::is_local_endpoint(sqs.endpoint());
    let fifo = args.fifo
        || args
            .name
            .as_deref()
            .is_some_and(|name| name.ends_with(".fifo"));
    let expected = plan.expected_messages();
    let estimate = match expected {
        Some(messages) => {
            let requests = plan.expected_requests(messages);
            let cost = plan::cost_usd(requests, fifo);
            format!(
                "about {} messages, at least {} requests (${cost:.4} on AWS)",
                thousands(messages),
                thousands(requests)
            )
        }
        None => "as many messages as the queue takes (--rate 0)".to_string(),
    };
    if config.banner {
        exit::note(format_args!("bench plan: {estimate}"));
    }
    let large = expected.is_none_or(|messages| messages > plan::CONFIRM_ABOVE);
    if local || !large || args.yes {
        return Ok(());
    }
    let question = format!("this run sends {estimate} to {}", sqs.endpoint());
    if !config.stdin_is_tty {
        return Err(Friendly::new(
            format!("not sending without confirmation: {question}"),
            "add --yes to run it, or set --count or --rate and --duration for a smaller run",
        )
        .into());
    }
    let mut stderr = std::io::stderr().lock();
    write!(stderr, "{question}. Continue? [y/N] ")?;
    stderr.flush()?;
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    if matches!(answer.trim(), "y" | "Y" | "yes" | "Yes") {
        Ok(())
    } else {
        Err(Friendly::new(
            "not confirmed: nothing was sent",
            "add --yes to skip the question",
        )
        .into())
    }
}

async fn load_and_report(
    client_kind: BenchClient,
    plan: Plan,
    sqs: &Sqs,
    queue: &QueueInfo,
    run_id: u32,
) -> Result<ExitCode> {
    let by_count = matches!(plan.budget, Budget::Count(_));
    let verify = plan.verify;
    let mut reporter = Reporter::new(plan.output, progress_bar(&plan), by_count);
    let recorder = Arc::new(Recorder::new(run_id));
    let fifo = queue.fifo;
    let connections = usize::from(plan.producers) + usize::from(plan.consumers) * plan.batch;
    let client = client::Client::new(client_kind, sqs, connections)?;
    let outcome = load::run(
        client,
        queue.clone(),
        plan,
        run_id,
        Arc::clone(&recorder),
        &mut reporter,
    )
    .await;
    let (send_latency, e2e_latency) = recorder.latencies();
    let last_receive = recorder.last_receive().unwrap_or(outcome.measured_from);
    let summary = Summary {
        counts: recorder.counts(),
        send_window: outcome
            .sending_ended
            .saturating_duration_since(outcome.measured_from),
        receive_window: last_receive.saturating_duration_since(outcome.measured_from),
        send_latency,
        e2e_latency,
        fifo,
        interrupted: outcome.interrupted,
        first_errors: recorder.first_errors(),
    };
    reporter.summary(&summary)?;
    if outcome.interrupted {
        return Ok(ExitCode::from(exit::INTERRUPTED));
    }
    if summary.counts.sent == 0 && summary.counts.errors > 0 {
        return Err(Friendly::new(
            "no message was sent: every request failed",
            "see the first error above",
        )
        .into());
    }
    if verify {
        verified(&summary.counts)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `--verify`: every acknowledged message received, and nothing this run did not send.
fn verified(counts: &stats::Counts) -> Result<(), Friendly> {
    let lost = counts.not_received();
    if lost == 0 && counts.foreign == 0 && counts.unexpected == 0 {
        return Ok(());
    }
    Err(Friendly::new(
        format!(
            "verify failed: {} of {} acknowledged messages lost, {} other messages, {} bench messages this run never sent",
            thousands(lost),
            thousands(counts.sent),
            thousands(counts.foreign),
            thousands(counts.unexpected),
        ),
        "lost: never received before the drain ended (a longer --drain-timeout helps if they are late); the others were on the queue or came from elsewhere",
    ))
}

/// A bar on stderr (indicatif hides it when stderr is not a terminal): elapsed seconds
/// against `--duration` (warm-up included), or messages sent against `--count`.
fn progress_bar(plan: &Plan) -> indicatif::ProgressBar {
    let (length, template) = match plan.budget {
        Budget::Duration(duration) => (
            (duration + plan.warmup).as_secs(),
            "{spinner} [{bar:30}] {pos}/{len} s {msg}",
        ),
        Budget::Count(count) => (count, "{spinner} [{bar:30}] {pos}/{len} {msg}"),
    };
    let bar = indicatif::ProgressBar::new(length);
    if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}
