#!/usr/bin/env bash
# `make run`: the whole system on this machine, in the foreground.
#
#   1. installs missing Debian packages (scripts/install-deps.sh)
#   2. swift build (debug; CONFIG=release for release)
#   3. PostgreSQL and Redis with their data in .data/ (kept between runs)
#   4. every service executable that has been built, each on its port, logging
#      to .data/logs/<name>.log; waits for each /health and prints a table
#   5. Ctrl-C / TERM: stops the services (TERM, KILL after 10 s), then Redis
#      and PostgreSQL.
#
# Environment:
#   PGPORT (default 5432), REDIS_PORT (default 6379): if taken by something
#     else, the next free port is used (and said).
#   CONFIG=debug|release
#   HEALTH_TIMEOUT seconds to wait for each /health (default 60)
#   SKIP_BUILD=1 use the executables already in .build/<config>/
#   Anything else (LOG_LEVEL, JWT_ISSUER, ...) is passed through to services.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)
data=$root/.data
logs=$data/logs
CONFIG=${CONFIG:-debug}
HEALTH_TIMEOUT=${HEALTH_TIMEOUT:-60}

case "$CONFIG" in
    debug | release) ;;
    *) echo "run: CONFIG must be debug or release, got $CONFIG" >&2; exit 2 ;;
esac

# The services, their ports and their environment come from deploy/services.json
# (in its order: the stand-ins first, the gateway last), read below through
# `deploy/generate.py --run-plan`. Executables that are not built yet are skipped.

# A development service account for the FCM stand-in: a fresh RSA key in
# .data/, the same file for the stand-in (to check signatures) and the
# notification service (to sign). Real FCM uses Google's key file instead.
dev_service_account() {
    local file=$root/.data/fcm-service-account.json
    if [ ! -s "$file" ]; then
        mkdir -p "$root/.data"
        openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$root/.data/fcm-key.pem" 2>/dev/null
        python3 - "$root/.data/fcm-key.pem" "$file" <<'PY'
import json, sys
key = open(sys.argv[1]).read()
json.dump({"type": "service_account", "project_id": "trusttrade-dev", "private_key_id": "dev",
           "private_key": key, "client_email": "push@trusttrade-dev.iam.gserviceaccount.com",
           "token_uri": "http://127.0.0.1:4010/fcm/token"}, open(sys.argv[2], "w"))
PY
        rm -f "$root/.data/fcm-key.pem"
    fi
    echo "$file"
}

say() { echo "run: $*"; }

port_free() { # can we listen on 127.0.0.1:<port>?
    python3 - "$1" <<'PY' 2>/dev/null
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
PY
}

next_free_port() {
    local p=$1
    while ! port_free "$p"; do
        p=$((p + 1))
        [ "$p" -lt 65535 ] || { echo "run: no free port above $1" >&2; exit 1; }
    done
    echo "$p"
}

bash scripts/install-deps.sh

mkdir -p "$logs"

if [ "${SKIP_BUILD:-0}" != 1 ]; then
    echo "== run: swift build -c $CONFIG"
    swift build -c "$CONFIG"
fi
bin=$root/.build/$CONFIG

# Ports: reuse ours if a previous run left them up, else the wanted port if
# free, else the next free one.
want_pg=${PGPORT:-5432}
want_redis=${REDIS_PORT:-6379}
our_pg=""
if [ -f "$data/pg/data/postmaster.pid" ]; then
    pid=$(sed -n 1p "$data/pg/data/postmaster.pid")
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then our_pg=$(sed -n 4p "$data/pg/data/postmaster.pid"); fi
fi
our_redis=""
if [ -f "$data/redis/redis.pid" ] && kill -0 "$(cat "$data/redis/redis.pid")" 2>/dev/null && [ -f "$data/ports.env" ]; then
    our_redis=$(sed -n 's/^REDIS_PORT=//p' "$data/ports.env")
fi

pick() { # pick <what> <wanted> <ours-running-port>
    if [ "$2" = "$3" ] || port_free "$2"; then
        echo "$2"
        return
    fi
    local p
    p=$(next_free_port "$(($2 + 1))")
    echo "run: port $2 for $1 is taken by another program; using $p" >&2
    echo "$p"
}
pg_port=$(pick PostgreSQL "$want_pg" "$our_pg")
redis_port=$(pick Redis "$want_redis" "$our_redis")

pids=()
names=()
stopping=no
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    [ "$stopping" = yes ] && exit "$rc"
    stopping=yes
    echo
    if [ "${#pids[@]}" -gt 0 ]; then
        say "stopping services: ${names[*]}"
        local i p
        for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
            kill -TERM "${pids[$i]}" 2>/dev/null || true
        done
        for i in $(seq 1 100); do # 10 s
            local alive=no
            for p in "${pids[@]}"; do
                kill -0 "$p" 2>/dev/null && alive=yes
            done
            [ "$alive" = no ] && break
            sleep 0.1
        done
        for i in "${!pids[@]}"; do
            if kill -0 "${pids[$i]}" 2>/dev/null; then
                say "${names[$i]} did not stop within 10 s; killing it"
                kill -KILL "${pids[$i]}" 2>/dev/null || true
            fi
        done
        wait 2>/dev/null || true
    fi
    say "stopping clamd, Redis and PostgreSQL"
    bash "$root/scripts/clamd.sh" stop "$data/clamd" || true
    bash "$root/scripts/services.sh" stop "$data" "$pg_port" "$redis_port" || true
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

bash scripts/services.sh start "$data" "$pg_port" "$redis_port"
eval "$(bash scripts/services.sh env "$data" "$pg_port" "$redis_port")"
export DATABASE_URL REDIS_URL
# The file service's virus scanner.
bash scripts/clamd.sh stop "$data/clamd" || true
clamd_port=$(next_free_port "${CLAMD_PORT:-3310}")
bash scripts/clamd.sh start "$data/clamd" "$clamd_port"

# One line per service: name, port, then KEY=VALUE for its environment, tab-separated.
mapfile -t plan < <(python3 "$root/deploy/generate.py" --run-plan data="$data" clamd_port="$clamd_port" \
    fcm_service_account="$(dev_service_account)" metrics_port="${GATEWAY_METRICS_PORT:-9080}")
[ "${#plan[@]}" -gt 0 ] || { echo "run: no services in deploy/services.json" >&2; exit 1; }

rows=()
for entry in "${plan[@]}"; do
    IFS=$'\t' read -r -a fields <<<"$entry"
    name=${fields[0]}
    port=${fields[1]}
    extra=("${fields[@]:2}")
    exe=$bin/$name
    if [ ! -x "$exe" ]; then
        continue
    fi
    if ! port_free "$port"; then
        echo "run: port $port for $name is taken by another program; stop it and run again" >&2
        exit 1
    fi
    log=$logs/$name.log
    printf '=== %s started %s (port %s)\n' "$name" "$(date -Is)" "$port" >"$log"
    env PORT="$port" DATABASE_URL="$DATABASE_URL" REDIS_URL="$REDIS_URL" "${extra[@]}" \
        "$exe" </dev/null >>"$log" 2>&1 &
    pid=$!
    pids+=("$pid")
    names+=("$name")

    url=http://127.0.0.1:$port
    ok=no
    for _ in $(seq 1 $((HEALTH_TIMEOUT * 4))); do
        if curl -fsS -m 2 -o /dev/null "$url/health" 2>/dev/null; then ok=yes; break; fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.25
    done
    if [ "$ok" != yes ]; then
        if kill -0 "$pid" 2>/dev/null; then
            echo "run: $name did not answer $url/health within ${HEALTH_TIMEOUT}s; see $log" >&2
        else
            echo "run: $name exited during startup; see $log" >&2
        fi
        grep -E -m 5 'Fatal error|error:|[Ee]rror' "$log" >&2 || tail -n 20 "$log" >&2 || true
        exit 1
    fi
    say "$name healthy at $url"
    rows+=("$name $url $log")
done

if [ "${#pids[@]}" -eq 0 ]; then
    echo "run: no service executables found in $bin" >&2
    exit 1
fi

echo
printf '  %-22s %-24s %s\n' SERVICE URL LOG
for r in "${rows[@]}"; do
    read -r n u l <<<"$r"
    printf '  %-22s %-24s %s\n' "$n" "$u" "${l#"$root"/}"
done
echo
echo "  postgres  $DATABASE_URL  (log .data/pg/postgres.log)"
echo "  redis     $REDIS_URL  (log .data/redis/redis.log)"
echo
say "all up; Ctrl-C stops everything"

# Stay in the foreground until Ctrl-C (the trap) or a service exits.
while true; do
    set +e
    wait -n "${pids[@]}"
    code=$?
    set -e
    for i in "${!pids[@]}"; do
        if ! kill -0 "${pids[$i]}" 2>/dev/null; then
            echo "run: ${names[$i]} exited (code $code); see ${logs#"$root"/}/${names[$i]}.log. Stopping everything." >&2
            exit 1
        fi
    done
done
