#!/usr/bin/env bash
# A weft cluster on one PostgreSQL database: a throwaway PostgreSQL (installed from
# Debian's packages when missing, run as a non-root user in a temporary folder), three
# `weft server` processes on it sharing its shards, workflows started through all three
# (each forwarded to the host that serves its workflow id), one host killed with SIGKILL
# with runs in flight, and its runs finishing on the two others once its leases expire
# (docs/guide/server-and-cli.md).
#
#   bash scripts/cluster-demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() {
  printf '\033[2m$ %s\033[0m\n' "$*"
  "$@"
}

step "building weft (with PostgreSQL support) and the example workflows"
# WEFT_DEMO_PROFILE=dev reuses a debug build (as the test suite makes).
profile=${WEFT_DEMO_PROFILE:-demo}
cargo build --quiet --profile "$profile" -p weft
WEFT=${CARGO_TARGET_DIR:-target}/$([ "$profile" = dev ] && echo debug || echo "$profile")/weft
weft() { "$WEFT" "$@"; }
weft toolchain install
SEQUENCE=$(weft build guest-examples/sequence)
ENTITY=$(weft build guest-examples/entity)

step "starting a throwaway PostgreSQL"
# shellcheck source=scripts/pg.sh
source scripts/pg.sh
WORK=$(mktemp -d)
declare -A PID URL
cleanup() {
  for node in "${!PID[@]}"; do kill "${PID[$node]}" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pg_stop 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
pg_start >/dev/null
DB=$WEFT_TEST_DATABASE_URL
echo "PostgreSQL at $DB"

# A host: its first line on stdout says where it listens ("listening on URL").
start_host() {
  local node=$1
  mkdir -p "$WORK/$node"
  WEFT_EXAMPLE_ACTIVITY_DELAY_MS=300 "$WEFT" server --data "$WORK/$node" --database "$DB" \
    --node-id "$node" --lease-time 3s --shards 64 --listen 127.0.0.1:0 \
    >"$WORK/$node.out" 2>"$WORK/$node.log" &
  PID[$node]=$!
  for _ in $(seq 1 200); do
    if [ -s "$WORK/$node.out" ]; then break; fi
    sleep 0.05
  done
  URL[$node]=$(sed -n '1s/^[a-z]* on //p' "$WORK/$node.out")
  echo "host $node (pid ${PID[$node]}): $(head -1 "$WORK/$node.out")"
}

step "starting three hosts on the database"
start_host a
start_host b
start_host c
# Each host claims the shards rendezvous hashing gives it as the others release them.
for _ in $(seq 1 100); do
  if weft cluster status --json --server "${URL[b]}" | grep -q '"shards":0,'; then
    sleep 0.2
  else
    break
  fi
done
show weft cluster status --server "${URL[b]}"

step "deploying and starting workflows through all three hosts"
show weft deploy "$SEQUENCE" --name sequence --server "${URL[c]}"
show weft deploy "$ENTITY" --name entity --server "${URL[b]}"
i=0
for node in a b c a b c; do
  i=$((i + 1))
  show weft start sequence --input "\"order-$i\"" --id "order-$i" --server "${URL[$node]}"
done
show weft start entity --input '{"balance": 100}' --id account-1 --server "${URL[c]}"
show weft signal account-1 deposit --input '{"amount": 50}' --server "${URL[a]}"

step "killing host b (SIGKILL), with runs in flight"
kill -9 "${PID[b]}"
wait "${PID[b]}" 2>/dev/null || true
unset "PID[b]"
echo "killed host b; a and c take its shards over once their leases expire (3 s)"
SURVIVOR=a

step "the runs finish on the hosts that took over"
for i in 1 2 3 4 5 6; do
  for _ in $(seq 1 100); do
    if out=$(weft result "order-$i" --server "${URL[$SURVIVOR]}" 2>&1); then break; fi
    sleep 0.2
  done
  echo "order-$i: $out"
done
for _ in $(seq 1 100); do
  if weft signal account-1 close --server "${URL[$SURVIVOR]}" >/dev/null 2>&1; then break; fi
  sleep 0.2
done
show weft result account-1 --server "${URL[c]}"
show weft cluster status --server "${URL[$SURVIVOR]}"
show weft history show order-1 --server "${URL[$SURVIVOR]}"
show weft replay --module "$SEQUENCE" --id order-1 --server "${URL[$SURVIVOR]}"
echo
echo "every run started through the three hosts finished once, those of host b after it died"
