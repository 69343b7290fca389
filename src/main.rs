//! The `queue` binary: parse the command line, run, turn the outcome into an exit code.

use std::process::ExitCode;

use clap::Parser;

/// mimalloc instead of the system allocator: `queue serve` allocates for every request (the
/// parsed JSON, the answer, each message), and glibc's malloc and free took about a fifth of
/// its CPU (docs/bench.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = queue::cli::Cli::parse();
    queue::exit::finish(queue::run(cli))
}
