//! `queue demo`: the embedded server (or another endpoint), a standard and a FIFO queue
//! (or, `--fanout`, a topic and two subscribed queues, one through a filter policy), senders
//! and one receiver per queue, shown side by side or summarised as figures.
//!
//! - [`setup`]: where it runs and the two queues.
//! - [`rounds`]: senders per round, the two receivers (the same code as `send`/`receive`).
//! - [`state`]: per-queue figures, logs and chart points.
//! - [`ui`]: pure rendering of the screen; [`screen`]: its event loop.
//! - [`headless`]: rounds without a terminal, printed as a table or JSON lines.

pub mod headless;
pub mod rounds;
pub mod screen;
pub mod setup;
pub mod state;
pub mod ui;

use std::process::ExitCode;

use anyhow::Result;

use crate::cli::{DemoArgs, OutputMode};
use crate::config::Config;
use crate::exit;
use headless::Schedule;
use rounds::Receivers;
use state::DemoState;

/// Runs the demo.
///
/// # Errors
/// The server could not start, or a queue could not be reached.
pub async fn run(args: DemoArgs, config: &Config) -> Result<ExitCode> {
    let output = args.output.unwrap_or(config.default_output);
    if output == OutputMode::Tui && !config.stdout_is_tty {
        anyhow::bail!(
            "--output tui needs a terminal (hint: use --output plain or json, or docker run -it)"
        );
    }
    let setup = setup::setup(&args, config).await?;
    let target = setup.target;
    let mut state = DemoState::new(
        setup.info,
        [&target.left.name, &target.right.name],
        config.local_offset,
        config.color,
    );
    if !state.info.embedded {
        if args.seed.is_some() {
            exit::note(format_args!(
                "note: --seed seeds only the embedded server, not {} (seed that one with `queue serve --seed N`)",
                state.info.endpoint
            ));
        }
        // A queue elsewhere may remember this demo's bodies from a run minutes ago (FIFO
        // deduplication lasts 5 minutes): start from a fresh prefix such as `A42-`.
        state.generation = rand::random_range(1..10_000);
    }
    let outcome = match output {
        OutputMode::Tui => {
            let mut receivers = Receivers::spawn(&target, &target.kinds);
            let outcome = screen::run(&mut state, &target, &mut receivers).await;
            receivers.stop().await;
            outcome
        }
        OutputMode::Plain | OutputMode::Json => {
            let schedule = if state.info.embedded && args.seed.is_some() {
                Schedule::Reproducible
            } else {
                Schedule::Concurrent
            };
            let mut stdout = std::io::stdout();
            tokio::select! {
                done = headless::run(
                    &mut state,
                    &target,
                    setup.server.as_ref(),
                    schedule,
                    args.rounds,
                    output,
                    &mut stdout,
                ) => done.map(|()| ExitCode::SUCCESS),
                () = exit::interrupted() => Ok(ExitCode::from(exit::INTERRUPTED)),
            }
        }
    };
    if let Some(server) = setup.server {
        let stopped = server.stop().await;
        if outcome.is_ok() {
            stopped?;
        }
    }
    outcome
}

#[cfg(test)]
mod tests;
