//! The one integration test crate (`cargo test --test integration`): the topic modules below
//! and the helpers they share in [`util`]. One crate links once, where a file per test binary
//! linked the dependencies once each.

mod util;

// Benchmarks, ignored by default: `cargo test --release --test integration -- --ignored --nocapture --test-threads 1`.
mod bench;
// `queue bench` through the built binary: counts, temporary queues, FIFO order, confirmation.
mod cli_bench;
// `queue send`/`receive` errors a user meets, each one line with a hint.
mod cli_errors;
// `queue receive` through the built binary.
mod cli_receive;
// `queue redrive` through the built binary: back to the source, --to, errors, Ctrl-C.
mod cli_redrive;
// `queue publish` through the built binary: fan-out, envelopes, FIFO topics, errors.
mod cli_publish;
// `queue send` and the original form through the built binary.
mod cli_send;
// `queue subscribe` through the built binary: filter policies and errors.
mod cli_subscribe;
// `queue completions` and `queue man`.
mod completions;
// The web console over raw HTTP: routing, escaping, cross-site posts, Basic auth, --no-console.
mod console;
// `queue demo` end to end.
mod demo;
// `queue serve` as a child process: banner, signals, bind errors.
mod serve_command;
// `queue serve --auth`: SigV4 signatures checked, over the SDK, raw HTTP and presigned URLs.
mod server_auth;
// FIFO group scheduling: groups take turns, group locks, long polls woken by unlocks.
mod server_fifo_groups;
// Batch actions and their per-entry failures, over the SDK.
mod server_batches;
// Single-message actions and their errors, over the SDK.
mod server_messages;
// The Query protocol (XML) over raw HTTP.
mod server_query;
// Message move tasks (DLQ redrive): rate, cancel, destinations, errors, both protocols.
mod server_move_tasks;
// AddPermission / RemovePermission and the Policy attribute, over the SDK and Query.
mod server_permissions;
// `queue serve --data-dir`: kill -9 and restarts lose nothing answered; one-line errors.
mod server_data_dir;
// `GET /metrics`: CloudWatch's figures per queue and request counts in Prometheus's format.
mod server_metrics;
// Hostile clients: body and header limits, slow-loris and idle connections, clients that stop
// reading, the connection cap.
mod server_limits;
// Queue actions and their errors, over the SDK.
mod server_queues;
// SNS topics and subscriptions: create, attributes, tags, permissions, subscribe's checks.
mod server_sns;
// SNS fan-out: raw and signed envelopes, filter policies, FIFO topics, PublishBatch, DLQs.
mod server_sns_delivery;
// The standard queue calibrated on SQS: small queues exact on every seed, over SDK and Query.
mod server_realism;
// Cases recorded on SQS: earlier receipt handles, empty RedrivePolicy, attribute names, purge
// and FIFO dedup, the dedup scope a FIFO queue keeps.
mod server_recorded_cases;
// What SQS promises: FIFO order and dedup, visibility, redrive, long polls, reordering.
mod server_semantics;
// Queue URLs from where the client is, the Query API on them, and what answers leave out.
mod server_urls;
// Around every action: failures, latency, request ids, error shapes, odd inputs.
mod server_wire;
// The Terraform files against the tool's queue names and rules.
mod terraform;
