//! The `queue` binary: parse the command line, run, turn the outcome into an exit code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = queue::cli::Cli::parse();
    queue::exit::finish(queue::run(cli))
}
