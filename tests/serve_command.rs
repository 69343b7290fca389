//! `queue serve` as a user runs it (the real binary): the banner with the endpoint, queue URLs
//! and lines to paste, a clean stop on SIGTERM and SIGINT with exit code 0, one-line errors for
//! a taken port (exit 1) and out-of-range flags (exit 2).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

fn queue() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_queue"));
    // No env files or credentials from the machine running the tests.
    command
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_PROFILE")
        .current_dir(env!("CARGO_TARGET_TMPDIR"));
    command
}

/// A running `queue serve`, killed when dropped so a failing test leaves no server behind.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

impl std::ops::Deref for Server {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

/// Starts `queue serve` and returns it with the banner lines printed up to "Ctrl-C stops".
fn start(extra: &[&str]) -> (Server, Vec<String>) {
    let mut child = queue()
        .args(["serve", "--bind", "127.0.0.1:0", "--seed", "1"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn queue serve");
    let stdout = child.stdout.take().expect("stdout");
    let (lines_tx, lines_rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut banner = Vec::new();
    loop {
        match lines_rx.recv_timeout(Duration::from_secs(20)) {
            Ok(line) => {
                let done = line.contains("Ctrl-C stops the server");
                banner.push(line);
                if done {
                    return (Server(child), banner);
                }
            }
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                let mut stderr = String::new();
                if let Some(mut err) = child.stderr.take() {
                    let _ = err.read_to_string(&mut stderr);
                }
                panic!("no complete banner; stdout so far {banner:?}; stderr {stderr}");
            }
        }
    }
}

fn endpoint(banner: &[String]) -> String {
    banner
        .iter()
        .find_map(|line| line.strip_prefix("export AWS_ENDPOINT_URL="))
        .expect("export AWS_ENDPOINT_URL line")
        .to_string()
}

/// One JSON ListQueues over a plain socket.
fn list_queues(endpoint: &str) -> String {
    let addr = endpoint.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).expect("connect");
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nX-Amz-Target: AmazonSQS.ListQueues\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}"
    );
    stream.write_all(request.as_bytes()).expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    response
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([format!("-{name}"), child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());
}

/// Waits for the child to exit (at most 10 s) and returns its exit code and stderr.
fn wait(mut server: Server) -> (Option<i32>, String) {
    let child = &mut server.0;
    for _ in 0..100 {
        if let Some(status) = child.try_wait().expect("wait") {
            let mut stderr = String::new();
            if let Some(mut err) = child.stderr.take() {
                let _ = err.read_to_string(&mut stderr);
            }
            return (status.code(), stderr);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("queue serve did not stop within 10 s");
}

#[cfg(unix)]
#[test]
fn banner_then_clean_stop_on_sigterm() {
    let (child, banner) = start(&[]);
    let endpoint = endpoint(&banner);
    assert!(endpoint.starts_with("http://127.0.0.1:"), "{banner:?}");
    for line in [
        "export AWS_ACCESS_KEY_ID=test",
        "export AWS_SECRET_ACCESS_KEY=test",
        "export AWS_DEFAULT_REGION=us-east-1",
    ] {
        assert!(banner.iter().any(|l| l == line), "{line} in {banner:?}");
    }
    assert!(
        banner
            .iter()
            .any(|l| l.trim() == format!("aws --endpoint-url {endpoint} sqs list-queues")),
        "{banner:?}"
    );
    // The suggested `queue ... send` line works as printed, with no credentials set up.
    let send_line = banner
        .iter()
        .map(|l| l.trim())
        .find(|l| l.starts_with("queue ") && l.contains(&format!("--endpoint-url {endpoint} send")))
        .unwrap_or_else(|| panic!("no queue send example in {banner:?}"));
    let sent = queue()
        .args(send_line.split_whitespace().skip(1))
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .output()
        .expect("run the suggested send");
    assert!(
        sent.status.success(),
        "`{send_line}`: {}",
        String::from_utf8_lossy(&sent.stderr)
    );
    for queue in [
        "/000000000000/csse6400_prac",
        "/000000000000/csse6400_prac.fifo",
    ] {
        assert!(
            banner.iter().any(|l| l.trim().ends_with(queue)),
            "{banner:?}"
        );
    }
    let response = list_queues(&endpoint);
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("csse6400_prac.fifo"), "{response}");

    signal(&child, "TERM");
    let (code, stderr) = wait(child);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stderr.contains("warning"), "{stderr}");
}

#[cfg(unix)]
#[test]
fn sigint_stops_too_and_named_queues_are_created() {
    let (child, banner) = start(&["--queue", "jobs", "--queue", "jobs.fifo"]);
    assert!(
        banner
            .iter()
            .any(|l| l.trim().ends_with("/000000000000/jobs"))
    );
    assert!(!banner.iter().any(|l| l.trim().ends_with("/csse6400_prac")));
    signal(&child, "INT");
    let (code, stderr) = wait(child);
    assert_eq!(code, Some(0), "{stderr}");
}

#[cfg(unix)]
#[test]
fn non_loopback_bind_warns() {
    let mut child = Server(
        queue()
            .args(["serve", "--bind", "0.0.0.0:0"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn"),
    );
    let mut stderr = BufReader::new(child.0.stderr.take().expect("stderr"));
    let mut line = String::new();
    stderr.read_line(&mut line).expect("read warning");
    signal(&child, "TERM");
    let (code, _) = wait(child);
    assert!(line.starts_with("warning: listening on 0.0.0.0:"), "{line}");
    assert!(line.contains("anyone who can reach"), "{line}");
    assert_eq!(code, Some(0));
}

#[test]
fn taken_port_is_one_line_with_a_hint_and_exit_1() {
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr");
    let output = queue()
        .args(["serve", "--bind", &addr.to_string()])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "address {addr} is in use: is another `queue serve` running? try --bind 127.0.0.1:0"
        )),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(output.stdout.is_empty());
}

#[test]
fn rates_out_of_range_are_usage_errors() {
    for (flag, value) in [("--fail-rate", "1.5"), ("--duplicate-rate", "-0.1")] {
        let output = queue()
            .args(["serve", "--bind", "127.0.0.1:0", &format!("{flag}={value}")])
            .output()
            .expect("run");
        assert_eq!(output.status.code(), Some(2), "{flag}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(flag), "{stderr}");
        assert!(stderr.contains("between 0 and 1"), "{stderr}");
    }
}
