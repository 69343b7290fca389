#!/usr/bin/env bash
# bench/soak.sh: the soak check of issue 11, bounded in time and on loopback only.
#
# Phase 1: `queue serve --fail-rate 0.2` as a separate process on a free 127.0.0.1 port, and
# one `queue bench --verify` against it: 64 producers and 64 long-polling consumers (--wait 20)
# for 60 s at a steady 2,000 msg/s, then the drain. It passes when every message the queue
# acknowledged was received at least once and nothing else was (no other message, no bench
# message this run never sent); duplicates are allowed. The server's memory is read from
# /proc/PID/status every second and reported: its peak (VmHWM), its size (VmRSS) at
# 25/50/75/100% of the sending, and the growth of the second half's mean over the first
# half's (the first tenth, start-up, left out), beside the backlog (acknowledged messages not
# yet received) at the same moments.
#
# The load is paced (--rate) so that the backlog stays level: memory can only be judged flat
# under a steady load. When the consumers fall behind (a debug build, a busy machine) the
# backlog grows, and the server's memory with it; the result then says "backlog grew" and
# a lower --rate is needed for a memory figure. The verdict on messages holds either way.
#
# Phase 2: the same against `queue serve --data-dir DIR`, killed with SIGKILL at 40% of the
# sending and restarted on the same port and directory at once. The bench rides through (its
# clients retry refused connections), and its drain, which waits up to --drain-timeout (longer
# than the queue's 5 s visibility timeout, after which messages received but not deleted
# before the kill come back), must still receive every acknowledged message. Skipped, not
# failed, when this build's `queue serve` has no --data-dir.
#
# Usage:
#   bench/soak.sh [--short] [--phase 1|2|all] [--bin PATH] [--duration SECS] [--rate MSG/S]
#                 [--producers N] [--consumers N] [--fail-rate P] [--drain-timeout SECS]
#                 [--keep]
#
#   --short       the CI form: 16 producers, 16 consumers, 10 s at 400 msg/s (both phases,
#                 fail rate 0.2), for a debug build on a shared machine
#   --rate        messages per second over all producers (0: as fast as they go)
#   --phase       run phase 1, phase 2 or both (default all)
#   --bin PATH    the queue binary (default: $QUEUE_BIN, else target/release/queue when it
#                 exists, else target/debug/queue, built first with `cargo build`)
#   --keep        keep the work directory (logs, bench JSON, memory samples) and say where
#
# It prints a Markdown table, one row per phase. Exit status: 0 when every phase that ran
# passed, 1 when one failed (a lost or unexpected message, a bench that failed, a server that
# died on its own), 2 for a usage error.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"

producers=64
consumers=64
duration=60
rate=2000
fail_rate=0.2
drain_timeout=30
visibility=5
phase=all
bin="${QUEUE_BIN:-}"
keep=false
short=false
rate_given=false

say() { printf 'soak: %s\n' "$*" >&2; }
usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }
usage_error() { say "$*"; say "see bench/soak.sh --help"; exit 2; }

while [[ $# -gt 0 ]]; do
    case "$1" in
        --short) short=true; shift ;;
        --phase) phase="${2:-}"; shift 2 ;;
        --bin) bin="${2:-}"; shift 2 ;;
        --duration) duration="${2:-}"; shift 2 ;;
        --rate) rate="${2:-}"; rate_given=true; shift 2 ;;
        --producers) producers="${2:-}"; shift 2 ;;
        --consumers) consumers="${2:-}"; shift 2 ;;
        --fail-rate) fail_rate="${2:-}"; shift 2 ;;
        --drain-timeout) drain_timeout="${2:-}"; shift 2 ;;
        --keep) keep=true; shift ;;
        -h | --help) usage; exit 0 ;;
        *) usage_error "unknown argument $1" ;;
    esac
done
if $short; then
    producers=16
    consumers=16
    duration=10
    $rate_given || rate=400
fi
case "$phase" in
    1 | 2 | all) ;;
    *) usage_error "--phase takes 1, 2 or all (got '$phase')" ;;
esac
for number in "$producers" "$consumers" "$duration" "$drain_timeout" "$rate"; do
    [[ "$number" =~ ^[0-9]+$ ]] || usage_error "not a whole number: '$number'"
done

if [[ -z "$bin" ]]; then
    if [[ -x "$root/target/release/queue" ]]; then
        bin="$root/target/release/queue"
    else
        say "building target/debug/queue (cargo build)"
        (cd "$root" && cargo build --quiet)
        bin="$root/target/debug/queue"
    fi
fi
[[ -x "$bin" ]] || { say "no queue binary at $bin"; exit 1; }
# Absolute: the bench runs in a directory of its own.
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
# Read whole before matching: `grep -q` closing the pipe early would fail the pipeline.
bench_help="$("$bin" bench --help 2>/dev/null || true)"
serve_help="$("$bin" serve --help 2>/dev/null || true)"
if [[ "$bench_help" != *--drain-timeout* ]]; then
    say "$bin is older than this script (its bench has no --verify/--drain-timeout): rebuild it"
    exit 1
fi
command -v python3 >/dev/null || { say "python3 is needed to read the figures"; exit 1; }

work="$(mktemp -d "${TMPDIR:-/tmp}/queue-soak.XXXXXX")"
server_pid=""
sampler_pid=""
bench_pid=""

# Dummy credentials (queue serve takes any); the bench runs in $work so that no ./aws.env or
# ./.env of the work tree is read.
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL

stop() {
    local pid="$1"
    [[ -n "$pid" ]] || return 0
    kill -TERM "$pid" 2>/dev/null || true
    local waited=0
    while kill -0 "$pid" 2>/dev/null && ((waited < 100)); do
        sleep 0.1
        waited=$((waited + 1))
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    stop "$bench_pid"
    stop "$sampler_pid"
    stop "$server_pid"
    if $keep; then
        say "work directory kept: $work"
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT TERM

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# queue serve on $port with the phase's extra arguments, appending to $1; its pid in
# $server_pid and in $work/server.pid (which the memory sampler follows across a restart).
start_server() {
    local log="$1"
    shift
    "$bin" serve --bind "127.0.0.1:$port" --fail-rate "$fail_rate" "$@" >>"$log" 2>&1 </dev/null &
    server_pid=$!
    echo "$server_pid" >"$work/server.pid"
}

# Waits until the server accepts connections (30 s at most); fails if it exits first.
wait_listening() {
    local start=$SECONDS
    while ((SECONDS - start < 30)); do
        kill -0 "$server_pid" 2>/dev/null || return 1
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            return 0
        fi
        sleep 0.05
    done
    return 1
}

# Every second: seconds since $1 (EPOCHREALTIME), the server's pid, VmRSS and VmHWM in KiB.
sample_memory() {
    local started="$1" out="$2" pid rss hwm
    while true; do
        pid="$(cat "$work/server.pid" 2>/dev/null || true)"
        if [[ -n "$pid" ]]; then
            rss="$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)"
            hwm="$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)"
            if [[ -n "$rss" && -n "$hwm" ]]; then
                awk -v now="$EPOCHREALTIME" -v t0="$started" -v pid="$pid" -v rss="$rss" \
                    -v hwm="$hwm" 'BEGIN { printf "%.1f %s %s %s\n", now - t0, pid, rss, hwm }' >>"$out"
            fi
        fi
        sleep 1
    done
}

# One phase: 1 (plain) or 2 (--data-dir, kill -9 and restart). Appends a row to $work/rows.
run_phase() {
    local number="$1"
    local dir="$work/phase$number"
    mkdir -p "$dir"
    local log="$dir/serve.log" json="$dir/bench.json" err="$dir/bench.err"
    local samples="$dir/memory.txt" extra=()
    if [[ "$number" == 2 ]]; then
        extra=(--data-dir "$dir/data")
    fi
    port="$(free_port)"
    start_server "$log" "${extra[@]}"
    if ! wait_listening; then
        say "phase $number: queue serve did not start; its log:"
        cat "$log" >&2
        return 1
    fi
    say "phase $number: queue serve --fail-rate $fail_rate${extra[*]:+ ${extra[*]}} on 127.0.0.1:$port" \
        "(pid $server_pid); bench: $producers producers, $consumers consumers, $duration s at $rate msg/s"

    local started="$EPOCHREALTIME"
    : >"$samples"
    sample_memory "$started" "$samples" &
    sampler_pid=$!
    local limit=$((duration + drain_timeout + 120))
    (cd "$dir" && exec timeout --signal=TERM --kill-after=15 "$limit" \
        "$bin" bench --endpoint-url "http://127.0.0.1:$port" --no-banner --color never \
        --producers "$producers" --consumers "$consumers" --wait 20 --duration "$duration" \
        --rate "$rate" \
        --visibility-timeout "$visibility" --drain-timeout "$drain_timeout" --verify \
        --output json >"$json" 2>"$err") &
    bench_pid=$!

    local restarts=0 downtime=""
    if [[ "$number" == 2 ]]; then
        sleep "$(awk -v d="$duration" 'BEGIN { print d * 0.4 }')"
        local killed="$EPOCHREALTIME"
        say "phase 2: kill -9 $server_pid at 40% of the sending"
        kill -KILL "$server_pid"
        wait "$server_pid" 2>/dev/null || true
        start_server "$log" "${extra[@]}"
        if ! wait_listening; then
            say "phase 2: queue serve did not restart on the same port and directory; its log:"
            tail -n 20 "$log" >&2
            stop "$bench_pid"
            bench_pid=""
            stop "$sampler_pid"
            sampler_pid=""
            return 1
        fi
        restarts=1
        downtime="$(awk -v a="$killed" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')"
        say "phase 2: restarted as pid $server_pid, listening again after $downtime s"
    fi

    local bench_status=0
    wait "$bench_pid" || bench_status=$?
    bench_pid=""
    local server_alive=true
    kill -0 "$server_pid" 2>/dev/null || server_alive=false
    local final_hwm
    final_hwm="$(awk '/^VmHWM:/ { print $2 }' "/proc/$server_pid/status" 2>/dev/null || echo 0)"
    stop "$sampler_pid"
    sampler_pid=""
    stop "$server_pid"
    server_pid=""

    if [[ "$bench_status" != 0 ]]; then
        say "phase $number: queue bench exited with $bench_status:"
        grep -v '^bench plan:' "$err" >&2 || true
    fi
    python3 - "$number" "$json" "$samples" "$duration" "$final_hwm" "$bench_status" \
        "$server_alive" "$restarts" "$downtime" >>"$work/rows" <<'PY'
import json, sys

number, json_path, samples_path, duration, final_hwm, bench_status, alive, restarts, downtime = sys.argv[1:]
duration = float(duration)
summary = None
intervals = []
with open(json_path) as lines:
    for line in lines:
        line = line.strip()
        if line.startswith("{"):
            value = json.loads(line)
            if value.get("type") == "summary":
                summary = value
            elif value.get("type") == "interval":
                intervals.append(value)
samples = []
with open(samples_path) as lines:
    for line in lines:
        t, pid, rss, hwm = line.split()
        samples.append((float(t), pid, int(rss), int(hwm)))

mib = lambda kib: kib / 1024
sending = [s for s in samples if s[0] <= duration + 1] or samples
def rss_at(fraction):
    if not sending:
        return float("nan")
    target = duration * fraction
    return mib(min(sending, key=lambda s: abs(s[0] - target))[2])
def in_flight_near(fraction):
    if not intervals:
        return None
    target = duration * fraction
    return min(intervals, key=lambda line: abs(line["elapsed_s"] - target))["in_flight"]
def in_flight_at(fraction):
    value = in_flight_near(fraction)
    return "?" if value is None else f"{value:,}"
# The backlog grew when it ended the sending well above where it stood at a quarter.
backlog_grew = None not in (in_flight_near(0.25), in_flight_near(1.0)) and (
    in_flight_near(1.0) > 2 * in_flight_near(0.25) + 1000
)
# Halves of the sending after its first tenth (start-up: the first sample precedes the load).
middle = duration * 0.55
first = [s[2] for s in sending if duration * 0.1 <= s[0] < middle]
second = [s[2] for s in sending if s[0] >= middle]
growth = None
if first and second:
    mean = lambda values: sum(values) / len(values)
    growth = (mean(second) - mean(first)) / mean(first) * 100
peak = mib(max([int(final_hwm)] + [s[3] for s in samples]))

problems = []
if summary is None:
    problems.append("no summary from queue bench")
    summary = {}
count = lambda key: int(summary.get(key, 0))
if count("lost"):
    problems.append(f"{count('lost'):,} acknowledged messages lost")
if count("foreign"):
    problems.append(f"{count('foreign'):,} other messages received")
if count("unexpected"):
    problems.append(f"{count('unexpected'):,} messages this run never sent received")
if bench_status != "0":
    problems.append(f"queue bench exited with {bench_status}")
if alive != "true":
    problems.append("queue serve died" + (" after its restart" if restarts != "0" else ""))
if summary.get("interrupted"):
    problems.append("the bench was interrupted")

latency = lambda kind, p: summary.get(kind, {}).get(p, float("nan"))
name = "1: --fail-rate" if number == "1" else f"2: --data-dir, kill -9 (back in {downtime} s)"
row = [
    name,
    f"{count('sent'):,}",
    f"{count('received'):,}",
    f"{count('lost'):,}",
    f"{count('foreign'):,}",
    f"{count('unexpected'):,}",
    f"{count('duplicates'):,}",
    f"{count('unacknowledged'):,} ({count('unacknowledged_received'):,})",
    f"{count('errors'):,}",
    f"{summary.get('sent_per_s', 0):,.0f}",
    f"{latency('e2e_latency_ms', 'p50'):,.1f}",
    f"{latency('e2e_latency_ms', 'p99'):,.1f}",
    f"{latency('send_latency_ms', 'p99'):,.1f}",
    f"{peak:,.1f}",
    " / ".join(f"{rss_at(f):,.1f}" for f in (0.25, 0.5, 0.75, 1.0)),
    " / ".join(in_flight_at(f) for f in (0.25, 0.5, 0.75, 1.0)),
    "–" if growth is None else f"{growth:+.1f}%",
    ("PASS" if not problems else "FAIL: " + "; ".join(problems))
    + ("; backlog grew (lower --rate for a memory figure)" if backlog_grew else ""),
]
print("\t".join(row))
PY
    if tail -n 1 "$work/rows" | grep -q $'\tFAIL'; then
        return 1
    fi
}

: >"$work/rows"
failed=false
phases=()
case "$phase" in
    1) phases=(1) ;;
    2) phases=(2) ;;
    all) phases=(1 2) ;;
esac
skipped=""
for number in "${phases[@]}"; do
    if [[ "$number" == 2 && "$serve_help" != *--data-dir* ]]; then
        skipped="skipped: this build has no --data-dir"
        say "phase 2 $skipped"
        continue
    fi
    run_phase "$number" || failed=true
done

case "$(basename "$(dirname "$bin")")" in
    release | debug) build="$(basename "$(dirname "$bin")") build" ;;
    *) build="$bin" ;;
esac
echo
echo "Soak: $producers producers, $consumers consumers (--wait 20), $duration s at $rate msg/s, queue serve --fail-rate $fail_rate, $build, $(nproc) cores"
echo
echo "| phase | sent (acknowledged) | received (distinct) | lost | foreign | unexpected | duplicates | unacknowledged (received anyway) | errors | sent/s | e2e p50 ms | e2e p99 ms | send p99 ms | peak RSS MiB | RSS MiB at 25/50/75/100% | in flight at 25/50/75/100% | RSS 2nd half vs 1st | result |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
while IFS=$'\t' read -r -a cells; do
    printf '| %s ' "${cells[@]}"
    echo "|"
done <"$work/rows"
if [[ -n "$skipped" ]]; then
    echo "| 2: --data-dir, kill -9 | $skipped |"
fi
echo
if $failed; then
    say "FAILED (see the result column; --keep keeps the logs)"
    exit 1
fi
say "passed"
