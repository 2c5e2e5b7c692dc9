#!/usr/bin/env bash
# Throughput and takeover of a weft cluster on this machine: a throwaway PostgreSQL
# (scripts/pg.sh), N `weft server` processes on it (default 3), `weft bench --servers`
# through all of them, then one host killed with SIGKILL and the time until a run it
# served answers through another host.
#
#   bash scripts/cluster-bench.sh [HOSTS] [LEASE]      # e.g. 3 10s
#
# WEFT=path/to/weft uses that binary (default: a release build of this checkout).
set -euo pipefail
cd "$(dirname "$0")/.."
HOSTS=${1:-3}
LEASE=${2:-10s}
if [ -z "${WEFT:-}" ]; then
  cargo build --quiet --release -p weft
  WEFT=${CARGO_TARGET_DIR:-target}/release/weft
fi
# shellcheck source=scripts/pg.sh
source scripts/pg.sh
WORK=$(mktemp -d)
declare -a PID URL
cleanup() {
  for pid in "${PID[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pg_stop 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
pg_start >/dev/null
DB=$WEFT_TEST_DATABASE_URL
for i in $(seq 0 $((HOSTS - 1))); do
  "$WEFT" server --data "$WORK/h$i" --database "$DB" --node-id "h$i" --lease-time "$LEASE" \
    --listen 127.0.0.1:0 >"$WORK/h$i.out" 2>"$WORK/h$i.log" &
  PID[i]=$!
done
for i in $(seq 0 $((HOSTS - 1))); do
  for _ in $(seq 1 200); do [ -s "$WORK/h$i.out" ] && break; sleep 0.05; done
  URL[i]=$(sed -n '1s/^listening on //p' "$WORK/h$i.out")
done
# Wait until every host holds some shards.
for _ in $(seq 1 100); do
  if "$WEFT" cluster status --json --server "${URL[0]}" | grep -q '"shards":0,'; then sleep 0.2; else break; fi
done
"$WEFT" cluster status --server "${URL[0]}"
SERVERS=$(IFS=,; echo "${URL[*]}")
"$WEFT" bench --scenario seq3 --servers "$SERVERS" --concurrency "${CONCURRENCY:-64}"
"$WEFT" bench --scenario seq3 --servers "${URL[0]}" --concurrency "${CONCURRENCY:-64}"

# Takeover: accounts spread over the hosts, host 0 killed, each signalled through host 1
# until it answers.
ENTITY=$("$WEFT" build guest-examples/entity 2>/dev/null)
"$WEFT" deploy "$ENTITY" --name entity --server "${URL[1]}" >/dev/null
for n in $(seq 1 12); do
  "$WEFT" start entity --input '{"balance": 0}' --id "acct-$n" --server "${URL[1]}" >/dev/null
done
kill -9 "${PID[0]}"
killed=$(date +%s%N)
for n in $(seq 1 12); do
  until "$WEFT" signal "acct-$n" deposit --input '{"amount": 1}' --server "${URL[1]}" >/dev/null 2>&1; do
    sleep 0.05
  done
done
took=$((($(date +%s%N) - killed) / 1000000))
echo "takeover: every account answered ${took} ms after the kill (lease $LEASE)"
