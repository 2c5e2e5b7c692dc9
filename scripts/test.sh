#!/usr/bin/env bash
# The whole test suite: unit tests and the end-to-end tests in tests/, on real
# components built from guest-examples/ and tests/fixtures/. The first run sets up
# the guest toolchain from Debian packages when rustup has no wasm32 target.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# A one-shot CI build gains nothing from incremental state, which only takes disk.
if [ -n "${CI:-}" ]; then export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"; fi
echo "== guest toolchain"
cargo run --quiet -p weft -- toolchain install
echo "== tests"
# The whole workspace: the host and the CLI, and the workflow crates' own unit tests,
# which run natively on the SDK's test harness (the end-to-end tests build the same
# crates into components).
cargo test --workspace "$@"
