# The `queue` image: one static binary on distroless/static (CA certificates, a non-root user,
# no shell, no libc): a 2 MB base plus the binary, instead of the original's 1 GB of Python.
#
#   docker run --rm -it --env-file aws.env ghcr.io/csse6400/queue:main --name csse6400_prac --client-name "Client 1"
#   docker run --rm -it -p 9324:9324 ghcr.io/csse6400/queue:main serve --bind 0.0.0.0:9324
#
# Multi-arch (linux/amd64, linux/arm64): buildx runs this file once per platform, natively or
# under QEMU. No cross-compiler, no --target: on Alpine the host target is
# <arch>-unknown-linux-musl, which Rust links statically by default, so the build line is the
# plain `cargo build --release --locked` that .ci/ship-checks.sh also runs. Cross-compiling from
# $BUILDPLATFORM would be faster but needs a musl cross C compiler for aws-lc and ring (or the
# xx/zig wrappers), and then the image would be built by a command CI never runs.
#
# In the container `queue` is PID 1, which the kernel spares from default signal actions: every
# command that runs for a while must handle Ctrl-C and SIGTERM itself (tokio::signal), or they
# are ignored.

ARG RUST_VERSION=1.95

FROM rust:${RUST_VERSION}-alpine AS build
# C toolchain for the crypto crates (aws-lc-sys, ring); aws-lc includes <linux/random.h>.
# Unpinned: the rust image's Alpine release fixes these versions well enough.
# hadolint ignore=DL3018
RUN apk add --no-cache musl-dev gcc linux-headers
WORKDIR /src
COPY . .
RUN cargo build --release --locked

FROM gcr.io/distroless/static-debian13:nonroot
COPY --from=build /src/target/release/queue /usr/local/bin/queue
# The AWS SDK's TLS (rustls with the platform's roots, via rustls-native-certs) trusts only the
# system store: distroless ships it here (and sets this too; stated so nothing depends on probing).
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
# Fails the build unless the binary runs on this libc-less base (exec form: there is no shell).
RUN ["queue", "--version"]
# distroless's `nonroot` user, numeric so runtimes can verify it is not root.
USER 65532:65532
# `queue serve` inside a container must listen on 0.0.0.0 (pass --bind 0.0.0.0:9324).
EXPOSE 9324
ENTRYPOINT ["queue"]
