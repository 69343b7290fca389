//! Where the demo runs: the embedded server on a free loopback port, or another endpoint /
//! real SQS through the normal configuration; finds (or with `--create` creates) the two
//! queues and checks their types.

use std::time::Duration;

use anyhow::{Context, Result, bail};

use super::state::{DemoInfo, QueueKind};
use crate::cli::DemoArgs;
use crate::config::Config;
use crate::exit::Friendly;
use crate::rules::DEFAULT_REGION;
use crate::server::{LocalServer, ServeOptions};
use crate::sqs::{self, Lookup, QueueInfo, Sqs};

/// The client and the two queues every sender and receiver of the demo uses.
#[derive(Debug, Clone)]
pub struct Target {
    /// The SQS client (the same one `send` and `receive` build).
    pub sqs: Sqs,
    /// The standard queue.
    pub standard: QueueInfo,
    /// The FIFO queue.
    pub fifo: QueueInfo,
    /// Long-poll wait of the receivers, in seconds.
    pub wait: i32,
    /// How long both queues must stay quiet before a round counts as drained.
    pub quiet: Duration,
}

impl Target {
    /// The queue of `kind`.
    #[must_use]
    pub fn queue(&self, kind: QueueKind) -> &QueueInfo {
        match kind {
            QueueKind::Standard => &self.standard,
            QueueKind::Fifo => &self.fifo,
        }
    }
}

/// A ready demo: the target, the header information, and the server if it is embedded.
pub struct Setup {
    /// Client and queues.
    pub target: Target,
    /// For the header.
    pub info: DemoInfo,
    /// The embedded server, stopped when the demo ends.
    pub server: Option<LocalServer>,
}

/// Whether the demo starts its own server (nothing points it elsewhere).
#[must_use]
pub fn uses_embedded(args: &DemoArgs, config: &Config) -> bool {
    !(args.aws || config.endpoint_url.is_some() || config.local || config.profile.is_some())
}

/// Starts the embedded server or connects to the configured endpoint, and finds the queues.
///
/// # Errors
/// The server could not start, a queue is missing (without `--create`) or has the wrong type.
pub async fn setup(args: &DemoArgs, config: &Config) -> Result<Setup> {
    let info = |endpoint: String, embedded: bool| DemoInfo {
        endpoint,
        embedded,
        seed: args.seed.filter(|_| embedded),
        clients: args.clients,
        count: args.count,
    };
    if uses_embedded(args, config) {
        let server = LocalServer::start(ServeOptions {
            queues: Vec::new(),
            seed: args.seed,
            ..ServeOptions::default()
        })
        .await
        .context("could not start the embedded server")?;
        let endpoint = server.endpoint();
        let sqs = sqs::connect_local(&endpoint, DEFAULT_REGION);
        let target = queues(sqs, args, true, 1, Duration::from_millis(150)).await?;
        return Ok(Setup {
            target,
            info: info(endpoint, true),
            server: Some(server),
        });
    }
    let sqs = sqs::connect(config).await?;
    let endpoint = sqs.endpoint().to_string();
    // A server on this machine answers at once; real SQS gets a longer quiet period.
    let (wait, quiet) = if sqs::is_local_endpoint(&endpoint) {
        (1, Duration::from_millis(300))
    } else {
        (10, Duration::from_secs(3))
    };
    let target = queues(sqs, args, args.create, wait, quiet).await?;
    Ok(Setup {
        target,
        info: info(endpoint, false),
        server: None,
    })
}

async fn queues(
    sqs: Sqs,
    args: &DemoArgs,
    create: bool,
    wait: i32,
    quiet: Duration,
) -> Result<Target> {
    if !args.fifo.ends_with(".fifo") {
        bail!(
            "--fifo {}: a FIFO queue's name ends in .fifo (hint: --fifo {}.fifo)",
            args.fifo,
            args.fifo
        );
    }
    if args.standard.ends_with(".fifo") {
        bail!(
            "--standard {}: that is a FIFO queue's name; give a standard queue",
            args.standard
        );
    }
    if create {
        sqs.create_queue(&args.standard).await?;
        sqs.create_queue(&args.fifo).await?;
    }
    let standard = find(&sqs, &args.standard, "standard", create).await?;
    let fifo = find(&sqs, &args.fifo, "FIFO", create).await?;
    if standard.fifo || !fifo.fifo {
        bail!(
            "{} must be a standard queue and {} a FIFO queue",
            standard.name,
            fifo.name
        );
    }
    Ok(Target {
        sqs,
        standard,
        fifo,
        wait,
        quiet,
    })
}

/// Looks up one of the demo's queues. A missing queue (when the demo did not create it) says
/// to add `--create`; any other failure (credentials, endpoint) keeps its own hint.
async fn find(sqs: &Sqs, name: &str, label: &str, created: bool) -> Result<QueueInfo> {
    match sqs.lookup(name).await {
        Ok(Lookup::Found(queue)) => Ok(queue),
        Ok(Lookup::NotFound(_)) if !created => Err(Friendly::new(
            format!(
                "{label} queue {name} not found in region {} at {}",
                sqs.region(),
                sqs.endpoint()
            ),
            "add --create to create the demo's queues, or name existing ones with --standard and --fifo",
        )
        .into()),
        Ok(Lookup::NotFound(friendly)) => {
            Err(anyhow::Error::from(friendly).context(format!("{label} queue {name}")))
        }
        Err(error) => Err(error.context(format!("{label} queue {name}"))),
    }
}
