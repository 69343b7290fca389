#!/usr/bin/env bash
# bench/install-peers.sh: install the other SQS servers that bench/compare.sh measures
# `queue serve` against, all under bench/.peers/ (gitignored):
#
#   moto        a Python venv with moto[server]             bench/.peers/moto/
#   localstack  a Python >= 3.12 venv with localstack-core  bench/.peers/localstack/
#   fauxqs      fauxqs from npm, and Node 22 from npm's node@22 package
#                                                            bench/.peers/fauxqs/, bench/.peers/node22/
#   elasticmq   only checked: it is a Java jar that no registry reachable here ships; put it at
#               bench/.peers/elasticmq/elasticmq-server.jar or point ELASTICMQ_JAR at it.
#
# Usage:  bench/install-peers.sh [PEER...]      (default: all of them)
#
# Idempotent (a peer already installed is left as it is; delete its folder to reinstall) and
# each peer is optional: one that fails is reported with the end of its log
# (bench/.peers/logs/PEER.log) and the others go on. The exit status is 0 when every peer
# asked for is there, or skipped (ElasticMQ without its jar). Nothing here is needed by `cargo test` or CI; see
# /work/shared/docs/peers.md for how these peers behave.
#
# Knobs (environment): LOCALSTACK_PYTHON (a python >= 3.12 to build the LocalStack venv with),
# MOTO_SPEC, LOCALSTACK_SPEC, FAUXQS_SPEC, NODE_SPEC (the package specs installed).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
peers="$here/.peers"
logs="$peers/logs"

MOTO_SPEC="${MOTO_SPEC:-moto[server]>=5.1,<6}"
LOCALSTACK_SPEC="${LOCALSTACK_SPEC:-localstack-core[base-runtime]==2026.3.0}"
# The pins that made LocalStack start here (peers.md).
LOCALSTACK_PINS=("cbor2<6" "pyopenssl<25" "cryptography<45" "service_identity")
FAUXQS_SPEC="${FAUXQS_SPEC:-fauxqs@2.4.1}"
NODE_SPEC="${NODE_SPEC:-node@22}"

# A Python >= 3.12 for LocalStack: $LOCALSTACK_PYTHON, else pyenv's newest 3.13/3.12, else
# python3.13/python3.12 on PATH, else python3 if it is new enough.
find_python312() {
    local candidate
    if [[ -n "${LOCALSTACK_PYTHON:-}" ]]; then
        echo "$LOCALSTACK_PYTHON"
        return
    fi
    if command -v pyenv >/dev/null; then
        for candidate in $(printf '%s\n' "$(pyenv root)"/versions/3.1[2-9]* | sort -rV); do
            if [[ -x "$candidate/bin/python3" ]]; then
                echo "$candidate/bin/python3"
                return
            fi
        done
    fi
    for candidate in python3.13 python3.12 python3; do
        if command -v "$candidate" >/dev/null &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
            command -v "$candidate"
            return
        fi
    done
    return 1
}

install_moto() {
    local venv="$peers/moto"
    if [[ -x "$venv/bin/moto_server" ]] && "$venv/bin/python" -c 'import moto.server' 2>/dev/null; then
        echo "already installed"
    else
        rm -rf "$venv"
        python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet --upgrade pip
        "$venv/bin/pip" install --quiet "$MOTO_SPEC"
    fi
    "$venv/bin/python" -c 'import moto.server, moto; print("moto", moto.__version__)'
}

install_localstack() {
    local venv="$peers/localstack" python
    if "$venv/bin/python" -c 'import localstack.runtime.main' 2>/dev/null; then
        echo "already installed"
    else
        if ! python="$(find_python312)"; then
            echo "no Python >= 3.12 (LocalStack needs one; set LOCALSTACK_PYTHON)" >&2
            return 1
        fi
        echo "with $("$python" --version)"
        rm -rf "$venv"
        "$python" -m venv "$venv"
        "$venv/bin/pip" install --quiet --upgrade pip
        "$venv/bin/pip" install --quiet "$LOCALSTACK_SPEC" "${LOCALSTACK_PINS[@]}"
    fi
    "$venv/bin/python" -c 'import localstack.runtime.main, importlib.metadata as m, sys
print("localstack-core", m.version("localstack-core"), "on python", sys.version.split()[0])'
}

install_fauxqs() {
    local node22="$peers/node22" fauxqs="$peers/fauxqs"
    if ! "$node22/node_modules/.bin/node" -e 'process.exit(Number(process.versions.node.split(".")[0]) < 22 ? 1 : 0)' 2>/dev/null; then
        rm -rf "$node22"
        mkdir -p "$node22"
        (cd "$node22" && npm init -y >/dev/null && npm install --no-audit --no-fund "$NODE_SPEC")
    fi
    echo "node $("$node22/node_modules/.bin/node" --version)"
    if [[ ! -f "$fauxqs/node_modules/fauxqs/dist/server.js" ]]; then
        rm -rf "$fauxqs"
        mkdir -p "$fauxqs"
        (cd "$fauxqs" && npm init -y >/dev/null && npm install --no-audit --no-fund "$FAUXQS_SPEC")
    fi
    test -f "$fauxqs/node_modules/fauxqs/dist/server.js"
    echo "fauxqs $("$node22/node_modules/.bin/node" -p "require('$fauxqs/node_modules/fauxqs/package.json').version")" \
        "on node $("$node22/node_modules/.bin/node" --version)"
}

check_elasticmq() {
    local jar="${ELASTICMQ_JAR:-$peers/elasticmq/elasticmq-server.jar}"
    if [[ ! -f "$jar" ]]; then
        echo "no jar at $jar: ElasticMQ is in neither PyPI nor npm; download" \
            "elasticmq-server-*.jar where you can and put it there (or set ELASTICMQ_JAR)" >&2
        return 3
    fi
    if ! command -v java >/dev/null; then
        echo "found $jar, but no java on PATH (apt-get install default-jre-headless)" >&2
        return 3
    fi
    echo "found $jar"
}

# One peer, in its own bash so that `set -e` holds inside it; its output goes to its log.
if [[ "${1:-}" == "--one" ]]; then
    case "$2" in
        moto) install_moto ;;
        localstack) install_localstack ;;
        fauxqs) install_fauxqs ;;
        elasticmq) check_elasticmq ;;
        *) echo "unknown peer $2 (moto, localstack, fauxqs, elasticmq)" >&2; exit 2 ;;
    esac
    exit
fi

mkdir -p "$logs"
wanted=("$@")
if [[ ${#wanted[@]} -eq 0 ]]; then
    wanted=(moto localstack fauxqs elasticmq)
fi
failed=()
for peer in "${wanted[@]}"; do
    start=$SECONDS
    printf '%-11s ' "$peer"
    status=0
    bash "${BASH_SOURCE[0]}" --one "$peer" >"$logs/$peer.log" 2>&1 || status=$?
    case "$status" in
        0) printf 'ok      (%3ds) %s\n' $((SECONDS - start)) "$(tail -n 1 "$logs/$peer.log")" ;;
        3) printf 'skipped (%3ds) %s\n' $((SECONDS - start)) "$(tail -n 1 "$logs/$peer.log")" ;;
        *)
            printf 'FAILED  (%3ds), end of %s:\n' $((SECONDS - start)) "$logs/$peer.log"
            tail -n 5 "$logs/$peer.log" | sed 's/^/    /'
            failed+=("$peer")
            ;;
    esac
done
if [[ ${#failed[@]} -gt 0 ]]; then
    echo "not installed: ${failed[*]} (bench/compare.sh skips them)"
    exit 1
fi
