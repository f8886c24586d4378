#!/usr/bin/env bash
# `make bench-queue`: our queue (queue-bench, release build) and Python BullMQ on the
# same throwaway redis-server, same job count and concurrency; jobs/s side by side.
#
#   scripts/bench-queue.sh                      # 50,000 no-op jobs, concurrency 50
#   JOBS=10000 CONCURRENCY=20 scripts/bench-queue.sh
#   SCRATCH_PATH=.build-queue scripts/bench-queue.sh   # build somewhere else than .build
#
# Each side adds all jobs first (bulk), then one worker processes them; "total" is
# jobs / (add time + process time).
set -euo pipefail

JOBS=${JOBS:-50000}
CONCURRENCY=${CONCURRENCY:-50}
SCRATCH_PATH=${SCRATCH_PATH:-.build}

cd "$(dirname "$0")/.."

for tool in redis-server redis-cli python3; do
    command -v "$tool" >/dev/null || { echo "error: $tool not found on PATH" >&2; exit 1; }
done
if ! python3 -c 'import bullmq' 2>/dev/null; then
    echo "==> pip install bullmq==3.4.4"
    python3 -m pip install --quiet --disable-pip-version-check 'bullmq==3.4.4'
fi

source scripts/lib/throwaway-redis.sh

echo "==> building queue-bench (release, scratch path $SCRATCH_PATH)"
swift build -c release --product queue-bench --scratch-path "$SCRATCH_PATH" 2>&1 | tail -n 1
bench_bin="$SCRATCH_PATH/release/queue-bench"

start_throwaway_redis
url="redis://127.0.0.1:$port/0"
echo "==> redis-server $(redis-server --version | awk '{print $3}') on port $port; $JOBS no-op jobs, concurrency $CONCURRENCY"

echo "==> ours (Swift, Shared/Queue)"
read -r o_add o_proc o_total < <("$bench_bin" bench --redis "$url" --jobs "$JOBS" --concurrency "$CONCURRENCY" --quiet)
echo "    add $o_add/s, process $o_proc/s, total $o_total/s"
echo "==> Python bullmq $(python3 -c 'import importlib.metadata as m; print(m.version("bullmq"))')"
read -r p_add p_proc p_total < <(python3 Benchmarks/QueueBench/bullmq_bench.py --redis "$url" --jobs "$JOBS" --concurrency "$CONCURRENCY" --quiet)
echo "    add $p_add/s, process $p_proc/s, total $p_total/s"

echo
printf '%-10s %16s %16s %8s\n' "jobs/s" "python bullmq" "ours" "ratio"
for row in "add $p_add $o_add" "process $p_proc $o_proc" "total $p_total $o_total"; do
    read -r what p o <<<"$row"
    ratio=$(awk -v o="$o" -v p="$p" 'BEGIN { if (p > 0) printf "%.1fx", o / p; else print "n/a" }')
    printf '%-10s %16s %16s %8s\n' "$what" "$p" "$o" "$ratio"
done
