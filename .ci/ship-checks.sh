#!/usr/bin/env bash
# Shipping checks (issue 5), called from .ci/run: the Terraform files, completions and man page,
# what the Docker build context leaves out, and that the Dockerfile runs only commands CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'ship-checks: %s\n' "$*" >&2; }
fail() { say "FAILED: $*"; exit 1; }

# --- Terraform: formatting when terraform is installed (providers cannot be downloaded in CI
# here, so no init/validate); the hcl-rs parse test always. Completions and man page through the
# built binary. (`cargo test` in .ci/run runs these too; naming them keeps this file honest.)
if command -v terraform >/dev/null 2>&1; then
    terraform fmt -check -recursive -diff terraform 2>/dev/null ||
        fail "terraform fmt: run \`terraform fmt terraform\`"
else
    say "terraform not installed: skipping fmt (tests/terraform.rs still parses the files)"
fi
cargo test --quiet --test integration -- terraform:: completions::

# --- The build context never carries secrets or bulk.
for pattern in '**/aws.env' '**/.env' '**/credentials' 'terraform' 'target' '.git'; do
    grep -qxF -- "$pattern" .dockerignore || fail ".dockerignore lacks $pattern"
done

# --- The Dockerfile runs three commands: the Alpine packages (not installable here), the build,
# and the binary itself. CI runs the last two exactly as written there.
DOCKER_PACKAGES='apk add --no-cache musl-dev gcc linux-headers'
DOCKER_BUILD='cargo build --release --locked'
DOCKER_RUN_BINARY='["queue", "--version"]'
while IFS= read -r line; do
    case "${line#RUN }" in
        "$DOCKER_PACKAGES" | "$DOCKER_BUILD" | "$DOCKER_RUN_BINARY") ;;
        *) fail "Dockerfile runs \`${line#RUN }\`, which CI does not: run it here too, then list it" ;;
    esac
done < <(grep -E '^RUN ' Dockerfile)
[ "$(grep -cxF "RUN $DOCKER_BUILD" Dockerfile)" = 1 ] || fail "Dockerfile must RUN \`$DOCKER_BUILD\` once"

rust_docker=$(sed -n 's/^ARG RUST_VERSION=//p' Dockerfile)
rust_ci=$(sed -n 's/^ *RUST_VERSION: "\(.*\)"$/\1/p' .github/workflows/ci.yml)
if [ -z "$rust_docker" ] || [ "$rust_docker" != "$rust_ci" ]; then
    fail "Rust version: Dockerfile '$rust_docker', workflow '$rust_ci'"
fi

say "running the Dockerfile's build: $DOCKER_BUILD"
$DOCKER_BUILD
binary="${CARGO_TARGET_DIR:-target}/release/queue"
"$binary" --version
say "release binary: $(stat -c %s "$binary") bytes (stripped by the release profile)"
