#!/usr/bin/env bash
# The gateway against nginx, in one run, on this machine (`make bench-gateway`):
#
#   direct   wrk → small upstream
#   nginx    wrk → nginx (plain reverse proxy, keep-alive upstream pool) → upstream
#   gateway  wrk → our gateway (JWT verified, session checked and rate limited
#            in Redis, limits raised for the run) → upstream
#
# Prints requests/s and p50/p99 latency side by side, and the gateway's
# ratios to nginx. Everything shares the machine's cores with wrk.
#
#   CONNECTIONS=50 DURATION=10 ROUNDS=3 scripts/bench-gateway.sh
#   SCRATCH_PATH=.build-bench scripts/bench-gateway.sh
set -euo pipefail

CONNECTIONS=${CONNECTIONS:-50}
THREADS=${THREADS:-2}
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
SCRATCH_PATH=${SCRATCH_PATH:-.build}

cd "$(dirname "$0")/.."
bash scripts/install-deps.sh bench

echo "==> building gateway and gateway-bench (release, scratch path $SCRATCH_PATH)"
swift build -c release --product gateway --scratch-path "$SCRATCH_PATH" 2>&1 | tail -n 1
swift build -c release --product gateway-bench --scratch-path "$SCRATCH_PATH" 2>&1 | tail -n 1
bin=$SCRATCH_PATH/release

source scripts/lib/throwaway-redis.sh
source scripts/lib/median.sh
start_throwaway_redis
redis_port=$port

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
upstream_port=$(free_port)
nginx_port=$(free_port)
gateway_port=$(free_port)
pids=()
stop_all() {
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    [[ -f "$tmp/nginx/nginx.pid" ]] && kill -QUIT "$(cat "$tmp/nginx/nginx.pid")" 2>/dev/null || true
    wait 2>/dev/null || true
    stop_throwaway_redis
}
trap stop_all EXIT INT TERM

wait_http() { # wait_http <url>
    for _ in $(seq 1 200); do
        curl -fsS -o /dev/null -m 1 "$1" 2>/dev/null && return 0
        sleep 0.05
    done
    echo "error: $1 did not answer" >&2
    exit 1
}

"$bin/gateway-bench" upstream --port "$upstream_port" --key-file "$tmp/bench.key" >"$tmp/upstream.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$upstream_port/health"

# nginx: the configuration a team would write for a plain reverse proxy.
mkdir -p "$tmp/nginx"
chmod 755 "$tmp"
user_line=""
[[ $(id -u) -eq 0 ]] && user_line="user root root;"
cat >"$tmp/nginx/nginx.conf" <<NGINX
$user_line
worker_processes auto;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $tmp/nginx/body;
    proxy_temp_path $tmp/nginx/proxy;
    fastcgi_temp_path $tmp/nginx/fastcgi;
    uwsgi_temp_path $tmp/nginx/uwsgi;
    scgi_temp_path $tmp/nginx/scgi;
    upstream app { server 127.0.0.1:$upstream_port; keepalive 128; }
    server {
        listen 127.0.0.1:$nginx_port;
        location / {
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header X-Forwarded-For \$remote_addr;
        }
    }
}
NGINX
nginx -c "$tmp/nginx/nginx.conf" -p "$tmp/nginx"
wait_http "http://127.0.0.1:$nginx_port/health"

env PORT="$gateway_port" LOG_LEVEL=warning REDIS_URL="redis://127.0.0.1:$redis_port/0" \
    AUTH_JWKS_URL="http://127.0.0.1:$upstream_port/v1/auth/.well-known/jwks.json" \
    GATEWAY_UPSTREAM_CORE="http://127.0.0.1:$upstream_port" \
    GATEWAY_RATE_LIMIT_GENERAL=1000000000 GATEWAY_METRICS_PORT="$(free_port)" \
    "$bin/gateway" >"$tmp/gateway.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$gateway_port/health"

session=bench-$(date +%s)
redis-cli -p "$redis_port" set "session:$session" 1 >/dev/null
token=$("$bin/gateway-bench" token --key-file "$tmp/bench.key" --session "$session")
auth="Authorization: Bearer $token"
path=/v1/users/me
code=$(curl -s -o /dev/null -w '%{http_code}' -H "$auth" "http://127.0.0.1:$gateway_port$path")
[[ $code == 200 ]] || { echo "error: the gateway answered $code for the bench request" >&2; cat "$tmp/gateway.log" >&2; exit 1; }

# run_wrk <url> [header] → "rps p50_ms p99_ms"
run_wrk() {
    local out
    local args=(-t "$THREADS" -c "$CONNECTIONS" -d "${DURATION}s" --latency)
    [[ -n "${2:-}" ]] && args+=(-H "$2")
    out=$(wrk "${args[@]}" "$1")
    if grep -q "Non-2xx" <<<"$out"; then echo "error: non-2xx answers from $1" >&2; echo "$out" >&2; exit 1; fi
    awk '
        function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
        /Requests\/sec/ { rps = $2 }
        $1 == "50%" { p50 = ms($2) }
        $1 == "99%" { p99 = ms($2) }
        END { printf "%.0f %.2f %.2f\n", rps, p50, p99 }' <<<"$out"
}


echo "==> wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s, median of $ROUNDS rounds (targets interleaved), GET $path"
declare -A rps p50 p99
for target in direct nginx gateway; do rps[$target]=""; p50[$target]=""; p99[$target]=""; done
# Warm-up: connections, JIT-free but caches and pools.
wrk -t1 -c"$CONNECTIONS" -d2s -H "$auth" "http://127.0.0.1:$gateway_port$path" >/dev/null
wrk -t1 -c"$CONNECTIONS" -d2s "http://127.0.0.1:$nginx_port$path" >/dev/null
for round in $(seq 1 "$ROUNDS"); do
    for target in direct nginx gateway; do
        case $target in
            direct) r=$(run_wrk "http://127.0.0.1:$upstream_port$path") ;;
            nginx) r=$(run_wrk "http://127.0.0.1:$nginx_port$path") ;;
            gateway) r=$(run_wrk "http://127.0.0.1:$gateway_port$path" "$auth") ;;
        esac
        read -r a b c <<<"$r"
        rps[$target]+="$a "; p50[$target]+="$b "; p99[$target]+="$c "
        echo "    round $round $target: $a req/s, p50 $b ms, p99 $c ms"
    done
done

med() { tr ' ' '\n' <<<"$1" | grep -v '^$' | median 2; }
echo
printf '%-10s %12s %10s %10s\n' target "req/s" "p50 ms" "p99 ms"
for target in direct nginx gateway; do
    printf '%-10s %12s %10s %10s\n' "$target" "$(med "${rps[$target]}")" "$(med "${p50[$target]}")" "$(med "${p99[$target]}")"
done
g=$(med "${rps[gateway]}"); n=$(med "${rps[nginx]}")
gp=$(med "${p99[gateway]}"); dp=$(med "${p99[direct]}"); np=$(med "${p99[nginx]}")
echo
awk -v g="$g" -v n="$n" -v gp="$gp" -v dp="$dp" -v np="$np" 'BEGIN {
    printf "gateway/nginx throughput: %.2fx (aim >= 0.8x)\n", g / n
    printf "p99 added over direct: gateway %+.2f ms (aim < 2 ms), nginx %+.2f ms\n", gp - dp, np - dp
}'
