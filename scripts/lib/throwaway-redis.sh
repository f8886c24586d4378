# Sourced by the benchmark scripts: a redis-server on a free loopback port,
# its files in a temporary folder, shut down and removed when the script
# exits. After `start_throwaway_redis`: $port, $tmp.

stop_throwaway_redis() {
    if [[ -n "${port:-}" ]]; then redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true; fi
    if [[ -n "${tmp:-}" && -f "$tmp/redis.pid" ]]; then kill "$(cat "$tmp/redis.pid")" >/dev/null 2>&1 || true; fi
    if [[ -n "${tmp:-}" ]]; then rm -rf "$tmp"; fi
}

start_throwaway_redis() {
    tmp=$(mktemp -d)
    trap stop_throwaway_redis EXIT INT TERM
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$tmp" \
        --daemonize yes --pidfile "$tmp/redis.pid" --logfile "$tmp/redis.log"
    for _ in $(seq 1 100); do
        redis-cli -p "$port" ping >/dev/null 2>&1 && break
        sleep 0.05
    done
    redis-cli -p "$port" ping >/dev/null || { echo "error: redis-server did not start" >&2; cat "$tmp/redis.log" >&2; exit 1; }
}
