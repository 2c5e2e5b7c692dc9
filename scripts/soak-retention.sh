#!/usr/bin/env bash
# The retention soak: a release `weft server --retention` on a fresh data folder, and
# clients that start and complete `hello` runs for several minutes, printing the redb
# file's size every 30 s. With retention the size levels off once it catches up (redb
# reuses the pages removals free). Numbers are in docs/measurements.md.
#
#   bash scripts/soak-retention.sh [SECONDS (default 420)] [RETENTION (default 1m)]
#
# CLIENTS (default 8) clients each start a run and wait for its result, in a loop;
# ARCHIVE=0 runs without --archive-dir.
#
# Needs the release binary (`cargo build --profile demo -p weft --bin weft`, or set
# WEFT_BIN) and the hello component (target/test-components/hello.wasm, or set
# HELLO_WASM).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-420}
retention=${2:-1m}
weft=${WEFT_BIN:-target/demo/weft}
hello=${HELLO_WASM:-target/test-components/hello.wasm}
work=$(mktemp -d)
trap 'kill "$server_pid" 2>/dev/null || true; rm -rf "$work"' EXIT

archive=(--archive-dir "$work/archive")
[ "${ARCHIVE:-1}" = 0 ] && archive=()
"$weft" server --data "$work/data" --listen 127.0.0.1:0 --retention "$retention" \
    "${archive[@]}" >"$work/server.out" 2>"$work/server.log" &
server_pid=$!
for _ in $(seq 100); do
    grep -q "listening on" "$work/server.out" 2>/dev/null && break
    sleep 0.1
done
url=$(sed -n 's/^listening on //p' "$work/server.out")
echo "server at $url, retention $retention, soak ${seconds}s"
"$weft" deploy "$hello" --name hello --server "$url" >/dev/null

python3 - "$url" "$seconds" "$work/data/weft.redb" "$work/archive" "${CLIENTS:-8}" <<'PY'
import json, os, sys, threading, time, urllib.request
url, seconds, db, archive = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
clients = int(sys.argv[5])
done = [0]
lock = threading.Lock()
stop = time.time() + seconds

def call(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url + path, data=data, method=method,
                                 headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.load(r)

def client():
    while time.time() < stop:
        run = call("POST", "/v1/executions", {"workflow_type": "hello", "input": "soak"})
        call("GET", "/v1/executions/%s/result?wait_s=30" % run["run_id"])
        with lock:
            done[0] += 1

def archived():
    n = 0
    for root, _, files in os.walk(archive):
        n += sum(f.endswith(".zst") for f in files)
    return n

threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
for t in threads:
    t.start()
start = time.time()
print("elapsed_s  runs_done  redb_mb  archived_files")
while time.time() < stop:
    time.sleep(30)
    print("%9d  %9d  %7.1f  %14d" % (time.time() - start, done[0],
          os.path.getsize(db) / 1e6, archived()), flush=True)
for t in threads:
    t.join()
PY
