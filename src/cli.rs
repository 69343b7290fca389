//! The command line as typed: clap definitions only, no decisions (those live in `config`).
//!
//! Two shapes are accepted. The original practical's form
//! (`queue --name N --client-name C [--send | --receive] [--prepend P]`) is kept working by
//! [`Cli::into_command`], which maps it onto the `send`/`receive` subcommands.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Default bind address of `queue serve` (ElasticMQ's port, which SQS tutorials already use).
pub const DEFAULT_BIND: &str = "127.0.0.1:9324";
/// Queue names the practical (and `serve`, `demo` and the Terraform files) use.
pub const PRAC_STANDARD_QUEUE: &str = "csse6400_prac";
/// The FIFO twin of [`PRAC_STANDARD_QUEUE`].
pub const PRAC_FIFO_QUEUE: &str = "csse6400_prac.fifo";
/// The practical's SNS topic (`terraform/sns.tf`), delivering to [`PRAC_STANDARD_QUEUE`] and
/// [`PRAC_SUBSCRIBER_QUEUE`].
pub const PRAC_TOPIC: &str = "csse6400_prac_topic";
/// The FIFO twin of [`PRAC_TOPIC`], delivering to [`PRAC_FIFO_QUEUE`] and
/// [`PRAC_SUBSCRIBER_FIFO_QUEUE`].
pub const PRAC_FIFO_TOPIC: &str = "csse6400_prac_topic.fifo";
/// The second queue subscribed to [`PRAC_TOPIC`].
pub const PRAC_SUBSCRIBER_QUEUE: &str = "csse6400_prac_subscriber";
/// The second queue subscribed to [`PRAC_FIFO_TOPIC`].
pub const PRAC_SUBSCRIBER_FIFO_QUEUE: &str = "csse6400_prac_subscriber.fifo";

/// Defaults shared by clap's attributes and the original form ([`Cli::into_command`]), so
/// both shapes of the command line mean the same.
pub mod defaults {
    /// `send --client-name`.
    pub const CLIENT_NAME: &str = "Client 1";
    /// `send --count`.
    pub const SEND_COUNT: u32 = 100;
    /// `send --group`.
    pub const GROUP: &str = "default";
    /// `send --parallel`: one request in flight, so the sender never reorders its own batches.
    pub const PARALLEL: u16 = 1;
    /// `receive --wait` (seconds; SQS's longest long poll).
    pub const WAIT_SECS: i32 = 20;
    /// `receive --max` (SQS's largest batch).
    pub const MAX_MESSAGES: i32 = 10;
}

/// See how message queues really behave.
#[derive(Debug, Parser)]
#[command(
    name = "queue",
    version,
    about = "See how message queues really behave: send, receive, and an embedded SQS server",
    long_about = None,
    after_help = "The practical's original form still works:\n  queue --name csse6400_prac --client-name \"Client 1\" [--receive] [--prepend A-]"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub legacy: LegacyArgs,

    #[command(flatten)]
    pub global: GlobalArgs,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Send numbered messages to a queue
    Send(SendArgs),
    /// Publish numbered messages to an SNS topic (fan-out to its subscribed queues)
    Publish(PublishArgs),
    /// Subscribe a queue to an SNS topic
    Subscribe(SubscribeArgs),
    /// Receive messages and show order and duplicates live
    Receive(ReceiveArgs),
    /// Run an embedded SQS-compatible server
    Serve(ServeArgs),
    /// Move a dead-letter queue's messages back to their source queues (DLQ redrive)
    Redrive(RedriveArgs),
    /// The whole practical in one terminal: standard and FIFO side by side
    Demo(DemoArgs),
    /// Load-test a queue: throughput, latency percentiles, duplicates and the AWS cost
    Bench(BenchArgs),
    /// Print a shell completion script
    Completions(CompletionsArgs),
    /// Print the man page (roff)
    Man,
}

/// The original tool's flags, used when no subcommand is given.
#[derive(Debug, Args, Default)]
pub struct LegacyArgs {
    /// Queue name or URL (original form)
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Client name sent with each message (original form)
    #[arg(long, value_name = "NAME")]
    pub client_name: Option<String>,
    /// Send messages (the default)
    #[arg(long, conflicts_with = "receive")]
    pub send: bool,
    /// Receive messages instead of sending
    #[arg(long)]
    pub receive: bool,
    /// Text put before each message body
    #[arg(long, value_name = "TEXT")]
    pub prepend: Option<String>,
}

/// Flags that apply to every subcommand.
#[derive(Debug, Args, Default, Clone)]
pub struct GlobalArgs {
    /// SQS endpoint, e.g. http://127.0.0.1:9324 for `queue serve`
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// AWS region (default: environment or profile, else us-east-1)
    #[arg(long, global = true)]
    pub region: Option<String>,
    /// Named profile from ~/.aws/config
    #[arg(long, global = true)]
    pub profile: Option<String>,
    /// Read variables from this file (default: ./aws.env and ./.env when present)
    #[arg(long, global = true, value_name = "PATH")]
    pub env_file: Option<PathBuf>,
    /// Use the embedded server's default endpoint (http://127.0.0.1:9324), dummy credentials if none
    #[arg(long, global = true)]
    pub local: bool,
    /// Do not print the banner line (queue, endpoint, region) on stderr
    #[arg(long, global = true)]
    pub no_banner: bool,
    /// When to use colour
    #[arg(long, global = true, value_enum, default_value_t = ColorWhen::Auto)]
    pub color: ColorWhen,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ColorWhen {
    /// Colour when stdout is a terminal and NO_COLOR is unset
    #[default]
    Auto,
    Always,
    Never,
}

/// How FIFO deduplication ids are chosen by `send`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum DedupMode {
    /// None when the queue has content-based dedup, else the SHA-256 of the body
    #[default]
    Auto,
    /// Always send the SHA-256 of the body
    Content,
    /// Never send one (the queue must have content-based dedup)
    None,
}

/// `receive --output` and `demo --output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputMode {
    /// Live terminal view
    Tui,
    /// One line per message
    Plain,
    /// One JSON object per line
    Json,
}

/// `queue send`.
#[derive(Debug, Args, Clone)]
pub struct SendArgs {
    /// Queue name or URL (a name ending in .fifo is a FIFO queue)
    #[arg(long, value_name = "NAME")]
    pub name: String,
    #[command(flatten)]
    pub messages: MessageArgs,
}

/// `queue publish`.
#[derive(Debug, Args, Clone)]
pub struct PublishArgs {
    /// Topic name or ARN (a name ending in .fifo is a FIFO topic)
    #[arg(long, value_name = "NAME|ARN", default_value = PRAC_TOPIC)]
    pub topic: String,
    #[command(flatten)]
    pub messages: MessageArgs,
}

/// What `send` and `publish` send: the numbered messages and how.
#[derive(Debug, Args, Clone)]
pub struct MessageArgs {
    /// Client name, sent as the `client` message attribute
    #[arg(long, value_name = "NAME", default_value = defaults::CLIENT_NAME)]
    pub client_name: String,
    /// How many messages to send
    #[arg(long, default_value_t = defaults::SEND_COUNT)]
    pub count: u32,
    /// Text put before each body (`{prepend}Message {i}`)
    #[arg(long, value_name = "TEXT", default_value = "")]
    pub prepend: String,
    /// FIFO message group id (FIFO queues and topics)
    #[arg(long, default_value = defaults::GROUP)]
    pub group: String,
    /// FIFO deduplication id
    #[arg(long, value_enum, default_value_t = DedupMode::Auto)]
    pub dedup_id: DedupMode,
    /// One request per message, as the original tool did
    #[arg(long)]
    pub one_by_one: bool,
    /// Pace sending to this many messages per second
    #[arg(long, value_name = "PER_SEC", value_parser = positive_rate)]
    pub rate: Option<f64>,
    /// Requests in flight at once on a standard queue or topic (FIFO ones always get one at a
    /// time).
    /// Above 1 it is faster, but the sender then reorders its own batches: a receiver marks
    /// messages late that the queue never reordered
    #[arg(long, value_name = "N", default_value_t = defaults::PARALLEL,
          value_parser = clap::value_parser!(u16).range(1..=64))]
    pub parallel: u16,
}

/// `subscribe --filter-scope`: what a filter policy looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum FilterScope {
    /// The message attributes (`client`, `run`, `sent_at`)
    #[default]
    Attributes,
    /// The message body, which must then be JSON
    Body,
}

/// `queue subscribe`.
#[derive(Debug, Args, Clone)]
#[command(
    after_help = "Examples:\n  queue subscribe --local --topic csse6400_prac_topic --queue csse6400_prac_subscriber --create\n  queue subscribe --local --queue filtered --raw --filter '{\"client\":[\"Client 1\"]}' --create"
)]
pub struct SubscribeArgs {
    /// Topic name or ARN
    #[arg(long, value_name = "NAME|ARN", default_value = PRAC_TOPIC)]
    pub topic: String,
    /// Queue name or URL that receives the topic's messages
    #[arg(long, value_name = "NAME", default_value = PRAC_SUBSCRIBER_QUEUE)]
    pub queue: String,
    /// Raw delivery: the queue gets the published message and its attributes, not the SNS
    /// JSON envelope
    #[arg(long)]
    pub raw: bool,
    /// Filter policy (JSON): only matching messages reach the queue, e.g.
    /// '{"client":["Client 1"]}'
    #[arg(long, value_name = "JSON")]
    pub filter: Option<String>,
    /// What the filter policy looks at
    #[arg(long, value_enum, requires = "filter", default_value_t = FilterScope::Attributes)]
    pub filter_scope: FilterScope,
    /// Create the topic and the queue when missing (FIFO for a .fifo name); on AWS also let
    /// the topic send to the queue (queue policy)
    #[arg(long)]
    pub create: bool,
}

/// `queue receive`.
#[derive(Debug, Args, Clone)]
pub struct ReceiveArgs {
    /// Queue name or URL
    #[arg(long, value_name = "NAME")]
    pub name: String,
    /// Long-poll wait in seconds
    #[arg(long, default_value_t = defaults::WAIT_SECS,
          value_parser = clap::value_parser!(i32).range(1..=i64::from(defaults::WAIT_SECS)))]
    pub wait: i32,
    /// Messages per receive call
    #[arg(long, default_value_t = defaults::MAX_MESSAGES,
          value_parser = clap::value_parser!(i32).range(1..=i64::from(defaults::MAX_MESSAGES)))]
    pub max: i32,
    /// Exit after this many messages
    #[arg(long)]
    pub count: Option<u64>,
    /// Exit after this many seconds without a message
    #[arg(long, value_name = "SECS")]
    pub idle: Option<u64>,
    /// Output (default: tui when stdout is a terminal, else plain)
    #[arg(long, value_enum)]
    pub output: Option<OutputMode>,
}

/// `queue serve`.
#[derive(Debug, Args, Clone)]
pub struct ServeArgs {
    /// Address to listen on (use 0.0.0.0:9324 inside a container)
    #[arg(long, default_value = DEFAULT_BIND)]
    pub bind: SocketAddr,
    /// Queue to create at start (repeatable; a .fifo name makes a FIFO queue with
    /// content-based deduplication). Default: the practical's two queues
    #[arg(long = "queue", value_name = "NAME")]
    pub queues: Vec<String>,
    /// Seed for the simulated reordering and duplicates (reproducible runs)
    #[arg(long)]
    pub seed: Option<u64>,
    /// Simulated storage servers per standard queue
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub servers: u32,
    /// Probability that a delete misses a replica, so the message is delivered again
    #[arg(long, value_name = "P", default_value_t = 0.01, value_parser = probability)]
    pub duplicate_rate: f64,
    /// Standard queues deliver in strict order and never duplicate
    #[arg(long)]
    pub ordered: bool,
    /// Delay every response by this many milliseconds
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub latency: u64,
    /// Fraction of requests (and batch entries) answered with a retryable error
    #[arg(long, value_name = "P", default_value_t = 0.0, value_parser = probability)]
    pub fail_rate: f64,
    /// Serve only requests signed (SigV4) with a key from FILE, in the AWS shared-credentials
    /// format (as ~/.aws/credentials)
    #[arg(long, value_name = "FILE")]
    pub auth: Option<PathBuf>,
    /// Keep queues and messages in DIR (created if missing), so they survive a restart or a
    /// crash: every change is on disk before it is answered
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Do not serve the web console (at / for browsers)
    #[arg(long)]
    pub no_console: bool,
}

/// `queue redrive`.
#[derive(Debug, Args, Clone)]
pub struct RedriveArgs {
    /// The dead-letter queue to empty (name or URL)
    #[arg(long, value_name = "DLQ")]
    pub name: String,
    /// Move every message to this queue instead of back to the queue it came from
    #[arg(long, value_name = "QUEUE")]
    pub to: Option<String>,
    /// Move at most this many messages per second (default: as fast as SQS goes)
    #[arg(long, value_name = "PER_SEC",
          value_parser = clap::value_parser!(u32).range(1..=i64::from(crate::rules::MOVE_TASK_MAX_RATE)))]
    pub rate: Option<u32>,
}

/// `queue demo`.
#[derive(Debug, Args, Clone)]
pub struct DemoArgs {
    /// Senders per queue
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=26))]
    pub clients: u32,
    /// Messages each sender sends
    #[arg(long, default_value_t = 100)]
    pub count: u32,
    /// Seed for the embedded server
    #[arg(long)]
    pub seed: Option<u64>,
    /// Standard queue name (with --endpoint-url or real SQS)
    #[arg(long, default_value = PRAC_STANDARD_QUEUE)]
    pub standard: String,
    /// FIFO queue name (with --endpoint-url or real SQS)
    #[arg(long, default_value = PRAC_FIFO_QUEUE)]
    pub fifo: String,
    /// Create the queues when they do not exist (with --endpoint-url or real SQS)
    #[arg(long)]
    pub create: bool,
    /// Run against real SQS (the normal AWS configuration) instead of the embedded server;
    /// implied by --endpoint-url, --local and --profile
    #[arg(long)]
    pub aws: bool,
    /// Output (default: tui when stdout is a terminal, else plain)
    #[arg(long, value_enum)]
    pub output: Option<OutputMode>,
    /// SNS fan-out instead: clients publish to one topic, delivered to two subscriber queues
    /// (--standard, in SNS envelopes, and --subscriber, raw, with a filter policy that lets
    /// only Client A through)
    #[arg(long)]
    pub fanout: bool,
    /// The topic of --fanout (with --endpoint-url or real SNS)
    #[arg(long, value_name = "NAME", default_value = PRAC_TOPIC, requires = "fanout")]
    pub topic: String,
    /// The filtered subscriber queue of --fanout (with --endpoint-url or real SQS)
    #[arg(long, value_name = "NAME", default_value = PRAC_SUBSCRIBER_QUEUE, requires = "fanout")]
    pub subscriber: String,
    /// Rounds to run without a terminal (round 2 and later re-send the same bodies)
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub rounds: u32,
}

/// `bench --delete`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum DeleteMode {
    /// One DeleteMessageBatch per received batch
    #[default]
    Batch,
    /// One DeleteMessage per message (all of a batch at once)
    Single,
}

/// `bench --client`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum BenchClient {
    /// A lean signing HTTP client: a fraction of the server's CPU, so the figures are the
    /// queue's
    #[default]
    Lean,
    /// The AWS SDK for Rust, as `send` and `receive` use it (costs more CPU per request)
    Sdk,
}

/// `bench --output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum BenchOutput {
    /// Lines for people
    #[default]
    Plain,
    /// One JSON object per interval and a last one for the summary
    Json,
}

/// `queue bench`.
#[derive(Debug, Args, Clone)]
#[command(
    after_help = "Examples:\n  queue bench --local --duration 10\n  queue bench --local --fifo --fifo-groups 8 --count 100000\n  queue bench --name my-queue --rate 100 --duration 60   (real SQS: shows the cost first)"
)]
pub struct BenchArgs {
    /// Queue name or URL to load (default: a temporary queue, created and deleted after)
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Create the --name queue for this run and delete it after (it must not exist yet)
    #[arg(long, requires = "name")]
    pub create: bool,
    /// Make the queue it creates a FIFO queue
    #[arg(long)]
    pub fifo: bool,
    /// With --fifo: high-throughput FIFO (deduplication and throughput per message group)
    #[arg(long, requires = "fifo")]
    pub high_throughput: bool,
    /// Sending tasks
    #[arg(long, value_name = "N", default_value_t = 2,
          value_parser = clap::value_parser!(u16).range(0..=256))]
    pub producers: u16,
    /// Receiving tasks (each receives, then deletes what it got)
    #[arg(long, value_name = "N", default_value_t = 4,
          value_parser = clap::value_parser!(u16).range(0..=256))]
    pub consumers: u16,
    /// Messages per second over all producers (0 = as fast as the queue takes them)
    #[arg(long, value_name = "MSG/S", default_value_t = 0.0, value_parser = rate_or_unlimited)]
    pub rate: f64,
    /// Body size in bytes (at least 80: the body carries its sender, number and send time)
    #[arg(long, value_name = "BYTES", default_value_t = 256,
          value_parser = clap::value_parser!(u32).range(80..=i64::from(crate::rules::MAX_MESSAGE_BYTES)))]
    pub size: u32,
    /// Messages per send, receive and delete request (1 sends with SendMessage)
    #[arg(long, value_name = "N", default_value_t = 10,
          value_parser = clap::value_parser!(u8).range(1..=10))]
    pub batch: u8,
    /// Long-poll wait of each receive, in seconds (0 = short polls)
    #[arg(long, value_name = "SECS", default_value_t = 1,
          value_parser = clap::value_parser!(u8).range(0..=20))]
    pub wait: u8,
    /// How long to send, in seconds (after --warmup)
    #[arg(long, value_name = "SECS", conflicts_with = "count", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub duration: u64,
    /// Send this many messages instead of sending for --duration
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub count: Option<u64>,
    /// Seconds of load before measuring starts (those messages are not counted)
    #[arg(long, value_name = "SECS", default_value_t = 0)]
    pub warmup: u64,
    /// FIFO queues: spread messages over this many message groups
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub fifo_groups: u32,
    /// How received messages are deleted
    #[arg(long, value_enum, default_value_t = DeleteMode::Batch)]
    pub delete: DeleteMode,
    /// After sending, drain until every acknowledged message has arrived or this many seconds
    /// have passed (default: until nothing has arrived for --wait + 3 seconds)
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub drain_timeout: Option<u64>,
    /// Visibility timeout of the queue bench creates, in seconds (default: the queue's 30)
    #[arg(long, value_name = "SECS",
          value_parser = clap::value_parser!(u32).range(0..=crate::rules::MAX_VISIBILITY_SECS))]
    pub visibility_timeout: Option<u32>,
    /// Exit 1 unless every acknowledged message was received and nothing this run did not
    /// send was (duplicates are allowed)
    #[arg(long)]
    pub verify: bool,
    /// Seconds between report lines
    #[arg(long, value_name = "SECS", default_value_t = 1.0, value_parser = positive_seconds)]
    pub interval: f64,
    /// Output format
    #[arg(long, value_enum, default_value_t = BenchOutput::Plain)]
    pub output: BenchOutput,
    /// The client that sends, receives and deletes
    #[arg(long, value_enum, default_value_t = BenchClient::Lean)]
    pub client: BenchClient,
    /// Do not ask before sending more than 10,000 messages to a non-local endpoint
    #[arg(long, short = 'y')]
    pub yes: bool,
}

/// `queue completions`.
#[derive(Debug, Args, Clone)]
pub struct CompletionsArgs {
    /// The shell to generate for
    pub shell: clap_complete::Shell,
}

/// `serve --duplicate-rate` and `--fail-rate`: a probability, 0 to 1.
fn probability(text: &str) -> Result<f64, String> {
    let value: f64 = text
        .parse()
        .map_err(|_| format!("must be a probability between 0 and 1, e.g. 0.05 (got {text:?})"))?;
    if value.is_finite() && (0.0..=1.0).contains(&value) {
        Ok(value)
    } else {
        Err(format!(
            "must be a probability between 0 and 1, e.g. 0.05 (got {value})"
        ))
    }
}

/// `send --rate`: a finite number of messages per second above 0.
fn positive_rate(text: &str) -> Result<f64, String> {
    let rate: f64 = text
        .parse()
        .map_err(|_| format!("not a number of messages per second: {text}"))?;
    if rate.is_finite() && rate > 0.0 {
        Ok(rate)
    } else {
        Err(format!("--rate must be above 0, got {rate}"))
    }
}

/// `bench --rate`: messages per second, 0 for as fast as possible.
fn rate_or_unlimited(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(rate) if rate.is_finite() && rate >= 0.0 => Ok(rate),
        _ => Err(format!(
            "must be a number of messages per second, 0 for unlimited (got {text:?})"
        )),
    }
}

/// `bench --interval`: seconds, at least 0.1.
fn positive_seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(seconds) if seconds.is_finite() && seconds >= 0.1 => Ok(seconds),
        _ => Err(format!(
            "must be a number of seconds, at least 0.1 (got {text:?})"
        )),
    }
}

impl LegacyArgs {
    /// Whether any original-form flag was given.
    fn is_used(&self) -> bool {
        self.name.is_some()
            || self.client_name.is_some()
            || self.send
            || self.receive
            || self.prepend.is_some()
    }
}

impl Cli {
    /// The subcommand to run, mapping the original form onto `send`/`receive`.
    ///
    /// Returns `Err` with a usage message when neither a subcommand nor `--name` is given.
    pub fn into_command(self) -> Result<(Command, GlobalArgs), String> {
        let legacy = self.legacy;
        if let Some(command) = self.command {
            if legacy.is_used() {
                return Err(
                    "--name, --client-name, --send, --receive and --prepend before a subcommand belong to the original form: put them after the subcommand (e.g. `queue send --name NAME`)"
                        .to_string(),
                );
            }
            return Ok((command, self.global));
        }
        let Some(name) = legacy.name else {
            return Err(
                "no command given: try `queue demo`, `queue --name NAME --client-name NAME`, or `queue --help`"
                    .to_string(),
            );
        };
        let command = if legacy.receive {
            Command::Receive(ReceiveArgs {
                name,
                wait: defaults::WAIT_SECS,
                max: defaults::MAX_MESSAGES,
                count: None,
                idle: None,
                output: None,
            })
        } else {
            Command::Send(SendArgs {
                name,
                messages: MessageArgs {
                    client_name: legacy
                        .client_name
                        .unwrap_or_else(|| defaults::CLIENT_NAME.to_string()),
                    count: defaults::SEND_COUNT,
                    prepend: legacy.prepend.unwrap_or_default(),
                    group: defaults::GROUP.to_string(),
                    dedup_id: DedupMode::Auto,
                    one_by_one: false,
                    rate: None,
                    parallel: defaults::PARALLEL,
                },
            })
        };
        Ok((command, self.global))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn original_form_maps_to_send_and_receive() {
        let cli = Cli::try_parse_from([
            "queue",
            "--name",
            "csse6400_prac",
            "--client-name",
            "Client 1",
            "--prepend",
            "A-",
        ])
        .unwrap();
        let (command, _) = cli.into_command().unwrap();
        let Command::Send(send) = command else {
            panic!("expected send, got {command:?}")
        };
        assert_eq!(send.name, "csse6400_prac");
        assert_eq!(send.messages.client_name, "Client 1");
        assert_eq!(send.messages.prepend, "A-");

        let cli = Cli::try_parse_from([
            "queue",
            "--name",
            "q.fifo",
            "--client-name",
            "C",
            "--receive",
        ])
        .unwrap();
        assert!(matches!(
            cli.into_command().unwrap().0,
            Command::Receive(ReceiveArgs { ref name, .. }) if name == "q.fifo"
        ));
    }

    #[test]
    fn serve_rates_out_of_range_are_usage_errors() {
        for (flag, value) in [
            ("--duplicate-rate", "1.5"),
            ("--fail-rate", "-0.1"),
            ("--duplicate-rate", "NaN"),
        ] {
            let error =
                Cli::try_parse_from(["queue", "serve", &format!("{flag}={value}")]).unwrap_err();
            assert_eq!(error.exit_code(), 2, "{error}");
            assert!(error.to_string().contains("between 0 and 1"), "{error}");
        }
    }

    #[test]
    fn rates_are_checked_by_clap() {
        let rate =
            |value: &str| Cli::try_parse_from(["queue", "send", "--name", "q", "--rate", value]);
        assert!(rate("2.5").is_ok());
        for bad in ["0", "-1", "NaN", "inf", "fast"] {
            assert!(rate(bad).is_err(), "--rate {bad}");
        }
    }

    #[test]
    fn publish_and_subscribe_default_to_the_practicals_names() {
        let cli = Cli::try_parse_from(["queue", "publish", "--count", "3"]).unwrap();
        let Some(Command::Publish(publish)) = cli.command else {
            panic!("expected publish")
        };
        assert_eq!(publish.topic, PRAC_TOPIC);
        assert_eq!(publish.messages.count, 3);
        let cli = Cli::try_parse_from(["queue", "subscribe", "--raw"]).unwrap();
        let Some(Command::Subscribe(subscribe)) = cli.command else {
            panic!("expected subscribe")
        };
        assert_eq!(
            (subscribe.topic.as_str(), subscribe.queue.as_str()),
            (PRAC_TOPIC, PRAC_SUBSCRIBER_QUEUE)
        );
        assert!(subscribe.raw && subscribe.filter.is_none());
        assert!(
            Cli::try_parse_from(["queue", "subscribe", "--filter-scope", "body"]).is_err(),
            "a scope without a filter"
        );
        assert!(Cli::try_parse_from(["queue", "demo", "--topic", "t"]).is_err());
    }

    #[test]
    fn send_and_receive_together_is_a_usage_error() {
        assert!(Cli::try_parse_from(["queue", "--name", "q", "--send", "--receive"]).is_err());
    }

    #[test]
    fn global_flags_work_before_and_after_a_subcommand() {
        for args in [
            &["queue", "--endpoint-url", "http://x", "send", "--name", "q"][..],
            &["queue", "send", "--name", "q", "--endpoint-url", "http://x"][..],
        ] {
            let (command, global) = Cli::try_parse_from(args).unwrap().into_command().unwrap();
            assert!(matches!(command, Command::Send(_)), "{args:?}");
            assert_eq!(global.endpoint_url.as_deref(), Some("http://x"), "{args:?}");
        }
    }

    #[test]
    fn original_flags_with_a_subcommand_are_a_usage_error() {
        let cli = Cli::try_parse_from(["queue", "--name", "q", "send", "--name", "r"]).unwrap();
        assert!(cli.into_command().is_err());
    }

    #[test]
    fn no_command_and_no_name_is_a_usage_error() {
        let cli = Cli::try_parse_from(["queue"]).unwrap();
        assert!(cli.into_command().is_err());
    }
}
