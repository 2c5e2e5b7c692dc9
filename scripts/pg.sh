#!/usr/bin/env bash
# A throwaway PostgreSQL for the tests: a fresh cluster in a temporary folder, listening
# on a Unix socket in that folder only (no TCP), fsync on, with a database `weft` owned
# by the role `weft`.
#
#   source scripts/pg.sh; pg_start; ...; pg_stop
#
# pg_start exports WEFT_TEST_DATABASE_URL (a libpq URL whose host is the socket folder,
# percent-encoded: postgres://weft@%2Ftmp%2Fweft-pg.XXXX/weft) and prints it. pg_stop
# shuts the server down and removes the folder. Run as a script, `bash scripts/pg.sh
# start` starts one and prints its URL and folder; `bash scripts/pg.sh stop DIR` stops it;
# `bash scripts/pg.sh crash-restart DIR` stops it as a crash would (immediate shutdown:
# no checkpoint, recovery from the WAL at the next start) and starts it again.
#
# When `initdb` is missing it installs Debian's `postgresql` (as root). PostgreSQL will
# not run as root, so as root the cluster belongs to the user `weft-pg` (created when
# missing).

pg_bin_dir() {
    local dir
    for dir in /usr/lib/postgresql/*/bin; do
        if [ -x "$dir/initdb" ]; then
            echo "$dir"
            return 0
        fi
    done
    if command -v initdb >/dev/null 2>&1; then
        dirname "$(command -v initdb)"
        return 0
    fi
    return 1
}

pg_install() {
    if pg_bin_dir >/dev/null; then return 0; fi
    if [ "$(id -u)" != 0 ]; then
        echo "pg.sh: PostgreSQL is not installed and only root can install it" >&2
        return 1
    fi
    echo "pg.sh: installing PostgreSQL from Debian's packages" >&2
    apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >&2
}

# Run a command as the cluster's owner.
pg_as_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u weft-pg -- "$@"
    else
        "$@"
    fi
}

# Start the server of the cluster in folder $1 (its socket in that folder, no TCP).
pg_run() {
    local dir=$1 bin
    bin=$(pg_bin_dir) || return 1
    pg_as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
        -o "-k $dir -c listen_addresses='' -c fsync=on -c max_connections=200" start \
        >/dev/null || { cat "$dir/postgres.log" >&2; return 1; }
}

pg_start() {
    pg_install || return 1
    local bin
    bin=$(pg_bin_dir) || return 1
    if [ "$(id -u)" = 0 ] && ! id weft-pg >/dev/null 2>&1; then
        useradd --system --no-create-home --shell /usr/sbin/nologin weft-pg || return 1
    fi
    PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/weft-pg.XXXXXX") || return 1
    export PG_DIR
    if [ "$(id -u)" = 0 ]; then chown weft-pg "$PG_DIR"; fi
    chmod 700 "$PG_DIR"
    pg_as_owner "$bin/initdb" -D "$PG_DIR/data" -U weft --auth=trust -E UTF8 --locale=C.UTF-8 \
        >"$PG_DIR/initdb.log" 2>&1 || { cat "$PG_DIR/initdb.log" >&2; return 1; }
    # The socket folder must let the test user in; the data folder stays the owner's.
    chmod 755 "$PG_DIR"
    pg_run "$PG_DIR" || return 1
    "$bin/createdb" -h "$PG_DIR" -U weft weft || return 1
    local host=${PG_DIR//\//%2F}
    export WEFT_TEST_DATABASE_URL="postgres://weft@$host/weft"
    echo "$WEFT_TEST_DATABASE_URL"
}

# Stop the server in folder $1 the way a crash would, and start it again on the same data.
pg_crash_restart() {
    local dir=${1:?usage: pg_crash_restart DIR}
    local bin
    bin=$(pg_bin_dir) || return 1
    pg_as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null || return 1
    pg_run "$dir"
}

pg_stop() {
    local dir=${1:-${PG_DIR:-}}
    if [ -z "$dir" ] || [ ! -d "$dir" ]; then return 0; fi
    local bin
    bin=$(pg_bin_dir) || return 1
    if [ -f "$dir/data/postmaster.pid" ]; then
        pg_as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
    fi
    rm -rf "$dir"
    if [ "${PG_DIR:-}" = "$dir" ]; then unset PG_DIR WEFT_TEST_DATABASE_URL; fi
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    case "${1:-}" in
        start) pg_start && echo "$PG_DIR" ;;
        stop) pg_stop "${2:?usage: pg.sh stop DIR}" ;;
        crash-restart) pg_crash_restart "${2:?usage: pg.sh crash-restart DIR}" ;;
        *) echo "usage: pg.sh start | stop DIR | crash-restart DIR (or source it: pg_start; ...; pg_stop)" >&2; exit 2 ;;
    esac
fi
