#!/usr/bin/env bash
# weft's main job on the embedded default: build the example workflows, run them on a
# host over a redb file, show results, kill a host mid-workflow and resume, replay.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "building weft (release)"
cargo build --quiet --release -p weft
WEFT="$PWD/target/release/weft"
"$WEFT" toolchain install

step "building the example workflows into components"
declare -A WASM
for ex in hello sequence fanout timer; do
  WASM[$ex]=$("$WEFT" build "guest-examples/$ex")
  echo "$ex -> ${WASM[$ex]}"
done

DATA=$(mktemp -d)
trap 'rm -rf "$DATA"' EXIT
step "running the examples on an embedded host (data in $DATA)"
echo '$ weft run hello --input "\"world\""'
"$WEFT" run --data "$DATA" "${WASM[hello]}" hello --input '"world"' --id hello-1
echo '$ weft run sequence --input "\"abc\""'
"$WEFT" run --data "$DATA" "${WASM[sequence]}" sequence --input '"abc"' --id sequence-1
echo '$ weft run fanout --input {"n": 10}'
"$WEFT" run --data "$DATA" "${WASM[fanout]}" fanout --input '{"n": 10}' --id fanout-1

step "crash and resume: a 3-second timer workflow, host killed after 1 s"
"$WEFT" run --data "$DATA" "${WASM[timer]}" timer --input '{"seconds": 3}' --id timer-1 &
PID=$!
sleep 1
kill -9 "$PID"; wait "$PID" 2>/dev/null || true
echo "host killed (SIGKILL) while timer-1 was sleeping; starting it again:"
"$WEFT" run --data "$DATA"

step "executions in the data folder"
"$WEFT" list --data "$DATA"

step "the history of timer-1, exported and replayed against the component"
"$WEFT" history export --data "$DATA" timer-1 -o "$DATA/timer-1.history.json"
head -c 600 "$DATA/timer-1.history.json"; echo " ..."
"$WEFT" replay --module "${WASM[timer]}" "$DATA/timer-1.history.json"
step "done"
