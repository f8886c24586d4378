#!/usr/bin/env bash
# Provider search against PostgreSQL (`make bench-search`): seeds 100,000
# providers over Metro Manila, Cebu and Davao into a throwaway PostgreSQL,
# runs a mixed set of searches (text + category + 10 km + trust sort, typos,
# pins, filters, sorts) with the Redis cache off, one at a time, and prints
# p50/p95/p99 per search and overall, next to the same mix with index scans
# turned off (what the indexes are worth on this machine). Aim: p95 < 20 ms.
#
#   PROVIDERS=100000 QUERIES=2000 scripts/bench-search.sh
#   SCRATCH_PATH=.build-bench scripts/bench-search.sh
set -euo pipefail

PROVIDERS=${PROVIDERS:-100000}
QUERIES=${QUERIES:-2000}
REFERENCE_QUERIES=${REFERENCE_QUERIES:-60}
SCRATCH_PATH=${SCRATCH_PATH:-.build}

cd "$(dirname "$0")/.."
bash scripts/install-deps.sh

echo "==> building search-bench (release, scratch path $SCRATCH_PATH)"
swift build -c release --product search-bench --scratch-path "$SCRATCH_PATH" 2>&1 | tail -n 1

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
data=$(mktemp -d /tmp/tt-bench-search.XXXXXX)
pg_port=$(free_port)
redis_port=$(free_port)
stop_all() {
    bash scripts/services.sh stop "$data" "$pg_port" "$redis_port" >/dev/null 2>&1 || true
    rm -rf "$data"
}
trap stop_all EXIT

echo "==> throwaway PostgreSQL on :$pg_port"
SERVICES_MODE=test bash scripts/services.sh start "$data" "$pg_port" "$redis_port" >/dev/null
psql -q -h 127.0.0.1 -p "$pg_port" -U postgres -c "CREATE DATABASE bench_search"

"$SCRATCH_PATH/release/search-bench" \
    --database-url "postgres://postgres@127.0.0.1:$pg_port/bench_search" \
    --providers "$PROVIDERS" --queries "$QUERIES" --reference-queries "$REFERENCE_QUERIES"
