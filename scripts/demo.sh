#!/usr/bin/env bash
# weft's main job on the embedded default (one process, one redb file): build the example
# workflows, start a host, deploy them, run executions, kill the host in the middle of
# one and start it again to watch it resume, then show and replay a history.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() {
  local line='$' a
  for a in "$@"; do
    if [[ $a =~ ^[A-Za-z0-9_./:=@-]+$ ]]; then line+=" $a"; else line+=" '$a'"; fi
  done
  printf '\033[2m%s\033[0m\n' "$line"
  "$@"
}

EXAMPLES=(hello sequence fanout timer entity cancellation local-activity exceptions continue-as-new schedule search-attributes)

step "building weft, and alongside it the guest toolchain and the example workflows (minutes when cold, seconds when warm)"
# The demo profile is the release build without debug info, and without the OTLP exporter
# (the demo sends no spans). The toolchain crate's small `build-components` example comes
# first: it sets up the guest toolchain and builds the example workflows in one cargo
# invocation (the guest standard library first, their shared dependencies once) while the
# rest of weft compiles, so the `weft build` step below finds them built. Both builds
# select the same packages, so they resolve the same features and the second reuses what
# the first compiled.
built() {
  cargo build --quiet --profile demo --no-default-features --message-format json-render-diagnostics \
      -p weft -p weft-toolchain --example build-components "$@" |
    sed -n 's/.*"reason":"compiler-artifact".*"executable":"\([^"]*\)".*/\1/p'
}
GUEST_LOG=$(mktemp)
GUEST_PID=
trap '[ -n "$GUEST_PID" ] && kill "$GUEST_PID" 2>/dev/null' EXIT
BUILD_COMPONENTS=$(built)
GUEST_OUT=$(mktemp -d)
"$BUILD_COMPONENTS" "$GUEST_OUT" "${EXAMPLES[@]/#/guest-examples/}" </dev/null >"$GUEST_LOG" 2>&1 &
GUEST_PID=$!
WEFT=$(built --bin weft | grep '/weft$')
if ! wait "$GUEST_PID"; then
  cat "$GUEST_LOG" >&2
  echo "building the example workflows failed" >&2
  exit 1
fi
rm -rf "$GUEST_LOG" "$GUEST_OUT"
weft() { "$WEFT" "$@"; }
weft toolchain install

step "building the example workflows into components"
declare -A WASM
for ex in "${EXAMPLES[@]}"; do
  WASM[$ex]=$(weft build "guest-examples/$ex")
  echo "$ex -> ${WASM[$ex]}"
done

DATA=$(mktemp -d)
SERVER_PID=
start_server() {
  "$WEFT" server --data "$DATA" --listen 127.0.0.1:0 --log-json >"$DATA/server.out" 2>"$DATA/server.log" &
  SERVER_PID=$!
  # A host answers within a second or two; a busy machine may take longer (it compiles
  # the deployed components again when it opens), so wait up to a minute, and say why
  # when it does not come up.
  for _ in $(seq 1 1200); do
    if grep -q '^listening on ' "$DATA/server.out" 2>/dev/null; then break; fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then break; fi
    sleep 0.05
  done
  export WEFT_SERVER=$(sed -n 's/^listening on //p' "$DATA/server.out" | head -1)
  if [ -z "$WEFT_SERVER" ]; then
    echo "weft server did not start listening; its log:" >&2
    cat "$DATA/server.log" >&2
    exit 1
  fi
  echo "weft server (pid $SERVER_PID) on $WEFT_SERVER, data in $DATA"
}
cleanup() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; rm -rf "$DATA"; }
trap cleanup EXIT

step "starting a host"
start_server

step "deploying the components"
for ex in "${EXAMPLES[@]}"; do show weft deploy "${WASM[$ex]}" --name "$ex"; done
show weft modules

step "running executions"
show weft execute hello --input '"world"' --id hello-1
show weft execute sequence --input '"abc"' --id sequence-1
show weft execute fanout --input '{"n": 10}' --id fanout-1
show weft execute local-activity --input '"abc"' --id local-1

step "crash and resume: a 3-second timer, host killed (SIGKILL) while it sleeps"
show weft start timer --input '{"seconds": 3}' --id timer-1
show weft describe timer-1
kill -9 "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
echo "host killed; starting it again on the same data folder"
start_server
show weft result timer-1

step "a long-running entity: signals, updates (accepted and rejected), queries"
show weft start entity --input '{"balance": 100}' --id account-1
show weft signal account-1 deposit --input '{"amount": 50}'
show weft update account-1 withdraw --input '{"amount": 30}'
if show weft update account-1 withdraw --input '{"amount": 1000}'; then
  echo "an overdraft was accepted" >&2; exit 1
else
  echo "(rejected by the validator: exit $?, nothing recorded)"
fi
show weft query account-1 balance
show weft query account-1 operations
show weft describe account-1
show weft signal account-1 close
show weft result account-1
show weft query account-1 balance
show weft history show account-1

step "cancelling a workflow: its heartbeating activity stops, its cleanup runs"
show weft start cancellation --input null --id order-7
show weft cancel order-7 --reason 'customer changed their mind'
if show weft result order-7; then
  echo "a cancelled workflow reported success" >&2; exit 1
else
  echo "(cancelled: exit $?)"
fi
show weft history show order-7

step "terminating a workflow: closed at once, with its reason"
show weft start timer --input '{"seconds": 86400}' --id timer-2
show weft terminate timer-2 --reason 'no longer needed'
show weft describe timer-2

step "a workflow that fails (a declined card), and one that continues as new"
if show weft execute exceptions --input '{"id": "order-8", "card": "4000-0000-0000-0002", "amount_cents": 1999}' --id order-8; then
  echo "a declined card was charged" >&2; exit 1
else
  echo "(failed: exit $?)"
fi
show weft execute looper --input '{"iterations": 6, "per_run": 2}' --id looper-1

step "search attributes: an order upserts its status; find orders by it"
show weft start order --input '{"order_id": "o-7", "amount": 120}' --id order-o-7
show weft signal order-o-7 advance --input '"paid"'
show weft signal order-o-7 advance --input '"shipped"'
show weft list --query "OrderStatus = 'shipped' AND Amount >= 100"
show weft count --query "WorkflowType = 'order' GROUP BY ExecutionStatus"

step "schedules: a nightly schedule (paused), triggered now; its runs found by search attribute"
show weft schedule create nightly --workflow-type echo --input '"from a schedule"' --cron '0 2 * * *' --timezone Europe/Paris --paused --note 'demo'
show weft schedule trigger nightly
show weft schedule describe nightly
show weft list --query "WeftScheduledById = 'nightly'"
show weft schedule delete nightly

step "executions"
show weft list

step "the history of timer-1"
show weft history show timer-1
show weft history export timer-1 -o "$DATA/timer-1.history.json"
show weft replay --module "${WASM[timer]}" "$DATA/timer-1.history.json"
show weft replay --module "${WASM[timer]}" --id timer-1

step "metrics: the host's families, as Prometheus scrapes them from GET /metrics"
METRICS=$(weft metrics weft_)
missing=0
for family in executions_started_total executions_closed_total workflow_task_seconds \
    workflow_task_failures_total activity_attempts_total activity_attempt_failures_total \
    activity_attempt_seconds activity_schedule_to_start_seconds timers_fired_total \
    signals_received_total queries_received_total updates_received_total \
    group_commit_batches group_commit_seconds instance_cache_size instance_cache_hits_total \
    instance_cache_evictions_total rebuild_replays_total open_runs; do
  if grep -q "^# TYPE weft_$family " <<<"$METRICS"; then echo "weft_$family"; else echo "missing: weft_$family" >&2; missing=1; fi
done
grep -E '^weft_executions_closed_total\{' <<<"$METRICS" | grep -v ' 0$'
[ "$missing" = 0 ] || exit 1

step "stopping the host (SIGTERM: graceful)"
kill -TERM "$SERVER_PID"; wait "$SERVER_PID" || true
SERVER_PID=
echo "done"
