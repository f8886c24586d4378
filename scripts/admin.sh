#!/usr/bin/env bash
# `make admin EMAIL=...`: gives an account of the `make run` system the admin
# role (approving payouts, loans and claims, resolving disputes). The account
# registers first; its next login carries userType admin.
set -euo pipefail
cd "$(dirname "$0")/.."
email=${1:-}
[ -n "$email" ] || { echo "usage: make admin EMAIL=you@example.ph" >&2; exit 2; }
CONFIG=${CONFIG:-debug}
[ -f .data/ports.env ] || { echo "admin: start the system first (make run)" >&2; exit 1; }
eval "$(bash scripts/services.sh env "$(pwd)/.data" "$(sed -n 's/^PG_PORT=//p' .data/ports.env)" "$(sed -n 's/^REDIS_PORT=//p' .data/ports.env)")"
DATABASE_URL=$DATABASE_URL REDIS_URL=$REDIS_URL ".build/$CONFIG/auth-service" grant-admin "$email"
