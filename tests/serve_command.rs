//! `queue serve` as a user runs it (the real binary): the banner with the endpoint, queue URLs
//! and lines to paste, a clean stop on SIGTERM and SIGINT with exit code 0, one-line errors for
//! a taken port (exit 1) and out-of-range flags (exit 2).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Stdio;

use crate::util::binary::queue;
use crate::util::serve_process::{ServeProcess, endpoint, signal, start, wait};

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
    let mut child = ServeProcess(
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
