//! The built binary as a user runs it: a temp working directory and HOME, a clean AWS
//! environment, a timeout, and the output read back (exit code, text, JSON lines).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// Longest any single run of the binary may take before the test fails.
pub const RUN_TIMEOUT: Duration = Duration::from_secs(60);

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
    with_timeout(isolated(dir.path()))
}

/// The built binary in `dir` with dummy credentials and a region.
pub fn command(dir: &TempDir) -> assert_cmd::Command {
    with_timeout(std_command(dir))
}

/// [`command`] as a plain `std::process::Command`, for tests that signal or stream.
pub fn std_command(dir: &TempDir) -> std::process::Command {
    let mut command = isolated(dir.path());
    command
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test-secret-never-printed")
        .env("AWS_REGION", "us-east-1");
    command
}

/// The built binary with nothing from the caller's AWS set-up, env files or HOME: the one
/// place the binary's environment is isolated. `dir` is its working directory and HOME.
fn isolated(dir: &Path) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_queue"));
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", dir.join("no-config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", dir.join("no-credentials"))
        .current_dir(dir);
    command
}

/// The built binary, isolated, in Cargo's scratch directory: for runs that read and write no
/// files (`serve`, `completions`, `man`).
pub fn queue() -> std::process::Command {
    isolated(Path::new(env!("CARGO_TARGET_TMPDIR")))
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

/// Runs `command` with `args` and `--endpoint-url endpoint`.
pub fn run_at(command: assert_cmd::Command, args: &[&str], endpoint: &str) -> Run {
    run(command, &[args, &["--endpoint-url", endpoint]].concat())
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
