//! The errors a student hits, through the built binary: one `queue:` line, a `hint:` line,
//! the right exit code, no backtrace, no secret. AWS-only errors come from a fake of AWS.

use std::time::{Duration, Instant};

use crate::util::binary::{Run, TempDir, bare_command, command, run, run_at};
use crate::util::cli::Cli;
use crate::util::fake_aws::{
    ACCESS_DENIED, AwsError, EXPIRED_TOKEN, INVALID_CLIENT_TOKEN_ID, SIGNATURE_DOES_NOT_MATCH,
    UNRECOGNIZED_CLIENT, dead_endpoint, fake_aws,
};
use crate::util::server::BlockingServer;

const SECRET: &str = "test-secret-never-printed";

fn assert_friendly(run: &Run, message: &str, hint: &str) {
    assert_eq!(run.code, Some(1), "stderr: {}", run.stderr);
    let lines: Vec<&str> = run
        .stderr
        .lines()
        .filter(|line| !line.starts_with("note:"))
        .collect();
    assert_eq!(lines.len(), 2, "one message and one hint: {}", run.stderr);
    assert!(
        lines[0].starts_with("queue: ") && lines[0].contains(message),
        "{}",
        run.stderr
    );
    assert!(
        lines[1].starts_with("hint: ") && lines[1].contains(hint),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("panicked") && !run.stderr.contains("backtrace"));
    assert!(!run.stderr.contains(SECRET) && !run.stdout.contains(SECRET));
}

/// `queue send --name q` with no AWS variables, at an endpoint nothing listens on.
fn send_without_credentials(dir: &TempDir) -> Run {
    run_at(
        bare_command(dir),
        &["send", "--name", "q"],
        &dead_endpoint(),
    )
}

/// [`send_without_credentials`] from a folder whose `aws.env` holds `contents`.
fn send_with_aws_env(contents: &str) -> Run {
    let dir = TempDir::new();
    dir.write("aws.env", contents);
    send_without_credentials(&dir)
}

/// `queue VERB --name q` against a fake of AWS that answers with `error`.
fn answered_by(error: &AwsError, verb: &str) -> Run {
    let dir = TempDir::new();
    run_at(command(&dir), &[verb, "--name", "q"], &fake_aws(error))
}

#[test]
fn unreachable_endpoint_fails_fast_naming_it() {
    let dir = TempDir::new();
    let endpoint = dead_endpoint();
    let started = Instant::now();
    let run = run_at(
        command(&dir),
        &["--name", "csse6400_prac", "--client-name", "C"],
        &endpoint,
    );
    assert_friendly(
        &run,
        &format!("{endpoint} cannot be reached"),
        "queue serve",
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn ini_format_aws_env_is_named_when_credentials_are_missing() {
    let run = send_with_aws_env(
        "[default]\naws_access_key_id = ASIAEXAMPLE\naws_secret_access_key = hidden-secret\n",
    );
    assert_friendly(&run, "no AWS credentials found", "INI format");
    assert!(!run.stderr.contains("hidden-secret") && !run.stderr.contains("ASIAEXAMPLE"));
}

#[test]
fn lower_case_names_in_aws_env_are_named() {
    let run = send_with_aws_env("aws_access_key_id=ASIAEXAMPLE\naws_secret_access_key=s\n");
    assert_friendly(&run, "no AWS credentials found", "lower-case");
    assert_eq!(
        run.stderr.matches("lower").count(),
        1,
        "said once, not again for each variable the file set: {}",
        run.stderr
    );
}

#[test]
fn no_aws_env_at_all_says_where_credentials_go() {
    let dir = TempDir::new();
    let run = send_without_credentials(&dir);
    assert_friendly(&run, "no AWS credentials found", "aws.env");
    assert!(run.stderr.contains("--profile"), "{}", run.stderr);
}

#[test]
fn local_flag_needs_no_credentials_and_env_endpoint_is_honoured() {
    let server = BlockingServer::ordered();
    let dir = TempDir::new();
    let local = run_at(
        bare_command(&dir),
        &["send", "--name", "csse6400_prac", "--count", "3", "--local"],
        &server.endpoint,
    );
    assert_eq!(local.code, Some(0), "{}", local.stderr);
    let mut from_env = command(&dir);
    from_env.env("AWS_ENDPOINT_URL", &server.endpoint);
    let from_env = run(
        from_env,
        &["send", "--name", "csse6400_prac", "--count", "3"],
    );
    assert_eq!(from_env.code, Some(0), "{}", from_env.stderr);
    assert!(
        from_env.stderr.contains(&format!("at {}", server.endpoint)),
        "banner: {}",
        from_env.stderr
    );
}

#[test]
fn everything_can_come_from_aws_env() {
    let server = BlockingServer::ordered();
    let dir = TempDir::new();
    dir.write(
        "aws.env",
        &format!(
            "AWS_ACCESS_KEY_ID=from-file\nAWS_SECRET_ACCESS_KEY=from-file\nAWS_REGION=us-east-1\nAWS_ENDPOINT_URL={}\n",
            server.endpoint
        ),
    );
    let sent = run(
        bare_command(&dir),
        &["--name", "csse6400_prac", "--client-name", "C"],
    );
    assert_eq!(sent.code, Some(0), "{}", sent.stderr);
    assert!(sent.stderr.contains("sent 100 in "), "{}", sent.stderr);
    assert!(!sent.stderr.contains("note: no region"), "{}", sent.stderr);
}

#[test]
fn a_good_aws_env_is_loaded_but_never_overrides_the_environment() {
    let dir = TempDir::new();
    dir.write(
        "aws.env",
        "AWS_ACCESS_KEY_ID=from-file\nAWS_SECRET_ACCESS_KEY=from-file\nAWS_REGION=ap-southeast-2\n",
    );
    let endpoint = dead_endpoint();
    // Credentials come from the file: the failure is the endpoint, not credentials.
    let run_file = run_at(bare_command(&dir), &["send", "--name", "q"], &endpoint);
    assert!(
        run_file.stderr.contains("cannot be reached"),
        "{}",
        run_file.stderr
    );
    assert!(
        !run_file.stderr.contains("note: no region"),
        "{}",
        run_file.stderr
    );
    // The environment's region wins over the file's: shown in the not-found message.
    let server = BlockingServer::ordered();
    let mut cmd = bare_command(&dir);
    cmd.env("AWS_REGION", "eu-west-1");
    let run_env = run_at(cmd, &["send", "--name", "nope"], &server.endpoint);
    assert!(
        run_env.stderr.contains("region eu-west-1"),
        "{}",
        run_env.stderr
    );
}

#[test]
fn explicit_env_file_that_does_not_exist_is_an_error() {
    let dir = TempDir::new();
    let run = run(
        command(&dir),
        &["send", "--name", "q", "--env-file", "missing.env"],
    );
    assert_friendly(&run, "cannot read the env file missing.env", "--env-file");
}

#[test]
fn expired_token_says_restart_the_lab() {
    let run = answered_by(&EXPIRED_TOKEN, "send");
    assert_friendly(
        &run,
        "session token has expired",
        "Learner Lab sessions end: start the lab again and copy fresh credentials into aws.env",
    );
}

#[test]
fn invalid_token_and_unrecognized_client_are_named() {
    for error in [INVALID_CLIENT_TOKEN_ID, UNRECOGNIZED_CLIENT] {
        let run = answered_by(&error, "send");
        assert_friendly(
            &run,
            "does not recognise the access key",
            "Learner Lab session",
        );
    }
}

#[test]
fn quoted_values_are_named_in_the_hint() {
    let dir = TempDir::new();
    let endpoint = fake_aws(&INVALID_CLIENT_TOKEN_ID);
    let mut cmd = bare_command(&dir);
    cmd.env("AWS_ACCESS_KEY_ID", "\"ASIAEXAMPLE\"")
        .env("AWS_SECRET_ACCESS_KEY", "\"abc\"")
        .env("AWS_REGION", "us-east-1");
    let run = run_at(cmd, &["send", "--name", "q"], &endpoint);
    assert_friendly(
        &run,
        "does not recognise the access key",
        "wrapped in quotes",
    );
    assert!(!run.stderr.contains("ASIAEXAMPLE"));
}

#[test]
fn signature_mismatch_mentions_spaces_and_clock() {
    let run = answered_by(&SIGNATURE_DOES_NOT_MATCH, "receive");
    assert_friendly(&run, "SignatureDoesNotMatch", "clock");
}

#[test]
fn access_denied_is_named() {
    let run = answered_by(&ACCESS_DENIED, "send");
    assert_friendly(&run, "access denied to queue q in us-east-1", "--region");
}

#[test]
fn usage_errors_exit_2() {
    let dir = TempDir::new();
    let run_none = run(command(&dir), &[]);
    assert_eq!(run_none.code, Some(2), "{}", run_none.stderr);
    assert!(
        run_none.stderr.starts_with("queue: "),
        "{}",
        run_none.stderr
    );
    let run_rate = run(command(&dir), &["send", "--name", "q", "--rate", "0"]);
    assert_eq!(run_rate.code, Some(2), "{}", run_rate.stderr);
    let run_clap = run(command(&dir), &["receive", "--name", "q", "--max", "11"]);
    assert_eq!(run_clap.code, Some(2), "{}", run_clap.stderr);
}

#[test]
fn wrong_queue_name_lists_similar_names_with_region_and_endpoint() {
    let cli = Cli::ordered();
    let run = cli.run(&["send", "--name", "csse6400_prc"]);
    assert_friendly(
        &run,
        &format!(
            "queue csse6400_prc not found in region us-east-1 at {}",
            cli.server.endpoint
        ),
        "csse6400_prac",
    );
}

#[test]
fn missing_fifo_suffix_is_suggested() {
    let cli = Cli::ordered();
    cli.server.create_queue("orders.fifo", &[]);
    let run = cli.run(&["send", "--name", "orders"]);
    assert_friendly(&run, "queue orders not found", "--name orders.fifo");
}

#[test]
fn fifo_name_of_a_standard_queue_is_explained() {
    let cli = Cli::ordered();
    cli.server.create_queue("jobs", &[]);
    let run = cli.run(&["send", "--name", "jobs.fifo"]);
    assert_friendly(
        &run,
        "queue jobs.fifo not found",
        "jobs exists but is a standard queue",
    );
}

#[test]
fn dedup_none_on_a_fifo_queue_without_content_based_dedup_is_explained() {
    let cli = Cli::ordered();
    cli.server.create_queue("plain.fifo", &[]);
    let run = cli.run(&["send", "--name", "plain.fifo", "--dedup-id", "none"]);
    assert_friendly(
        &run,
        "without content-based deduplication",
        "--dedup-id none",
    );
}

#[test]
fn https_to_a_plain_http_endpoint_is_called_a_tls_problem() {
    let server = BlockingServer::ordered();
    let dir = TempDir::new();
    let endpoint = server.endpoint.replace("http://", "https://");
    let run = run_at(
        command(&dir),
        &["send", "--name", "csse6400_prac"],
        &endpoint,
    );
    assert_friendly(
        &run,
        &format!("the TLS connection to {endpoint} failed"),
        "use http://",
    );
}

/// The SDK's check for CA certificates is a `debug_assert!`: a debug build panics on it for
/// every endpoint, which the tool turns into one line and a hint; a release build has no check,
/// and a plain `http://` endpoint needs no certificates, so the send goes through.
#[test]
fn no_ca_certificates_is_one_line_and_a_hint_not_a_panic() {
    let server = BlockingServer::ordered();
    let dir = TempDir::new();
    let mut command = command(&dir);
    command
        .env("SSL_CERT_FILE", dir.path().join("no-such-bundle.pem"))
        .env("SSL_CERT_DIR", dir.path().join("no-such-dir"));
    let run = run_at(
        command,
        &["send", "--name", "csse6400_prac"],
        &server.endpoint,
    );
    if cfg!(debug_assertions) {
        assert_friendly(&run, "no CA certificates found", "ca-certificates");
    } else {
        assert_eq!(run.code, Some(0), "stderr: {}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    }
}
