//! The built binary against an in-process server: one [`Cli`] holds both and runs `queue send`,
//! `queue receive` or any other command line at the server's endpoint, to completion or as a
//! child process with piped output; [`sigterm`] stops such a child as Ctrl-C's sibling would.

use std::process::{Child, ExitStatus, Stdio};

use queue::server::ServeOptions;

use super::binary::{Run, TempDir, command, run, std_command};
use super::server::BlockingServer;

/// A server and the working directory the binary runs in against it.
pub struct Cli {
    pub server: BlockingServer,
    pub dir: TempDir,
}

impl Cli {
    /// [`BlockingServer::ordered`]: the practical's two queues, strict order, seed 7.
    pub fn ordered() -> Self {
        Self::with(BlockingServer::ordered())
    }

    /// A server with these options.
    pub fn start(options: ServeOptions) -> Self {
        Self::with(BlockingServer::start(options))
    }

    fn with(server: BlockingServer) -> Self {
        Self {
            server,
            dir: TempDir::new(),
        }
    }

    /// `queue ARGS --endpoint-url SERVER` with dummy credentials, run to the end.
    pub fn run(&self, args: &[&str]) -> Run {
        run(command(&self.dir), &self.at_server(args))
    }

    /// `queue send --name QUEUE ARGS` at the server.
    pub fn send(&self, queue: &str, args: &[&str]) -> Run {
        self.run(&[&["send", "--name", queue], args].concat())
    }

    /// `queue receive --name QUEUE --wait 1 ARGS` at the server.
    pub fn receive(&self, queue: &str, args: &[&str]) -> Run {
        self.run(&[&["receive", "--name", queue, "--wait", "1"], args].concat())
    }

    /// `queue ARGS --endpoint-url SERVER` as a process to spawn.
    pub fn command(&self, args: &[&str]) -> std::process::Command {
        let mut command = std_command(&self.dir);
        command.args(self.at_server(args));
        command
    }

    /// [`Cli::command`] spawned, stdout and stderr piped.
    pub fn spawn(&self, args: &[&str]) -> Child {
        self.command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn")
    }

    fn at_server<'a>(&'a self, args: &[&'a str]) -> Vec<&'a str> {
        [args, &["--endpoint-url", &self.server.endpoint]].concat()
    }
}

/// Sends SIGTERM to `child` with `kill -TERM`; the exit status of `kill`.
pub fn sigterm(child: &Child) -> ExitStatus {
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill")
}
