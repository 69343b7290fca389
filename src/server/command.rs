//! The `queue serve` command: checks the flags, binds, prints the endpoint, the queue URLs and
//! the lines to paste, and serves until SIGINT or SIGTERM.

use std::io::{ErrorKind, Write as _};
use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow};
use serde_json::{Value, json};
use tokio::net::TcpListener;

use super::engine::{DEFAULT_ACCOUNT, Engine, RequestContext};
use super::{Keys, ServeOptions, serve_engine};
use crate::cli::{DEFAULT_BIND, ServeArgs};
use crate::config::Config;
use crate::exit::{self, UsageError};
use crate::rules::{DEFAULT_REGION, is_valid_queue_name};

/// Runs `queue serve`.
pub(super) async fn serve(args: ServeArgs, _config: &Config) -> Result<ExitCode> {
    let options = options(&args)?;
    let listener = bind(args.bind).await?;
    let addr = listener
        .local_addr()
        .context("cannot read the bound address")?;
    let engine = Engine::open(&options).await?;
    let endpoint = endpoint(addr);
    let urls = queue_urls(&engine, &endpoint).await;
    let topics = engine.topic_arns();
    let shutdown = exit::shutdown_signal().context("cannot install the SIGINT/SIGTERM handlers")?;
    let auth = (options.auth.as_ref())
        .zip(args.auth.as_deref())
        .map(|(keys, file)| auth_line(keys.len(), file));
    let console = options.console.then(|| format!("{endpoint}/"));
    print_banner(
        &endpoint,
        addr,
        &urls,
        &topics,
        auth.as_deref(),
        console.as_deref(),
    );
    if auth.is_none() && !addr.ip().is_loopback() {
        exit::note(format_args!(
            "warning: listening on {addr}: anyone who can reach this address can read, send and delete messages (there is no authentication)"
        ));
    }
    serve_engine(listener, engine, &options, shutdown).await?;
    exit::note("queue serve: stopped");
    Ok(ExitCode::SUCCESS)
}

/// The flags as [`ServeOptions`], or a usage error naming the bad flag.
fn options(args: &ServeArgs) -> Result<ServeOptions> {
    for name in &args.queues {
        check_queue_name(name)?;
    }
    let defaults = ServeOptions::default();
    Ok(ServeOptions {
        // The practical's topics come with the practical's queues, not with queues of one's own.
        topics: if args.queues.is_empty() {
            defaults.topics
        } else {
            Vec::new()
        },
        queues: if args.queues.is_empty() {
            defaults.queues
        } else {
            args.queues.clone()
        },
        seed: args.seed,
        servers: args.servers,
        duplicate_rate: args.duplicate_rate,
        ordered: args.ordered,
        latency: Duration::from_millis(args.latency),
        fail_rate: args.fail_rate,
        auth: args
            .auth
            .as_deref()
            .map(Keys::load)
            .transpose()?
            .map(Arc::new),
        limits: defaults.limits,
        data_dir: args.data_dir.clone(),
        console: !args.no_console,
    })
}

/// The banner's `--auth` line: how many keys may sign and where they came from.
fn auth_line(keys: usize, file: &Path) -> String {
    let plural = if keys == 1 { "" } else { "s" };
    format!(
        "auth: signatures checked ({keys} key{plural} from {}): only requests signed with one of them are served",
        file.display()
    )
}

/// A `--queue` name that breaks the SQS queue-name rule is a usage error.
fn check_queue_name(name: &str) -> Result<()> {
    if is_valid_queue_name(name) {
        Ok(())
    } else {
        Err(UsageError(format!(
            "--queue {name:?} is not a valid SQS queue name: use 1-80 letters, digits, '-' or '_', optionally ending in .fifo"
        ))
        .into())
    }
}

async fn bind(addr: SocketAddr) -> Result<TcpListener> {
    TcpListener::bind(addr).await.map_err(|error| match error.kind() {
        ErrorKind::AddrInUse => anyhow!(
            "address {addr} is in use: is another `queue serve` running? try --bind 127.0.0.1:0"
        ),
        ErrorKind::PermissionDenied => anyhow!(
            "not allowed to listen on {addr}: choose a port above 1023, e.g. --bind {DEFAULT_BIND}"
        ),
        ErrorKind::AddrNotAvailable => anyhow!(
            "cannot listen on {addr}: no network interface has that address; try --bind 127.0.0.1:0 or 0.0.0.0:9324"
        ),
        _ => anyhow!("cannot listen on {addr}: {error}"),
    })
}

/// The URL clients on this machine use: an unspecified bind address (`0.0.0.0`, `::`) is
/// reached through loopback.
fn endpoint(addr: SocketAddr) -> String {
    if addr.ip().is_unspecified() {
        let loopback = if addr.is_ipv4() { "127.0.0.1" } else { "[::1]" };
        format!("http://{loopback}:{}", addr.port())
    } else {
        format!("http://{addr}")
    }
}

/// The URLs of the queues created at start, as the engine reports them.
async fn queue_urls(engine: &Engine, endpoint: &str) -> Vec<String> {
    let ctx = RequestContext {
        region: DEFAULT_REGION.to_string(),
        account: DEFAULT_ACCOUNT.to_string(),
        host: endpoint.trim_start_matches("http://").to_string(),
        path_queue: None,
        trace_header: None,
        sender_id: String::new(),
    };
    match engine.dispatch(&ctx, "ListQueues", json!({})).await {
        Ok(output) => output
            .get("QueueUrls")
            .and_then(Value::as_array)
            .map(|urls| {
                urls.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
        Err(_) => Vec::new(),
    }
}

fn print_banner(
    endpoint: &str,
    addr: SocketAddr,
    urls: &[String],
    topics: &[String],
    auth: Option<&str>,
    console: Option<&str>,
) {
    // Bare `--local` reaches exactly one endpoint; any other needs it spelled out.
    let queue_cmd = if endpoint == crate::config::local_endpoint() {
        "queue --local".to_string()
    } else {
        // --local brings the dummy credentials; --endpoint-url the port.
        format!("queue --local --endpoint-url {endpoint}")
    };
    let example_queue = urls
        .first()
        .and_then(|url| url.rsplit('/').next())
        .unwrap_or("csse6400_prac");
    let mut lines = vec![
        format!("queue serve: SQS-compatible server listening on {addr}"),
        format!("endpoint: {endpoint}"),
        format!("region: {DEFAULT_REGION} (any region works; each region has its own queues)"),
    ];
    lines.extend(console.map(|url| format!("console: {url} (open it in a browser)")));
    lines.extend(auth.map(str::to_string));
    if urls.is_empty() {
        lines.push("queues: none yet (create them with CreateQueue)".to_string());
    } else {
        lines.push("queues:".to_string());
        lines.extend(urls.iter().map(|url| format!("  {url}")));
    }
    if !topics.is_empty() {
        lines.push("SNS topics (each delivers raw to two of the queues above):".to_string());
        lines.extend(topics.iter().map(|arn| format!("  {arn}")));
    }
    lines.extend([
        String::new(),
        "Paste these lines to point boto3, the AWS SDKs and the AWS CLI v2 at it (the AWS CLI v1 needs --endpoint-url):".to_string(),
        format!("export AWS_ENDPOINT_URL={endpoint}"),
        if auth.is_some() {
            "export AWS_ACCESS_KEY_ID=<an access key from the --auth file>".to_string()
        } else {
            "export AWS_ACCESS_KEY_ID=test".to_string()
        },
        if auth.is_some() {
            "export AWS_SECRET_ACCESS_KEY=<its secret>".to_string()
        } else {
            "export AWS_SECRET_ACCESS_KEY=test".to_string()
        },
        format!("export AWS_DEFAULT_REGION={DEFAULT_REGION}"),
        String::new(),
        "Then try:".to_string(),
        format!("  {queue_cmd} send --name {example_queue} --count 10"),
        format!("  {queue_cmd} receive --name {example_queue}"),
        format!("  aws --endpoint-url {endpoint} sqs list-queues"),
        format!("  aws --endpoint-url {endpoint} sns list-topics"),
        String::new(),
        "Ctrl-C stops the server.".to_string(),
    ]);
    let mut text = lines.join("\n");
    text.push('\n');
    let mut stdout = std::io::stdout().lock();
    // A closed stdout (piped into `head`) must not stop the server.
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> ServeArgs {
        ServeArgs {
            bind: "127.0.0.1:0".parse().unwrap(),
            queues: Vec::new(),
            seed: Some(1),
            servers: 5,
            duplicate_rate: 0.01,
            ordered: false,
            latency: 5,
            fail_rate: 0.0,
            auth: None,
            data_dir: None,
            no_console: false,
        }
    }

    #[test]
    fn options_from_flags() {
        let options = options(&args()).unwrap();
        assert_eq!(options.queues, ServeOptions::default().queues);
        assert_eq!(options.latency, Duration::from_millis(5));
        assert!(options.console);
        let off = ServeArgs {
            no_console: true,
            ..args()
        };
        assert!(!super::options(&off).unwrap().console);
        let error = super::options(&ServeArgs {
            queues: vec!["bad name".to_string()],
            ..args()
        })
        .unwrap_err();
        assert!(error.downcast_ref::<UsageError>().is_some(), "{error}");
        assert!(check_queue_name("a-b_c.fifo").is_ok());
        assert!(check_queue_name(".fifo").is_err());
        assert!(check_queue_name(&"x".repeat(81)).is_err());
    }

    #[tokio::test]
    async fn address_in_use_is_one_line_with_a_hint() {
        let taken = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = taken.local_addr().unwrap();
        let error = bind(addr).await.unwrap_err().to_string();
        assert_eq!(
            error,
            format!(
                "address {addr} is in use: is another `queue serve` running? try --bind 127.0.0.1:0"
            )
        );
    }

    #[test]
    fn unspecified_bind_is_reached_through_loopback() {
        assert_eq!(
            endpoint("0.0.0.0:9324".parse().unwrap()),
            "http://127.0.0.1:9324"
        );
        assert_eq!(
            endpoint("127.0.0.1:80".parse().unwrap()),
            "http://127.0.0.1:80"
        );
    }
}
