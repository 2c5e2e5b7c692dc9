#!/usr/bin/env bash
# Writes a golden data folder for tests/golden/: a host's redb file holding closed runs
# (hello, sequence) and an open one (timer, sleeping 30 days), written by the weft at
# $WEFT (default: this tree's debug build). Usage: scripts/make-golden.sh <out-folder>
# With CODEC_KEYS=<key file> the server stores payloads encrypted with it, and the file
# is copied into the folder as codec-keys.json (tests/golden.rs then reads with it).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:?usage: scripts/make-golden.sh <out-folder>}
[ -e "$OUT" ] && { echo "$OUT exists; pick a new folder" >&2; exit 2; }
if [ -z "${WEFT:-}" ]; then cargo build --quiet -p weft; WEFT="$PWD/target/debug/weft"; fi
SRC=${SRC:-$PWD}
declare -A WASM
for ex in hello sequence timer; do WASM[$ex]=$("$WEFT" build "$SRC/guest-examples/$ex"); done
mkdir -p "$OUT"
CODEC_ARGS=()
if [ -n "${CODEC_KEYS:-}" ]; then cp "$CODEC_KEYS" "$OUT/codec-keys.json"; CODEC_ARGS=(--codec-keys "$OUT/codec-keys.json"); fi
"$WEFT" server --data "$OUT" --listen 127.0.0.1:0 "${CODEC_ARGS[@]}" >"$OUT.server.out" 2>/dev/null &
PID=$!
trap 'kill -9 $PID 2>/dev/null || true; rm -f "$OUT.server.out"' EXIT
for _ in $(seq 1 200); do grep -q '^listening on ' "$OUT.server.out" 2>/dev/null && break; sleep 0.05; done
export WEFT_SERVER=$(sed -n 's/^listening on //p' "$OUT.server.out" | head -1)
for ex in hello sequence timer; do "$WEFT" deploy "${WASM[$ex]}" --name "$ex" >/dev/null; done
"$WEFT" execute hello --input '"golden"' --id golden-hello
"$WEFT" execute sequence --input '"abc"' --id golden-sequence
"$WEFT" start timer --input '{"seconds": 2592000}' --id golden-timer
"$WEFT" describe golden-timer >/dev/null
kill -9 "$PID"; wait "$PID" 2>/dev/null || true
rm -rf "$OUT/compiled"
ls -la "$OUT"
