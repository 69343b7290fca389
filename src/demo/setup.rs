//! Where the demo runs: the embedded server on a free loopback port, or another endpoint /
//! real SQS through the normal configuration; finds (or with `--create` creates) the two
//! queues and checks their types. With `--fanout`, the topic too and the two queues'
//! subscriptions ([`fanout`]).

mod fanout;

use std::time::Duration;

use anyhow::{Context, Result, bail};

use super::state::{DemoInfo, Fanout, QueueKind};
use crate::cli::DemoArgs;
use crate::config::Config;
use crate::exit::Friendly;
use crate::rules::DEFAULT_REGION;
use crate::send::Destination;
use crate::server::{LocalServer, ServeOptions};
use crate::sns::Sns;
use crate::sqs::{self, Lookup, QueueInfo, Sqs};

/// The client and the two queues every sender and receiver of the demo uses.
#[derive(Debug, Clone)]
pub struct Target {
    /// The SQS client (the same one `send` and `receive` build).
    pub sqs: Sqs,
    /// The kinds of the two queues, left to right.
    pub kinds: [QueueKind; 2],
    /// The left queue: the standard one, or the topic's subscriber of every message.
    pub left: QueueInfo,
    /// The right queue: the FIFO one, or the topic's filtered subscriber.
    pub right: QueueInfo,
    /// `--fanout`: where the clients publish.
    pub topic: Option<Destination>,
    /// Long-poll wait of the receivers, in seconds.
    pub wait: i32,
    /// How long both queues must stay quiet before a round counts as drained.
    pub quiet: Duration,
}

impl Target {
    /// The queue of `kind` (the right one unless it is the left one's).
    #[must_use]
    pub fn queue(&self, kind: QueueKind) -> &QueueInfo {
        if self.kinds[0] == kind {
            &self.left
        } else {
            &self.right
        }
    }

    /// Where each client sends, with the pane its results are counted on: each queue, or
    /// (`--fanout`) the topic alone, which delivers to both.
    #[must_use]
    pub fn senders(&self) -> Vec<(QueueKind, Destination)> {
        match &self.topic {
            Some(topic) => vec![(self.kinds[0], topic.clone())],
            None => self
                .kinds
                .iter()
                .map(|&kind| {
                    let queue = self.queue(kind).clone();
                    (kind, Destination::Queue(self.sqs.clone(), queue))
                })
                .collect(),
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
        fanout: args
            .fanout
            .then(|| Fanout::new(crate::sns::topic::name_from_arn(&args.topic))),
    };
    if uses_embedded(args, config) {
        // The demo creates its own queues, topic and subscriptions (the practical's raw,
        // unfiltered ones would not be what the fan-out panes expect).
        let server = LocalServer::start(ServeOptions {
            queues: Vec::new(),
            topics: Vec::new(),
            seed: args.seed,
            ..ServeOptions::default()
        })
        .await
        .context("could not start the embedded server")?;
        let endpoint = server.endpoint();
        let sqs = sqs::connect_local(&endpoint, DEFAULT_REGION);
        let sns = Sns::from_sqs(&sqs, None);
        let target = target(sqs, sns, args, true, 1, Duration::from_millis(150)).await?;
        return Ok(Setup {
            target,
            info: info(endpoint, true),
            server: Some(server),
        });
    }
    let (sqs, sns) = crate::sns::connect(config).await?;
    let endpoint = sqs.endpoint().to_string();
    // A server on this machine answers at once; real SQS gets a longer quiet period.
    let (wait, quiet) = if sqs::is_local_endpoint(&endpoint) {
        (1, Duration::from_millis(300))
    } else {
        (10, Duration::from_secs(3))
    };
    let target = target(sqs, sns, args, args.create, wait, quiet).await?;
    Ok(Setup {
        target,
        info: info(endpoint, false),
        server: None,
    })
}

/// The queue demo's or the fan-out demo's target.
async fn target(
    sqs: Sqs,
    sns: Sns,
    args: &DemoArgs,
    create: bool,
    wait: i32,
    quiet: Duration,
) -> Result<Target> {
    let mut target = if args.fanout {
        fanout::target(sqs, sns, args, create).await?
    } else {
        queues(sqs, args, create).await?
    };
    target.wait = wait;
    target.quiet = quiet;
    Ok(target)
}

async fn queues(sqs: Sqs, args: &DemoArgs, create: bool) -> Result<Target> {
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
        kinds: QueueKind::BOTH,
        left: standard,
        right: fifo,
        topic: None,
        wait: 1,
        quiet: Duration::ZERO,
    })
}

/// Looks up one of the demo's queues. A missing queue (when the demo did not create it) says
/// to add `--create`; any other failure (credentials, endpoint) keeps its own hint.
pub(super) async fn find(sqs: &Sqs, name: &str, label: &str, created: bool) -> Result<QueueInfo> {
    match sqs.lookup(name).await {
        Ok(Lookup::Found(queue)) => Ok(queue),
        Ok(Lookup::NotFound(_)) if !created => Err(Friendly::new(
            format!(
                "{label} queue {name} not found in region {} at {}",
                sqs.region(),
                sqs.endpoint()
            ),
            "add --create to create the demo's queues, or name existing ones with --standard and --fifo (--subscriber with --fanout)",
        )
        .into()),
        Ok(Lookup::NotFound(friendly)) => {
            Err(anyhow::Error::from(friendly).context(format!("{label} queue {name}")))
        }
        Err(error) => Err(error.context(format!("{label} queue {name}"))),
    }
}
