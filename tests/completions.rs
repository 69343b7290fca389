//! `queue completions <shell>` and `queue man` through the built binary, as a user runs them.

use std::path::PathBuf;
use std::process::{Command, Output};

use crate::util::binary;

const SHELLS: [&str; 5] = ["bash", "zsh", "fish", "powershell", "elvish"];

/// The built binary's output for `args`.
fn output(args: &[&str]) -> Output {
    binary::queue()
        .args(args)
        .output()
        .expect("run the queue binary")
}

fn stdout_of(args: &[&str]) -> String {
    let out = output(args);
    assert!(
        out.status.success(),
        "queue {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stderr.is_empty(), "queue {args:?} wrote to stderr");
    String::from_utf8(out.stdout).expect("utf-8 output")
}

#[test]
fn every_shell_gets_a_non_empty_script_for_this_command() {
    for shell in SHELLS {
        let script = stdout_of(&["completions", shell]);
        assert!(script.len() > 1000, "{shell}: only {} bytes", script.len());
        for word in [
            "queue",
            "send",
            "publish",
            "subscribe",
            "receive",
            "serve",
            "demo",
            "--endpoint-url",
        ] {
            assert!(script.contains(word), "{shell}: no {word}");
        }
    }
}

#[test]
fn unknown_shell_is_a_usage_error() {
    let out = output(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("tcsh"));
}

/// Loads the bash script into a real bash and asks it to complete `queue <words>`.
fn bash_completes(words: &[&str]) -> Vec<String> {
    let script = stdout_of(&["completions", "bash"]);
    let path: PathBuf =
        std::env::temp_dir().join(format!("queue-completion-{}.bash", std::process::id()));
    std::fs::write(&path, script).expect("write the script");
    let line = format!("queue {}", words.join(" "));
    let driver = r#"
        source "$1" || exit 3
        shift
        COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
        _queue queue "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
        printf '%s\n' "${COMPREPLY[@]}"
    "#;
    let mut args = vec!["--norc", "--noprofile", "-c", driver, "bash"];
    args.push(path.to_str().expect("utf-8 temp path"));
    args.push("queue");
    args.extend(words);
    let out = Command::new("bash").args(&args).output();
    let _ = std::fs::remove_file(&path);
    let out = out.expect("bash is installed");
    assert!(
        out.status.success(),
        "bash could not complete {line:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn bash_completes_subcommands_and_shell_names() {
    let after_se = bash_completes(&["se"]);
    assert!(after_se.iter().any(|w| w == "send"), "{after_se:?}");
    assert!(after_se.iter().any(|w| w == "serve"), "{after_se:?}");
    assert!(!after_se.iter().any(|w| w == "demo"), "{after_se:?}");

    let shells = bash_completes(&["completions", ""]);
    for shell in SHELLS {
        assert!(shells.iter().any(|w| w == shell), "{shell} in {shells:?}");
    }

    let serve_flags = bash_completes(&["serve", "--b"]);
    assert_eq!(serve_flags, ["--bind"]);
}

#[test]
fn man_page_is_roff_for_queue_1_covering_every_subcommand() {
    let page = stdout_of(&["man"]);
    let title = page.lines().find(|l| l.starts_with(".TH "));
    assert_eq!(
        title.map(|t| t.split_whitespace().take(3).collect::<Vec<_>>().join(" ")),
        Some(".TH queue 1".into())
    );
    for heading in [
        ".SH NAME",
        ".SH SYNOPSIS",
        ".SH OPTIONS",
        ".SH \"QUEUE SEND\"",
        ".SH \"QUEUE RECEIVE\"",
        ".SH \"QUEUE SERVE\"",
        ".SH \"QUEUE DEMO\"",
        ".SH \"QUEUE COMPLETIONS\"",
        ".SH \"QUEUE MAN\"",
    ] {
        assert!(page.contains(heading), "no {heading}");
    }
    // The original practical's form is documented on the page too.
    assert!(page.contains("\\-\\-client\\-name"));
}
