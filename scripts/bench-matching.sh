#!/usr/bin/env bash
# Matching latency (`make bench-matching`): 100,000 providers in the AI
# service's matching index (built in release), p50/p95/p99 of `recommend`
# for a mix of English and Filipino requests with and without place,
# category and budget, next to the same requests scored by a linear scan of
# every provider. Aim: p95 < 50 ms.
#
#   PROVIDERS=100000 scripts/bench-matching.sh
set -euo pipefail
PROVIDERS=${PROVIDERS:-100000}
SCRATCH_PATH=${SCRATCH_PATH:-.build}
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
echo "==> building matching-bench (release, scratch path $SCRATCH_PATH)"
swift build -c release --product matching-bench --scratch-path "$SCRATCH_PATH" 2>&1 | tail -n 1
"$SCRATCH_PATH/release/matching-bench" "$PROVIDERS"
