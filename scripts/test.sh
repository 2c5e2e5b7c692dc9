#!/usr/bin/env bash
# The whole test suite, in tiers run in turn; each prints its name and how long it took.
#
#   build   the test binaries, then every guest component the tests load (the crates of
#           guest-examples/ and tests/fixtures/, one cargo invocation per guest target,
#           so cargo compiles them in parallel and their shared dependencies once), into
#           target/test-components; the tests only load them from there. The first run
#           sets up the guest toolchain from Debian packages when rustup has no wasm32
#           target.
#   unit    `cargo test --workspace`: the libraries' unit and doc tests, the SDK's tests,
#           and the workflow crates' own tests on the SDK's native test harness; the
#           storage's tests also on PostgreSQL.
#   e2e     the end-to-end tests (tests/e2e.rs) on real components, redb files and
#           servers on loopback, except the heavy ones.
#   sim     the deterministic simulation (host/sim, `weft-sim`): its canaries caught and a
#           seed run twice alike (`--test sim`), then the regression seeds and a fresh
#           range of seeds (WEFT_SIM_SEEDS of them, 100 by default; the range starts at a
#           number taken from the commit, so each commit tries new ones).
#   heavy   the end-to-end tests under tests/heavy/ (hosts killed with SIGKILL, TLS and
#           mTLS, long chains of runs, OTLP export), and the tests that run the compiler:
#           the SDK's compile errors (trybuild) and the toolchain's real guest builds,
#           and the web UI in headless Chromium (WebDriver) and Firefox (Marionette): the first run installs
#           Debian's chromium, chromium-driver and firefox-esr when missing (as root, with apt-get);
#           screenshots land in target/ui-screenshots/.
#
# Before the unit tier a throwaway PostgreSQL starts (scripts/pg.sh: a Unix socket in a
# temporary folder, installed from Debian's packages when missing) and its URL goes to
# the tests in WEFT_TEST_DATABASE_URL; it stops when the suite exits. With
# WEFT_TEST_DATABASE_URL already set, that database is used instead.
#
# Extra arguments are cargo options given to every tier (e.g. `--release`).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# A one-shot CI build gains nothing from incremental state, which only takes disk.
if [ -n "${CI:-}" ]; then export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"; fi
target_dir="${CARGO_TARGET_DIR:-target}"
case "$target_dir" in /*) ;; *) target_dir="$PWD/$target_dir" ;; esac
components="$target_dir/test-components"
# The end-to-end tests wait on processes, sockets and each other's hosts more than on
# the CPU: more threads than cores keeps both cores busy. Not many more: each host's
# engine reserves terabytes of address space, and 6 at once ran out of it.
e2e_threads="${WEFT_E2E_THREADS:-4}"

# The test targets left out of plain `cargo test --workspace` (`test = false`).
heavy_targets=(--test e2e --test compile_errors --test build --test sim)

suite_started=$SECONDS
tier() {
    local name=$1
    shift
    echo "== $name"
    local started=$SECONDS
    "$@"
    echo "== $name: $((SECONDS - started)) s"
}

build() {
    # --workspace in every tier: one feature resolution, so nothing compiles twice.
    cargo test --workspace --no-run "$@"
    cargo test --workspace --no-run "${heavy_targets[@]}" "$@"
    local profile=debug crates=()
    if [[ " $* " == *" --release "* ]]; then profile=release; fi
    for manifest in guest-examples/*/Cargo.toml tests/fixtures/*/Cargo.toml; do
        if grep -q cdylib "$manifest"; then crates+=("$(dirname "$manifest")"); fi
    done
    "$target_dir/$profile/examples/build-components" "$components" "${crates[@]}"
}

tier build build "$@"
# The tests load the components built above instead of building their own.
export WEFT_TEST_COMPONENTS="$components"
if [ -z "${WEFT_TEST_DATABASE_URL:-}" ]; then
    # shellcheck source=scripts/pg.sh
    source scripts/pg.sh
    trap pg_stop EXIT
    tier postgres pg_start
fi
unit() {
    cargo test --workspace "$@"
    # The client without its `tls` feature (the demo's build) refuses HTTPS clearly.
    cargo test -p weft-client --no-default-features --lib "$@" -- tls::
}
tier unit unit "$@"
tier e2e cargo test --workspace --test e2e "$@" -- --skip heavy:: --test-threads "$e2e_threads"
sim() {
    cargo test --workspace --test sim "$@"
    local profile=debug seeds="${WEFT_SIM_SEEDS:-100}" base
    if [[ " $* " == *" --release "* ]]; then profile=release; fi
    base=$(( (0x$(git rev-parse --short=7 HEAD 2> /dev/null || echo 0) % 100000) * 1000 ))
    # The binary `cargo test --workspace` built, with the workspace's features: no
    # second build of the host.
    "$target_dir/$profile/weft-sim" --seeds "$base..$((base + seeds))"
}
tier sim sim "$@"
# The browser tests' Chromium and its WebDriver, from Debian (one source version, so the
# two always match), and Firefox (driven through its built-in Marionette protocol).
browser() {
    if [ -x /usr/bin/chromedriver ] && [ -x /usr/bin/firefox-esr ]; then return; fi
    if [ "$(id -u)" = 0 ] && command -v apt-get > /dev/null; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium chromium-driver firefox-esr
    else
        echo "the browser tests need chromium, chromium-driver and firefox-esr: apt-get install chromium chromium-driver firefox-esr (as root)"
    fi
}
heavy() {
    browser
    cargo test --workspace --test e2e "$@" -- heavy:: --test-threads "$e2e_threads"
    cargo test --workspace --test compile_errors --test build "$@"
}
tier heavy heavy "$@"
echo "== suite: $((SECONDS - suite_started)) s"
