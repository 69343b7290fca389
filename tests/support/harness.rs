//! Shared by the `cli_*` binary tests: the embedded server in-process, a temp working
//! directory, the built binary with a clean AWS environment, and a tiny fake of AWS that
//! answers every request with one canned error (for errors only real AWS produces).

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use queue::server::{LocalServer, ServeOptions};

/// Longest any single run of the binary may take before the test fails.
pub const RUN_TIMEOUT: Duration = Duration::from_secs(60);

/// The embedded server, kept alive (with its runtime) for the test.
pub struct Server {
    runtime: tokio::runtime::Runtime,
    server: Option<LocalServer>,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
}

impl Server {
    /// Starts a server with these options.
    pub fn start(options: ServeOptions) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let server = runtime
            .block_on(LocalServer::start(options))
            .expect("server starts");
        let endpoint = server.endpoint();
        Self {
            runtime,
            server: Some(server),
            endpoint,
        }
    }

    /// The practical's two queues, strict order on the standard one, no duplicates.
    pub fn ordered() -> Self {
        Self::start(ServeOptions {
            ordered: true,
            duplicate_rate: 0.0,
            seed: Some(7),
            ..ServeOptions::default()
        })
    }

    /// Runs SDK calls against the server (queue creation, peeking).
    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// A client with dummy credentials.
    pub fn sqs(&self) -> queue::sqs::Sqs {
        queue::sqs::connect_local(&self.endpoint, "us-east-1")
    }

    /// Creates a queue with these attributes, returns its URL.
    pub fn create_queue(&self, name: &str, attributes: &[(&str, &str)]) -> String {
        let sqs = self.sqs();
        self.block_on(async {
            let mut request = sqs.client.create_queue().queue_name(name);
            for (key, value) in attributes {
                request = request.attributes((*key).into(), (*value).to_string());
            }
            request
                .send()
                .await
                .expect("create queue")
                .queue_url
                .expect("url")
        })
    }

    /// Moves the server clock (dedup window, visibility).
    pub fn advance_clock(&self, by: Duration) {
        if let Some(server) = &self.server {
            server.advance_clock(by);
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            let _ = self.runtime.block_on(server.stop());
        }
    }
}

/// A fresh empty directory, removed on drop: the binary's working directory and HOME, so no
/// developer's aws.env or ~/.aws is ever read.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new() -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "queue-cli-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("temp dir");
        Self(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn write(&self, name: &str, text: &str) {
        std::fs::write(self.0.join(name), text).expect("write file");
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The built binary in `dir`, with no AWS variables but the ones given.
pub fn bare_command(dir: &TempDir) -> assert_cmd::Command {
    with_timeout(bare_std_command(dir))
}

/// The built binary in `dir` with dummy credentials and a region.
pub fn command(dir: &TempDir) -> assert_cmd::Command {
    with_timeout(std_command(dir))
}

/// [`command`] as a plain `std::process::Command`, for tests that signal or stream.
pub fn std_command(dir: &TempDir) -> std::process::Command {
    let mut command = bare_std_command(dir);
    command
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test-secret-never-printed")
        .env("AWS_REGION", "us-east-1");
    command
}

/// The one place the binary's environment is isolated: nothing from the caller's AWS set-up,
/// env files or HOME reaches it.
fn bare_std_command(dir: &TempDir) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_queue"));
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir.path())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", dir.path().join("no-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            dir.path().join("no-credentials"),
        )
        .current_dir(dir.path());
    command
}

fn with_timeout(command: std::process::Command) -> assert_cmd::Command {
    let mut command = assert_cmd::Command::from_std(command);
    command.timeout(RUN_TIMEOUT);
    command
}

/// What a run left behind.
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `command` with `args`.
pub fn run(mut command: assert_cmd::Command, args: &[&str]) -> Run {
    let output = command.args(args).output().expect("binary runs");
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The lines of a JSON-lines output, parsed.
pub fn json_lines(stdout: &str) -> Vec<serde_json::Value> {
    stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

/// The `number` field of each JSON line.
pub fn numbers(lines: &[serde_json::Value]) -> Vec<u64> {
    lines
        .iter()
        .map(|line| line["number"].as_u64().expect("number"))
        .collect()
}

/// A fake of AWS on a loopback port: answers every request with this HTTP status, legacy error
/// code (`x-amzn-query-error`) and JSON `__type`/`message`. Returns the endpoint.
pub fn fake_aws_error(status: u16, query_code: &str, shape: &str, message: &str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let endpoint = format!("http://{}", listener.local_addr().expect("addr"));
    let body = serde_json::json!({ "__type": shape, "message": message }).to_string();
    let response = format!(
        "HTTP/1.1 {status} Error\r\nx-amzn-RequestId: 00000000-0000-0000-0000-000000000000\r\n\
         x-amzn-query-error: {query_code};Sender\r\nContent-Type: application/x-amz-json-1.0\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                let lower = line.to_ascii_lowercase();
                if let Some(value) = lower.strip_prefix("content-length:") {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let _ = stream.write_all(response.as_bytes());
        }
    });
    endpoint
}

/// A loopback endpoint nothing listens on.
pub fn dead_endpoint() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let endpoint = format!("http://{}", listener.local_addr().expect("addr"));
    drop(listener);
    endpoint
}
