#!/usr/bin/env bash
# Benchmark our Redis client (redis-bench) against redis-benchmark on the same
# throwaway redis-server, with the same connections, pipeline depth and request count.
#
#   scripts/bench-redis.sh                 # 50 clients, pipeline 16, 1M requests, SET and GET
#   CLIENTS=10 PIPELINE=1 REQUESTS=200000 ROUNDS=5 scripts/bench-redis.sh
#   SCRATCH_PATH=.build-redis scripts/bench-redis.sh   # build somewhere else than .build
#   BENCH_BIN=/path/to/redis-bench scripts/bench-redis.sh   # use a prebuilt binary (no build)
#   BENCH_ARGS="--executor global" scripts/bench-redis.sh   # extra redis-bench options
#
# Each figure is the median of ROUNDS runs (default 3), runs of the two tools interleaved.
set -euo pipefail

CLIENTS=${CLIENTS:-50}
PIPELINE=${PIPELINE:-16}
REQUESTS=${REQUESTS:-1000000}
COMMANDS=${COMMANDS:-"SET GET"}
ROUNDS=${ROUNDS:-3}
SCRATCH_PATH=${SCRATCH_PATH:-.build}
BENCH_BIN=${BENCH_BIN:-}
BENCH_ARGS=${BENCH_ARGS:-}

cd "$(dirname "$0")/.."

for tool in redis-server redis-benchmark redis-cli; do
    command -v "$tool" >/dev/null || { echo "error: $tool not found on PATH" >&2; exit 1; }
done

source scripts/lib/throwaway-redis.sh
source scripts/lib/median.sh

if [[ -n "$BENCH_BIN" ]]; then
    bench_bin="$BENCH_BIN"
    echo "==> using $bench_bin"
else
    echo "==> building redis-bench (release, scratch path $SCRATCH_PATH)"
    swift build -c release --product redis-bench --scratch-path "$SCRATCH_PATH" 2>&1 | tail -n 1
    bench_bin="$SCRATCH_PATH/release/redis-bench"
fi
[[ -x "$bench_bin" ]] || { echo "error: $bench_bin not found" >&2; exit 1; }

start_throwaway_redis
echo "==> redis-server $(redis-server --version | awk '{print $3}') on port $port; $CLIENTS clients, pipeline $PIPELINE, $REQUESTS requests, median of $ROUNDS"


results=()
for cmd in $COMMANDS; do
    lower=$(echo "$cmd" | tr '[:upper:]' '[:lower:]')
    theirs=()
    ours=()
    for _ in $(seq 1 "$ROUNDS"); do
        t=$(redis-benchmark -p "$port" -c "$CLIENTS" -P "$PIPELINE" -n "$REQUESTS" -t "$lower" -q 2>/dev/null \
            | tr '\r' '\n' | grep "requests per second" | tail -n 1 | sed -E 's/^[^:]*: ([0-9.]+) requests.*/\1/')
        theirs+=("${t%.*}")
        o=$("$bench_bin" --url "redis://127.0.0.1:$port" -c "$CLIENTS" -P "$PIPELINE" -n "$REQUESTS" -t "$cmd" --quiet $BENCH_ARGS \
            | awk '{print $2}')
        ours+=("$o")
    done
    t=$(printf '%s\n' "${theirs[@]}" | median)
    o=$(printf '%s\n' "${ours[@]}" | median)
    results+=("$cmd $t $o")
    echo "    $cmd: redis-benchmark ${theirs[*]} | ours ${ours[*]}"
done

echo
printf '%-8s %18s %18s %8s\n' "command" "redis-benchmark/s" "ours/s" "ratio"
for r in "${results[@]}"; do
    read -r cmd t o <<<"$r"
    ratio=$(awk -v o="$o" -v t="$t" 'BEGIN { if (t > 0) printf "%.2fx", o / t; else print "n/a" }')
    printf '%-8s %18s %18s %8s\n' "$cmd" "$t" "$o" "$ratio"
done
