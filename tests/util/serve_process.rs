//! `queue serve` as a child process: started on `127.0.0.1:0` until its banner is printed,
//! signalled, waited for, and killed on drop so a failing test leaves no server behind.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use super::binary::queue;

/// A running `queue serve`, killed when dropped so a failing test leaves no server behind.
pub struct ServeProcess(pub Child);

impl Drop for ServeProcess {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

impl std::ops::Deref for ServeProcess {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

/// Starts `queue serve` and returns it with the banner lines printed up to "Ctrl-C stops".
pub fn start(extra: &[&str]) -> (ServeProcess, Vec<String>) {
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
                    return (ServeProcess(child), banner);
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

/// The endpoint the banner tells users to export.
pub fn endpoint(banner: &[String]) -> String {
    banner
        .iter()
        .find_map(|line| line.strip_prefix("export AWS_ENDPOINT_URL="))
        .expect("export AWS_ENDPOINT_URL line")
        .to_string()
}

/// Sends signal `name` (`TERM`, `INT`) to `child` with kill(1).
pub fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([format!("-{name}"), child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());
}

/// Waits for the child to exit (at most 10 s) and returns its exit code and stderr.
pub fn wait(mut server: ServeProcess) -> (Option<i32>, String) {
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
