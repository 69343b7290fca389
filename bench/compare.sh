#!/usr/bin/env bash
# bench/compare.sh: `queue serve` side by side with the other SQS servers, on loopback.
#
# Starts each server in turn on its own free 127.0.0.1 port, waits until it answers an SQS
# ListQueues, runs one `queue bench` against it (the same settings for every server, on a
# temporary queue the bench creates and deletes), stops it and its children, and at the end
# prints a Markdown table with the ratio of `queue serve --ordered`'s end-to-end received/s
# to each server's. The servers, in order:
#
#   ordered     queue serve --ordered       (target/release/queue; build it with
#   queue       queue serve                  `cargo build --release`, this script builds nothing)
#   durable     queue serve --ordered --data-dir (a fresh directory under the results: every
#               answered change is on disk first, so this row is the cost of durability)
#   moto        bench/.peers/moto/           (bench/install-peers.sh installs the peers)
#   localstack  bench/.peers/localstack/
#   fauxqs      bench/.peers/fauxqs/ with Node 22 from bench/.peers/node22/
#   elasticmq   $ELASTICMQ_JAR or bench/.peers/elasticmq/elasticmq-server.jar, with java
#
# Usage:
#   bench/compare.sh [--duration SECS] [--warmup SECS] [--size BYTES] [--producers N]
#                    [--consumers N] [--rate MSG/S] [--client lean|sdk]
#                    [--drain-timeout SECS] [--only NAME,NAME...]
#
# Every server gets the same run: --warmup (default 1 s), then --duration (default 10 s) of
# sending, then the bench's own drain (it ends once nothing has arrived for a few seconds).
# Slow servers are left slow, but each bench is sent SIGTERM (it then prints what it measured)
# once --drain-timeout seconds (default 20) have passed after the sending, so the script
# always finishes; such a row says "drain cut" and how many messages it never got back.
# moto in particular gets slower with every queued message, so producers at full speed bury
# it: pass --rate to compare at a fixed offered load instead.
#
# Each run's JSON summaries, server logs and the table go to bench/results/TIMESTAMP/.
# Ctrl-C stops the current bench and server and prints the table so far.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
peers="$here/.peers"
queue_bin="$root/target/release/queue"

duration=10
warmup=1
size=256
producers=2
consumers=4
rate=0
client=lean
drain_timeout=20
only="ordered,queue,durable,moto,localstack,fauxqs,elasticmq"
all_servers=(ordered queue durable moto localstack fauxqs elasticmq)

usage() {
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
}

while [[ $# -gt 0 ]]; do
    case "$1" in
        --duration) duration="$2"; shift 2 ;;
        --warmup) warmup="$2"; shift 2 ;;
        --size) size="$2"; shift 2 ;;
        --producers) producers="$2"; shift 2 ;;
        --consumers) consumers="$2"; shift 2 ;;
        --rate) rate="$2"; shift 2 ;;
        --client) client="$2"; shift 2 ;;
        --drain-timeout) drain_timeout="$2"; shift 2 ;;
        --only) only="$2"; shift 2 ;;
        -h | --help) usage; exit 0 ;;
        *) echo "compare.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
for name in ${only//,/ }; do
    if [[ " ${all_servers[*]} " != *" $name "* ]]; then
        echo "compare.sh: unknown server '$name' in --only (${all_servers[*]})" >&2
        exit 2
    fi
done

if [[ ! -x "$queue_bin" ]]; then
    echo "compare.sh: $queue_bin is missing; build it first: cargo build --release" >&2
    exit 1
fi

results="$here/results/$(date +%Y%m%d-%H%M%S)"
mkdir -p "$results"
# One line per server: name, status, version, seconds taken, notes.
index="$results/index.tsv"
: >"$index"

# The peers take any credentials; the bench runs in $results so that no ./aws.env or ./.env
# of the work tree is read.
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL

server_pid=""
bench_pid=""
current=""  # the server being benched, and its version
current_version=""

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Start "$@" in a session of its own (so that stopping it reaches its children too),
# with its output in $1's log.
start_server() {
    local log="$1"
    shift
    setsid "$@" >"$log" 2>&1 </dev/null &
    server_pid=$!
}

# Stop the server's whole process group: SIGTERM, then SIGKILL after 15 s.
stop_server() {
    [[ -n "$server_pid" ]] || return 0
    kill -TERM -- "-$server_pid" 2>/dev/null || true
    local waited=0
    while kill -0 -- "-$server_pid" 2>/dev/null && [[ $waited -lt 150 ]]; do
        sleep 0.1
        waited=$((waited + 1))
    done
    kill -KILL -- "-$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
}

# Wait until the server answers an SQS ListQueues (JSON protocol) with 200, up to $2 seconds.
wait_ready() {
    local port="$1" limit="$2" start=$SECONDS code
    while ((SECONDS - start < limit)); do
        if ! kill -0 "$server_pid" 2>/dev/null; then
            return 1
        fi
        code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 -X POST \
            -H 'Content-Type: application/x-amz-json-1.0' \
            -H 'X-Amz-Target: AmazonSQS.ListQueues' \
            -H 'Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=0' \
            -d '{}' "http://127.0.0.1:$port/" || true)"
        if [[ "$code" == 200 ]]; then
            return 0
        fi
        sleep 0.2
    done
    return 1
}

# Run one bench against the port; its last JSON line is the summary. SIGTERM (it then prints
# its summary) once the drain has had --drain-timeout seconds, SIGKILL 15 s later.
run_bench() {
    local port="$1" json="$2" err="$3"
    local limit=$((warmup + duration + drain_timeout + 5))
    (cd "$results" && exec timeout --signal=TERM --kill-after=15 "$limit" \
        "$queue_bin" bench --endpoint-url "http://127.0.0.1:$port" --no-banner --color never \
        --output json --duration "$duration" --warmup "$warmup" --size "$size" \
        --producers "$producers" --consumers "$consumers" --rate "$rate" --client "$client" \
        >"$json" 2>"$err") &
    bench_pid=$!
    local status=0
    wait "$bench_pid" || status=$?
    bench_pid=""
    return "$status"
}

record() {
    # name status version seconds notes
    printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$index"
}

on_interrupt() {
    trap - INT TERM
    echo >&2
    echo "compare.sh: interrupted; stopping the bench and the server" >&2
    if [[ -n "$bench_pid" ]]; then
        kill -TERM "$bench_pid" 2>/dev/null || true
        wait "$bench_pid" 2>/dev/null || true
    fi
    stop_server
    if [[ -n "$current" ]] && grep -q '"type":"summary"' "$results/$current.json" 2>/dev/null; then
        record "$current" ok "$current_version" "" "stopped by Ctrl-C"
    fi
    print_table || true
    exit 130
}
trap on_interrupt INT TERM
trap 'stop_server' EXIT

# What runs each server, and its version: sets cmd (an array), version and env_vars; returns 1
# when the server is not installed.
describe() {
    local name="$1" port="$2"
    cmd=()
    env_vars=()
    version=""
    case "$name" in
        ordered | queue | durable)
            version="$("$queue_bin" --version | awk '{print $2}') ($(date -r "$queue_bin" '+built %Y-%m-%d %H:%M'))"
            cmd=("$queue_bin" serve --bind "127.0.0.1:$port" --no-banner)
            if [[ "$name" == ordered ]]; then
                cmd+=(--ordered)
            elif [[ "$name" == durable ]]; then
                cmd+=(--ordered --data-dir "$results/durable-data")
            fi
            ;;
        moto)
            [[ -x "$peers/moto/bin/moto_server" ]] || return 1
            version="$("$peers/moto/bin/python" -c 'import moto; print(moto.__version__)')"
            cmd=("$peers/moto/bin/moto_server" -H 127.0.0.1 -p "$port")
            ;;
        localstack)
            "$peers/localstack/bin/python" -c 'import localstack.runtime.main' 2>/dev/null || return 1
            version="$("$peers/localstack/bin/python" -c \
                'import importlib.metadata as m, sys; print(m.version("localstack-core"), "python", sys.version.split()[0])')"
            env_vars=(GATEWAY_LISTEN="127.0.0.1:$port" LOCALSTACK_HOST="127.0.0.1:$port"
                SERVICES=sqs EAGER_SERVICE_LOADING=1 DISABLE_EVENTS=1 SQS_ENDPOINT_STRATEGY=off
                DNS_ADDRESS=0 SKIP_SSL_CERT_DOWNLOAD=1 OVERRIDE_IN_DOCKER=0
                FILESYSTEM_ROOT="$results/localstack-fs" GATEWAY_SERVER=hypercorn)
            cmd=("$peers/localstack/bin/python" -m localstack.runtime.main)
            ;;
        fauxqs)
            local node="$peers/node22/node_modules/.bin/node"
            local server="$peers/fauxqs/node_modules/fauxqs/dist/server.js"
            [[ -x "$node" && -f "$server" ]] || return 1
            version="$("$node" -p "require('$peers/fauxqs/node_modules/fauxqs/package.json').version") node $("$node" --version)"
            env_vars=(FAUXQS_PORT="$port" FAUXQS_HOST=127.0.0.1 FAUXQS_LOGGER=false)
            cmd=("$node" "$server")
            ;;
        elasticmq)
            local jar="${ELASTICMQ_JAR:-$peers/elasticmq/elasticmq-server.jar}"
            [[ -f "$jar" ]] && command -v java >/dev/null || return 1
            version="$(basename "$jar" .jar)"
            cat >"$results/elasticmq.conf" <<EOF
include classpath("application.conf")
node-address { protocol = http, host = 127.0.0.1, port = $port, context-path = "" }
rest-sqs { enabled = true, bind-port = $port, bind-hostname = "127.0.0.1", sqs-limits = strict }
rest-stats { enabled = false }
EOF
            cmd=(java "-Dconfig.file=$results/elasticmq.conf" -jar "$jar")
            ;;
    esac
}

print_table() {
    python3 - "$index" "$results" "$caption" <<'EOF'
import json, sys

index, results, caption = sys.argv[1], sys.argv[2], sys.argv[3]
labels = {"ordered": "queue serve --ordered", "queue": "queue serve",
          "durable": "queue serve --ordered --data-dir", "moto": "moto",
          "localstack": "LocalStack", "fauxqs": "fauxqs", "elasticmq": "ElasticMQ"}
rows = []
for line in open(index):
    name, status, version, seconds, notes = line.rstrip("\n").split("\t")
    summary = None
    if status == "ok":
        try:
            lines = [json.loads(l) for l in open(f"{results}/{name}.json") if l.strip()]
            summary = next((l for l in reversed(lines) if l.get("type") == "summary"), None)
        except (OSError, ValueError):
            pass
    rows.append((name, status, version, seconds, notes, summary))

def ms(value):
    return "–" if value is None else f"{value:,.1f}" if value < 100 else f"{value:,.0f}"

def per_s(value):
    return f"{value:,.0f}"

ordered = next((s for n, _, _, _, _, s in rows if n == "ordered" and s), None)
base = ordered["received_per_s"] if ordered else None
head = ["server", "version", "sent/s", "received/s (e2e)", "e2e p50 ms", "e2e p99 ms",
        "send p99 ms", "errors", "duplicates", "out of order", "--ordered ÷ this", "notes"]
out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
for name, status, version, seconds, notes, s in rows:
    label = labels.get(name, name)
    if s is None:
        text = {"missing": "not installed (bench/install-peers.sh)"}.get(status, status)
        out.append(f"| {label} | {version or '–'} | {text} |" + " |" * (len(head) - 3))
        continue
    received = s["received_per_s"]
    ratio = "–" if base is None else "∞" if received == 0 else f"{base / received:,.2f}×"
    extra = [f"took {seconds} s"] if seconds else []
    if s.get("interrupted"):
        extra.append("drain cut")
    if s.get("not_received"):
        extra.append(f"{s['not_received']:,} not received")
    if notes:
        extra.append(notes)
    if s.get("first_errors"):
        extra.append("first error: " + str(s["first_errors"][0])[:80].replace("|", "/"))
    e2e, send = s.get("e2e_latency_ms", {}), s.get("send_latency_ms", {})
    cells = [label, version, per_s(s["sent_per_s"]), per_s(received), ms(e2e.get("p50")),
             ms(e2e.get("p99")), ms(send.get("p99")), f"{s['errors']:,}",
             f"{s['duplicates']:,}", f"{s['out_of_order']:,}", ratio, "; ".join(extra)]
    out.append("| " + " | ".join(cells) + " |")
table = "\n".join([caption, ""] + out)
print(table)
open(f"{results}/table.md", "w").write(table + "\n")
EOF
}

settings="--duration $duration --warmup $warmup --size $size --producers $producers --consumers $consumers --rate $rate --client $client"
caption="\`queue bench $settings\` against each server on 127.0.0.1; $(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg) at the start; $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "queue bench $settings, drain cut after ${drain_timeout}s; results in ${results#"$root"/}" >&2
for name in "${all_servers[@]}"; do
    [[ ",$only," == *",$name,"* ]] || continue
    port="$(free_port)"
    if ! describe "$name" "$port"; then
        echo "$name: not installed" >&2
        record "$name" missing "" 0 ""
        continue
    fi
    started=$SECONDS
    echo "$name: starting on 127.0.0.1:$port ($version)" >&2
    start_server "$results/$name.server.log" env "${env_vars[@]}" "${cmd[@]}"
    if ! wait_ready "$port" 90; then
        echo "$name: did not answer on port $port; end of its log:" >&2
        tail -n 5 "$results/$name.server.log" | sed 's/^/    /' >&2
        stop_server
        record "$name" "did not start (see ${results#"$root"/}/$name.server.log)" "$version" $((SECONDS - started)) ""
        continue
    fi
    echo "$name: up after $((SECONDS - started)) s; benching" >&2
    current="$name" current_version="$version"
    bench_status=0
    run_bench "$port" "$results/$name.json" "$results/$name.bench.err" || bench_status=$?
    stop_server
    notes=""
    case "$bench_status" in
        0) ;;
        124) ;; # SIGTERM after --drain-timeout: the summary says "interrupted"
        137) notes="bench killed 15 s after the timeout" ;;
        *) notes="bench exit $bench_status" ;;
    esac
    if grep -q '"type":"summary"' "$results/$name.json" 2>/dev/null; then
        record "$name" ok "$version" $((SECONDS - started)) "$notes"
    else
        record "$name" "bench failed: $(tail -n 1 "$results/$name.bench.err" | tr '\t' ' ' | cut -c1-100)" "$version" $((SECONDS - started)) ""
    fi
    current=""
    echo "$name: done in $((SECONDS - started)) s" >&2
done
trap - INT TERM
print_table
