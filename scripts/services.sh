#!/usr/bin/env bash
# Local PostgreSQL + Redis for development and tests, kept in one data folder.
#
#   scripts/services.sh start  <datadir> <pgport> <redisport>
#   scripts/services.sh stop   <datadir> [<pgport> <redisport>]
#   scripts/services.sh status <datadir>
#   scripts/services.sh env    <datadir> <pgport> <redisport>
#   scripts/services.sh clean  <datadir>
#
# start   initdb (trust auth, 127.0.0.1 only) on first use, start postgres and
#         redis-server, wait until both answer, ensure role/database
#         `trusttrade` (password `trusttrade`, SUPERUSER). Already running: fine.
# stop    pg_ctl stop -m fast, redis-cli shutdown nosave. Not running: fine.
# env     print `export DATABASE_URL=...` and `export REDIS_URL=...`.
# clean   stop, then remove the cluster, Redis' folder and ports.env (also a
#         cluster kept outside <datadir>, below).
#
# Layout: <datadir>/pg/data (cluster), <datadir>/pg (socket dir, postgres.log),
#         <datadir>/redis (redis.pid, redis.log), <datadir>/ports.env.
#
# <datadir> may be anywhere. As root, when the cluster owner cannot reach it
# (a checkout under a private home such as /root, or any 0700 parent),
# <datadir>/pg becomes a symlink to /var/lib/trusttrade/pg-<hash of <datadir>>,
# the owner's folder (mode 0700), one per data folder, kept between runs like
# <datadir>; `clean` removes it. When the socket path would be too long for a
# Unix socket, PostgreSQL listens on 127.0.0.1 only (which is all we use).
#
# Environment:
#   SERVICES_MODE=test  start postgres with fsync/synchronous_commit off (fast,
#                       not crash-safe: for throwaway test clusters)
#
# PostgreSQL refuses to run as root, so as root the cluster belongs to an
# unprivileged user (`postgres` if it exists, else a `trusttrade` system user
# created here) and initdb/pg_ctl run through `runuser`. Redis may run as root.
set -euo pipefail

die() { echo "services: $*" >&2; exit 1; }
log() { echo "services: $*"; }

usage() {
    sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

[ $# -ge 2 ] || usage
cmd=$1
datadir=$(realpath -m "$2")
pgport=${3:-}
redisport=${4:-}

pglink=$datadir/pg
pgroot=$pglink
# A cluster kept outside <datadir> (see above): postgres gets the real path.
[ -L "$pglink" ] && pgroot=$(readlink -f "$pglink")
pgdata=$pgroot/data
redisdir=$datadir/redis
redispid=$redisdir/redis.pid
portsfile=$datadir/ports.env

# Fill in ports from the last `start` when not given (stop/status).
if [ -z "$pgport" ] || [ -z "$redisport" ]; then
    if [ -f "$portsfile" ]; then
        # shellcheck disable=SC1090
        . "$portsfile"
        pgport=${pgport:-${PG_PORT:-}}
        redisport=${redisport:-${REDIS_PORT:-}}
    fi
fi

find_pgbin() { # newest /usr/lib/postgresql/<v>/bin, else pg_ctl on PATH
    local best c
    best=$(for d in /usr/lib/postgresql/*/bin; do
        [ -x "$d/pg_ctl" ] && [ -x "$d/initdb" ] && echo "$d"
    done | sort -V | tail -n1)
    if [ -z "$best" ]; then
        c=$(command -v pg_ctl 2>/dev/null) || die "PostgreSQL server binaries not found (run scripts/install-deps.sh)"
        best=$(dirname "$(readlink -f "$c")")
    fi
    echo "$best"
}

# The OS user that owns and runs the cluster.
pg_os_user() {
    if [ "$(id -u)" -ne 0 ]; then
        id -un
        return
    fi
    if id postgres >/dev/null 2>&1; then
        echo postgres
        return
    fi
    if ! id trusttrade >/dev/null 2>&1; then
        useradd --system --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin trusttrade >/dev/null
    fi
    echo trusttrade
}

as_pg() { # run a command as the cluster owner, from a directory it can read
    if [ "$(id -u)" -eq 0 ]; then
        (cd / && runuser -u "$PGUSER_OS" -- "$@")
    else
        (cd / && "$@")
    fi
}

pg_running() {
    [ -f "$pgdata/PG_VERSION" ] || return 1
    as_pg "$PGBIN/pg_ctl" -D "$pgdata" status >/dev/null 2>&1
}

pg_running_port() { # port of the running cluster (line 4 of postmaster.pid)
    sed -n 4p "$pgdata/postmaster.pid" 2>/dev/null || true
}

redis_running() {
    [ -f "$redispid" ] || return 1
    local pid
    pid=$(cat "$redispid" 2>/dev/null) || return 1
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

redis_ping() {
    [ "$(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null)" = PONG ]
}

# Where the cluster lives when the owner cannot reach <datadir>: one folder
# per data folder, under a root-owned parent (nobody else can plant it).
OUTSIDE_PARENT=/var/lib/trusttrade
outside_dir() {
    echo "$OUTSIDE_PARENT/pg-$(printf '%s' "$datadir" | sha256sum | cut -c1-16)"
}

# As root: can the cluster owner create and enter a folder in <datadir>?
owner_reaches_datadir() {
    [ "$(id -u)" -eq 0 ] || return 0
    local probe ok=1
    probe=$(mktemp -d "$datadir/.pg-probe.XXXXXX")
    chown "$PGUSER_OS": "$probe"
    as_pg test -x "$probe" -a -w "$probe" && ok=0
    rm -rf "$probe"
    return "$ok"
}

# <datadir>/pg → outside_dir, the owner's own 0700 folder.
use_outside_dir() {
    local dir
    dir=$(outside_dir)
    # Keep the folder a moved checkout's link already points to.
    case "$pgroot" in "$OUTSIDE_PARENT"/pg-*) [ -L "$pglink" ] && dir=$pgroot ;; esac
    if [ -d "$pglink" ] && [ ! -L "$pglink" ]; then
        rmdir "$pglink" 2>/dev/null ||
            die "user $PGUSER_OS cannot reach $pglink (a parent folder is private); move that folder away and run again"
    fi
    mkdir -p "$OUTSIDE_PARENT"
    chmod 0755 "$OUTSIDE_PARENT"
    mkdir -p -m 0700 "$dir"
    chown "$PGUSER_OS": "$dir"
    chmod 0700 "$dir"
    if [ ! -L "$pglink" ]; then
        log "user $PGUSER_OS cannot reach $datadir: the cluster lives in $dir ($pglink points there)"
    fi
    ln -sfn "$dir" "$pglink"
    pgroot=$dir
    pgdata=$pgroot/data
}

start_pg() {
    if [ "$(id -u)" -eq 0 ] && { [ -L "$pglink" ] || ! owner_reaches_datadir; }; then
        use_outside_dir
    fi
    mkdir -p "$pgroot"
    if [ "$(id -u)" -eq 0 ]; then
        chown "$PGUSER_OS": "$pgroot"
        [ -d "$pgdata" ] && chown -R "$PGUSER_OS": "$pgdata"
        as_pg test -x "$pgroot" -a -w "$pgroot" ||
            die "user $PGUSER_OS cannot reach $pgroot"
    fi

    if [ ! -f "$pgdata/PG_VERSION" ]; then
        log "initdb $pgdata (owner $PGUSER_OS)"
        as_pg "$PGBIN/initdb" -D "$pgdata" -U postgres --auth-local=trust --auth-host=trust \
            -E UTF8 --locale=C.UTF-8 >"$pgroot/initdb.log" 2>&1 ||
            { cat "$pgroot/initdb.log" >&2; die "initdb failed"; }
    fi

    if pg_running; then
        local running
        running=$(pg_running_port)
        if [ "$running" = "$pgport" ]; then
            log "postgres already running on 127.0.0.1:$pgport"
        else
            log "postgres running on port $running, restarting on $pgport"
            as_pg "$PGBIN/pg_ctl" -D "$pgdata" -m fast -w -t 60 stop >/dev/null
        fi
    fi

    if ! pg_running; then
        # A Unix socket path has at most 107 bytes; past that, TCP only.
        local sockets=$pgroot
        [ $((${#pgroot} + 20)) -le 107 ] || sockets="''"
        local opts="-p $pgport -c listen_addresses=127.0.0.1 -c unix_socket_directories=$sockets -c max_connections=300"
        if [ "${SERVICES_MODE:-}" = test ]; then
            opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        fi
        if ! as_pg "$PGBIN/pg_ctl" -D "$pgdata" -l "$pgroot/postgres.log" -o "$opts" -w -t 60 start >/dev/null; then
            tail -n 20 "$pgroot/postgres.log" >&2 || true
            die "postgres failed to start on 127.0.0.1:$pgport (see $pgroot/postgres.log)"
        fi
    fi

    local i
    for i in $(seq 1 60); do
        pg_isready -q -h 127.0.0.1 -p "$pgport" && break
        sleep 0.5
    done
    pg_isready -q -h 127.0.0.1 -p "$pgport" || die "postgres on 127.0.0.1:$pgport does not answer"

    psql -q -X -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$pgport" -U postgres -d postgres >/dev/null <<'SQL'
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'trusttrade') THEN
    CREATE ROLE trusttrade LOGIN SUPERUSER PASSWORD 'trusttrade';
  ELSE
    ALTER ROLE trusttrade LOGIN SUPERUSER PASSWORD 'trusttrade';
  END IF;
END
$$;
SELECT 'CREATE DATABASE trusttrade OWNER trusttrade'
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'trusttrade') \gexec
SQL
    log "postgres ready on 127.0.0.1:$pgport (data $pgdata)"
}

start_redis() {
    mkdir -p "$redisdir"
    if redis_running; then
        if redis_ping "$redisport"; then
            log "redis already running on 127.0.0.1:$redisport"
            return
        fi
        log "redis from $redisdir runs on another port, restarting on $redisport"
        stop_redis
    fi
    rm -f "$redispid"
    redis-server --port "$redisport" --bind 127.0.0.1 --save '' --appendonly no --databases 32 \
        --dir "$redisdir" --daemonize yes --pidfile "$redispid" \
        --logfile "$redisdir/redis.log" >/dev/null ||
        die "redis-server failed to start (see $redisdir/redis.log)"
    local i
    for i in $(seq 1 60); do
        redis_ping "$redisport" && break
        if [ "$i" -gt 4 ] && ! redis_running; then break; fi
        sleep 0.25
    done
    if ! redis_ping "$redisport" || ! redis_running; then
        tail -n 20 "$redisdir/redis.log" >&2 || true
        die "redis on 127.0.0.1:$redisport does not answer (see $redisdir/redis.log)"
    fi
    log "redis ready on 127.0.0.1:$redisport"
}

stop_redis() {
    redis_running || { rm -f "$redispid"; return 0; }
    local pid
    pid=$(cat "$redispid")
    # Shut down by the port from ports.env when known; else by signal.
    if [ -n "$redisport" ]; then
        redis-cli -h 127.0.0.1 -p "$redisport" shutdown nosave >/dev/null 2>&1 || true
    fi
    local i
    for i in $(seq 1 40); do
        kill -0 "$pid" 2>/dev/null || break
        [ "$i" -eq 4 ] && kill -TERM "$pid" 2>/dev/null || true
        sleep 0.25
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$redispid"
    log "redis stopped"
}

stop_pg() {
    [ -f "$pgdata/PG_VERSION" ] || return 0
    pg_running || return 0
    if ! as_pg "$PGBIN/pg_ctl" -D "$pgdata" -m fast -w -t 30 stop >/dev/null 2>&1; then
        as_pg "$PGBIN/pg_ctl" -D "$pgdata" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
    fi
    log "postgres stopped"
}

case "$cmd" in
    start)
        [ -n "$pgport" ] && [ -n "$redisport" ] || usage
        command -v redis-server >/dev/null || die "redis-server not found (run scripts/install-deps.sh)"
        PGBIN=$(find_pgbin)
        PGUSER_OS=$(pg_os_user)
        mkdir -p "$datadir"
        # A fresh mktemp -d is 0700; the cluster owner must be able to enter it.
        if [ "$(id -u)" -eq 0 ]; then chmod o+x "$datadir"; fi
        printf 'PG_PORT=%s\nREDIS_PORT=%s\n' "$pgport" "$redisport" >"$portsfile"
        start_pg
        start_redis
        ;;
    stop)
        PGBIN=$(find_pgbin)
        PGUSER_OS=$(pg_os_user)
        stop_redis
        stop_pg
        ;;
    clean)
        PGBIN=$(find_pgbin)
        PGUSER_OS=$(pg_os_user)
        stop_redis
        stop_pg
        if [ -L "$pglink" ]; then
            # Only ever a folder this script made.
            case "$pgroot" in "$OUTSIDE_PARENT"/pg-*) rm -rf "$pgroot" ;; esac
        fi
        rm -rf "$pglink" "$redisdir" "$portsfile"
        log "removed the PostgreSQL and Redis data of $datadir"
        ;;
    status)
        PGBIN=$(find_pgbin)
        PGUSER_OS=$(pg_os_user)
        if pg_running; then echo "postgres: running on 127.0.0.1:$(pg_running_port)"; else echo "postgres: stopped"; fi
        if redis_running; then echo "redis: running on 127.0.0.1:${redisport:-?}"; else echo "redis: stopped"; fi
        ;;
    env)
        [ -n "$pgport" ] && [ -n "$redisport" ] || usage
        echo "export DATABASE_URL=postgres://trusttrade:trusttrade@127.0.0.1:$pgport/trusttrade"
        echo "export REDIS_URL=redis://127.0.0.1:$redisport/0"
        ;;
    *)
        usage
        ;;
esac
