#!/usr/bin/env bash
# Compatibility check of `queue serve` with real third-party clients.
#
# Builds the binary, starts `queue serve` on a free loopback port, and runs compat/check.py
# under two virtualenvs: current boto3 (AWS JSON 1.0 protocol) and boto3 1.28.80 /
# botocore 1.31.80 (Query protocol, the last botocore before the JSON switch attempts), then
# the AWS CLI v1 that goes with each; then compat/check_auth.py under both against a second
# server started with `--auth` (boto3's own SigV4 signing, right and wrong keys, presigned URLs);
# and compat/check_sns.py under both (SNS speaks the Query protocol in every botocore): topics,
# fan-out to raw, enveloped and filtered queues, the envelope's signature checked with
# `cryptography` against the certificate the server serves, FIFO topics, PublishBatch, errors.
# Needs Python 3.11+ with venv and pip, and the package registries. The server is always
# stopped on exit. Exit status: 0 when both clients pass.
#
#   compat/run.sh            # both protocols
#   compat/run.sh json       # only one
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
python="${PYTHON:-python3}"
if [[ $# -gt 0 ]]; then protocols=("$@"); else protocols=(json query); fi

log() { printf 'compat: %s\n' "$*" >&2; }

# QUEUE_BIN checks another build (a release binary, a container wrapper) instead.
if [[ -n "${QUEUE_BIN:-}" ]]; then
    bin="$QUEUE_BIN"
else
    log "building queue"
    (cd "$root" && cargo build --quiet --bin queue)
    # Where cargo put it: CARGO_TARGET_DIR (relative to the root) when set, as .ci/ship-checks.sh.
    target_dir="${CARGO_TARGET_DIR:-target}"
    [[ "$target_dir" == /* ]] || target_dir="$root/$target_dir"
    bin="$target_dir/debug/queue"
fi

# venv DIR PACKAGES...: create once, install the pinned packages.
venv() {
    local dir="$1"
    shift
    if [[ ! -x "$dir/bin/python" ]]; then
        log "creating $dir"
        "$python" -m venv "$dir"
    fi
    "$dir/bin/python" -m pip install --quiet --disable-pip-version-check "$@"
}

server_log="$(mktemp)"
auth_log="$(mktemp)"
auth_file="$(mktemp)"
server_pid=""
auth_pid=""
cleanup() {
    for pid in "$server_pid" "$auth_pid"; do
        if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
    rm -f "$server_log" "$auth_log" "$auth_file"
}
trap cleanup EXIT INT TERM

# endpoint_of LOG PID: the endpoint the server writing LOG printed (waits up to 10 s).
endpoint_of() {
    local found=""
    for _ in $(seq 1 100); do
        found="$(sed -n 's/^export AWS_ENDPOINT_URL=//p' "$1" | head -n 1)"
        [[ -n "$found" ]] && break
        if ! kill -0 "$2" 2>/dev/null; then
            log "queue serve exited early:"
            cat "$1" >&2
            exit 1
        fi
        sleep 0.1
    done
    if [[ -z "$found" ]]; then
        log "queue serve printed no endpoint within 10 s:"
        cat "$1" >&2
        exit 1
    fi
    echo "$found"
}

log "starting queue serve"
"$bin" serve --bind 127.0.0.1:0 --seed 6400 --ordered --duplicate-rate 0 --queue compat-boot \
    >"$server_log" 2>&1 &
server_pid=$!
endpoint="$(endpoint_of "$server_log" "$server_pid")"
log "server at $endpoint"

# A second server that serves only requests signed with these keys (check_auth.py).
cat >"$auth_file" <<'KEYS'
[compat]
aws_access_key_id = AKIDCOMPAT
aws_secret_access_key = compat-secret

[temporary]
aws_access_key_id = ASIACOMPAT
aws_secret_access_key = compat-temporary
aws_session_token = compat-token
KEYS
log "starting queue serve --auth"
"$bin" serve --bind 127.0.0.1:0 --seed 6400 --ordered --duplicate-rate 0 --auth "$auth_file" \
    >"$auth_log" 2>&1 &
auth_pid=$!
auth_endpoint="$(endpoint_of "$auth_log" "$auth_pid")"
log "server with --auth at $auth_endpoint"

# cli_check PROTOCOL: the AWS CLI (v1, same botocore) against the server.
cli_check() {
    local aws=("$here/.venv-$1/bin/aws" --endpoint-url "$endpoint" --output text)
    local name="cli-$1-$$" url out
    export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1
    url="$("${aws[@]}" sqs create-queue --queue-name "$name" --query QueueUrl)" || return 1
    "${aws[@]}" sqs send-message --queue-url "$url" --message-body "hello from the cli" >/dev/null ||
        return 1
    out="$("${aws[@]}" sqs receive-message --queue-url "$url" --wait-time-seconds 1 \
        --query 'Messages[0].Body')" || return 1
    if [[ "$out" != "hello from the cli" ]]; then
        log "aws sqs receive-message returned '$out'"
        return 1
    fi
    if out="$("${aws[@]}" sqs get-queue-url --queue-name "missing-$$" 2>&1)"; then
        log "aws sqs get-queue-url on a missing queue succeeded"
        return 1
    fi
    if [[ "$out" != *"AWS.SimpleQueueService.NonExistentQueue"* ]]; then
        log "aws sqs get-queue-url on a missing queue: unexpected error: $out"
        return 1
    fi
    "${aws[@]}" sqs delete-queue --queue-url "$url" || return 1
    echo "ok: aws cli $("${aws[0]}" --version 2>&1 | cut -d' ' -f1) over the $1 protocol"
}

status=0
for protocol in "${protocols[@]}"; do
    case "$protocol" in
    json) venv "$here/.venv-json" "boto3>=1.34.90" "botocore>=1.34.90" "awscli>=1.32.90" \
        "cryptography>=41" ;;
    query) venv "$here/.venv-query" "boto3==1.28.80" "botocore==1.31.80" "awscli==1.29.80" \
        "cryptography>=41" ;;
    *)
        log "unknown protocol $protocol (json or query)"
        exit 2
        ;;
    esac
    log "checking boto3 over the $protocol protocol"
    if ! "$here/.venv-$protocol/bin/python" "$here/check.py" "$endpoint" "$protocol"; then
        status=1
    fi
    log "checking boto3's signatures against --auth over the $protocol protocol"
    if ! "$here/.venv-$protocol/bin/python" "$here/check_auth.py" "$auth_endpoint" "$protocol"; then
        status=1
    fi
    log "checking SNS fan-out with boto3 (the $protocol venv)"
    if ! "$here/.venv-$protocol/bin/python" "$here/check_sns.py" "$endpoint"; then
        status=1
    fi
    log "checking the AWS CLI over the $protocol protocol"
    if ! cli_check "$protocol"; then
        log "FAIL: the AWS CLI over the $protocol protocol"
        status=1
    fi
done

if ! kill -0 "$server_pid" 2>/dev/null; then
    log "queue serve died during the checks:"
    cat "$server_log" >&2
    status=1
fi
exit "$status"
