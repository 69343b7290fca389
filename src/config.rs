//! Resolves the command line and the environment once: env files, terminal, colour, endpoint,
//! region. Nothing below this module reads environment variables or asks whether stdout is a
//! terminal.
//!
//! Env files are loaded with `dotenvy` and never override variables already set. Each file is
//! also checked for the mistakes students make when pasting Learner Lab credentials (the INI
//! format of `~/.aws/credentials`, lower-case names, quotes, spaces); what is found is kept in
//! [`Config::env_problems`] and shown in the hint of any credential error.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::Result;
use chrono::{FixedOffset, Local, Offset};

use crate::cli::{ColorWhen, DEFAULT_BIND, GlobalArgs, OutputMode};
use crate::exit::Friendly;

/// Env files read from the current directory when `--env-file` is not given.
pub const DEFAULT_ENV_FILES: [&str; 2] = ["aws.env", ".env"];
/// Set (to anything but empty or `0`) to make `queue` act as if stdout were a terminal.
pub const PRETEND_TTY_VAR: &str = "QUEUE_TEST_PRETEND_TTY";
/// The credential variables the SDK reads, in the order a Learner Lab session lists them.
pub const CREDENTIAL_VARS: [&str; 3] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
];

/// Decisions every command needs, made once.
#[derive(Debug, Clone)]
pub struct Config {
    /// Endpoint override (`--endpoint-url`, `--local`, or `AWS_ENDPOINT_URL[_SQS]`).
    pub endpoint_url: Option<String>,
    /// The SNS endpoint override: the same flags (`queue serve` answers SQS and SNS on one
    /// port), else `AWS_ENDPOINT_URL_SNS`, else `AWS_ENDPOINT_URL`.
    pub sns_endpoint_url: Option<String>,
    /// Region from `--region`; `None` means the SDK's chain, then us-east-1.
    pub region: Option<String>,
    /// `--profile`.
    pub profile: Option<String>,
    /// `--local`: dummy credentials when none are configured.
    pub local: bool,
    /// Whether stdout is a terminal (or `QUEUE_TEST_PRETEND_TTY` is set).
    pub stdout_is_tty: bool,
    /// Whether stdin is a terminal (someone can answer a question).
    pub stdin_is_tty: bool,
    /// `--output` when it is not given: the live view when stdout is a terminal, else plain
    /// lines.
    pub default_output: OutputMode,
    /// Whether to use colour.
    pub color: bool,
    /// The local time zone's offset from UTC, read once: every presenter shows times in it.
    pub local_offset: FixedOffset,
    /// Whether to print the banner line.
    pub banner: bool,
    /// Credentials are configured by environment (`AWS_ACCESS_KEY_ID`) or a named profile.
    pub has_env_credentials: bool,
    /// Env files that were read, in order.
    pub env_files: Vec<PathBuf>,
    /// Mistakes found in env files or credential variables, one sentence each (no values).
    pub env_problems: Vec<String>,
}

/// No terminal, no colour, times in UTC, nothing read: what tests start from.
impl Default for Config {
    fn default() -> Self {
        Self {
            endpoint_url: None,
            sns_endpoint_url: None,
            region: None,
            profile: None,
            local: false,
            stdout_is_tty: false,
            stdin_is_tty: false,
            default_output: OutputMode::Plain,
            color: false,
            local_offset: FixedOffset::east_opt(0).expect("0 is a valid offset"),
            banner: false,
            has_env_credentials: false,
            env_files: Vec::new(),
            env_problems: Vec::new(),
        }
    }
}

/// Loads env files and decides everything in [`Config`].
///
/// # Errors
/// An unreadable `--env-file`.
pub fn resolve(global: &GlobalArgs) -> Result<Config> {
    let mut env_files = Vec::new();
    let mut env_problems = Vec::new();
    let candidates: Vec<PathBuf> = match &global.env_file {
        Some(path) => {
            if !path.is_file() {
                return Err(Friendly::new(
                    format!("cannot read the env file {}", path.display()),
                    "check the path given to --env-file (leave it out to use ./aws.env when present)",
                )
                .into());
            }
            vec![path.clone()]
        }
        None => DEFAULT_ENV_FILES
            .iter()
            .map(PathBuf::from)
            .filter(|path| path.is_file())
            .collect(),
    };
    for path in candidates {
        load_env_file(&path, &mut env_problems)?;
        env_files.push(path);
    }
    // The variables an env file set are already judged with the file: say each thing once.
    let file_said_lower_case = env_problems.iter().any(|p| p.contains("lower-case"));
    env_problems.extend(
        diagnose_environment(std::env::vars())
            .into_iter()
            .filter(|problem| !(file_said_lower_case && problem.contains("is lower case"))),
    );

    let stdout_is_tty = std::io::stdout().is_terminal() || env_flag(PRETEND_TTY_VAR);
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let dumb = std::env::var("TERM").is_ok_and(|term| term == "dumb");
    let color = match global.color {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto => stdout_is_tty && !no_color && !dumb,
    };
    let flag_endpoint = global
        .endpoint_url
        .clone()
        .or_else(|| global.local.then(local_endpoint));
    let endpoint_url = flag_endpoint
        .clone()
        .or_else(|| non_empty_var("AWS_ENDPOINT_URL_SQS"))
        .or_else(|| non_empty_var("AWS_ENDPOINT_URL"));
    let sns_endpoint_url = flag_endpoint
        .or_else(|| non_empty_var("AWS_ENDPOINT_URL_SNS"))
        .or_else(|| non_empty_var("AWS_ENDPOINT_URL"));
    let has_env_credentials = non_empty_var("AWS_ACCESS_KEY_ID").is_some()
        || global.profile.is_some()
        || non_empty_var("AWS_PROFILE").is_some();

    Ok(Config {
        endpoint_url,
        sns_endpoint_url,
        region: global.region.clone(),
        profile: global.profile.clone(),
        local: global.local,
        stdout_is_tty,
        stdin_is_tty: std::io::stdin().is_terminal(),
        default_output: if stdout_is_tty {
            OutputMode::Tui
        } else {
            OutputMode::Plain
        },
        color,
        local_offset: Local::now().offset().fix(),
        banner: !global.no_banner,
        has_env_credentials,
        env_files,
        env_problems,
    })
}

/// The endpoint `--local` points at: `queue serve` on its default address.
#[must_use]
pub fn local_endpoint() -> String {
    format!("http://{DEFAULT_BIND}")
}

fn non_empty_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

fn env_flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|value| !value.is_empty() && value != "0")
}

/// Reads one env file into the environment (never overriding) and notes its problems.
fn load_env_file(path: &Path, problems: &mut Vec<String>) -> Result<()> {
    let text = std::fs::read_to_string(path).map_err(|error| {
        Friendly::new(
            format!("cannot read the env file {}: {error}", path.display()),
            "check the file's permissions, or pass another file with --env-file",
        )
    })?;
    let name = path.display().to_string();
    problems.extend(diagnose_env_file(&name, &text));
    if dotenvy::from_path(path).is_err() && !problems.iter().any(|p| p.starts_with(&name)) {
        problems.push(format!(
            "{name} could not be read completely: write one NAME=value per line"
        ));
    }
    Ok(())
}

/// The mistakes in an env file's text, one sentence each. Never quotes a value.
#[must_use]
pub fn diagnose_env_file(name: &str, text: &str) -> Vec<String> {
    let mut ini = false;
    let mut lower = false;
    let mut spaces = false;
    let mut quotes = false;
    let mut trailing = false;
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if trimmed.starts_with('[') && trimmed.ends_with(']') {
            ini = true;
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key_trimmed = key.trim().trim_start_matches("export ").trim();
        if CREDENTIAL_VARS
            .iter()
            .any(|var| var.eq_ignore_ascii_case(key_trimmed) && *var != key_trimmed)
        {
            lower = true;
        }
        if key.ends_with(' ') || value.starts_with(' ') {
            spaces = true;
        }
        let value_trimmed = value.trim();
        if value_trimmed.len() >= 2
            && ((value_trimmed.starts_with('"') && value_trimmed.ends_with('"'))
                || (value_trimmed.starts_with('\'') && value_trimmed.ends_with('\'')))
        {
            quotes = true;
        }
        if value.ends_with(' ') || value.ends_with('\t') || value.ends_with('\r') {
            trailing = true;
        }
    }
    let mut problems = Vec::new();
    if ini {
        problems.push(format!(
            "{name} is in the INI format of ~/.aws/credentials ([default], aws_access_key_id = ...): \
             remove the [default] line and write AWS_ACCESS_KEY_ID=..., AWS_SECRET_ACCESS_KEY=..., AWS_SESSION_TOKEN=..."
        ));
    } else if lower {
        problems.push(format!(
            "{name} uses lower-case names (aws_access_key_id): the variables must be upper case, AWS_ACCESS_KEY_ID=..."
        ));
    }
    if spaces && !ini {
        problems.push(format!(
            "{name} has spaces around '=': write NAME=value with no spaces"
        ));
    }
    if quotes {
        problems.push(format!(
            "{name} puts values in quotes: `docker --env-file` keeps the quotes as part of the key, write NAME=value"
        ));
    }
    if trailing {
        problems.push(format!(
            "{name} has spaces or a carriage return (Windows line ending) after a value: remove them"
        ));
    }
    problems
}

/// Mistakes visible in the environment itself (what `docker --env-file` passed in).
#[must_use]
pub fn diagnose_environment(vars: impl IntoIterator<Item = (String, String)>) -> Vec<String> {
    let mut problems = Vec::new();
    for (key, value) in vars {
        let upper = key.to_ascii_uppercase();
        if !CREDENTIAL_VARS.contains(&upper.as_str()) {
            continue;
        }
        if key != upper {
            problems.push(format!(
                "the variable {key} is lower case: the SDK only reads {upper}"
            ));
            continue;
        }
        let trimmed = value.trim();
        if trimmed.len() != value.len() {
            problems.push(format!(
                "{key} has spaces or a carriage return around its value: remove them"
            ));
        }
        if trimmed.len() >= 2 && (trimmed.starts_with('"') || trimmed.starts_with('\'')) {
            problems.push(format!(
                "{key} is wrapped in quotes (docker --env-file keeps them): write NAME=value without quotes"
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ini_format_is_recognised() {
        let text = "[default]\naws_access_key_id = ASIA\naws_secret_access_key = x\n";
        let problems = diagnose_env_file("aws.env", text);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("INI format"));
        assert!(!problems[0].contains("ASIA"), "values are never shown");
    }

    #[test]
    fn lower_case_quotes_and_spaces_are_recognised() {
        let problems = diagnose_env_file("aws.env", "aws_access_key_id=ASIA\n");
        assert!(problems[0].contains("lower-case"), "{problems:?}");
        let problems = diagnose_env_file("aws.env", "AWS_ACCESS_KEY_ID=\"ASIA\"\n");
        assert!(problems[0].contains("quotes"), "{problems:?}");
        let problems = diagnose_env_file("aws.env", "AWS_ACCESS_KEY_ID = ASIA\n");
        assert!(problems[0].contains("spaces around"), "{problems:?}");
        let problems = diagnose_env_file("aws.env", "AWS_ACCESS_KEY_ID=ASIA \n");
        assert!(problems[0].contains("after a value"), "{problems:?}");
    }

    #[test]
    fn a_correct_file_has_no_problems() {
        let text = "# Learner Lab\nAWS_ACCESS_KEY_ID=ASIA\nAWS_SECRET_ACCESS_KEY=abc\nAWS_SESSION_TOKEN=tok==\n";
        assert!(diagnose_env_file("aws.env", text).is_empty());
    }

    #[test]
    fn environment_problems_name_the_variable_not_the_value() {
        let vars = vec![
            ("aws_access_key_id".to_string(), "ASIAX".to_string()),
            (
                "AWS_SECRET_ACCESS_KEY".to_string(),
                "\"secret\"".to_string(),
            ),
            ("AWS_SESSION_TOKEN".to_string(), "tok ".to_string()),
            ("HOME".to_string(), "\"x\"".to_string()),
        ];
        let problems = diagnose_environment(vars);
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems.iter().all(|p| !p.contains("secret\"")));
    }
}
