#!/usr/bin/env bash
# Installs the Debian packages TrustTrade needs to build, test and run
# locally, but only those that are missing, so repeated runs take no time.
#
#   redis-server, redis-tools  local Redis for `make run` / `make test`
#   libhiredis-dev, pkg-config C client linked by Shared/CHiredis
#   postgresql                 only if no PostgreSQL server binaries are found
#   postgresql-contrib         if the server lacks pg_trgm/earthdistance/btree_gist
#   libvips-dev                images in the file service (a C library, through Shared/VipsShim)
#   clamav-daemon              the file service's virus scanner (clamd)
#   docker-compose             only to validate docker-compose.yml offline (`docker-compose config`)
#
#   wrk, nginx-light           only with `bench` (scripts/bench-gateway.sh)
#
# Swift and Python are expected to be on the machine already.
#
#   scripts/install-deps.sh          # build, test, run
#   scripts/install-deps.sh bench    # also the benchmark tools
set -euo pipefail

missing=()

need_cmd() { # need_cmd <command> <debian package>
    command -v "$1" >/dev/null 2>&1 || missing+=("$2")
}
need_pkg() { # need_pkg <debian package>
    dpkg -s "$1" 2>/dev/null | grep -q '^Status: install ok installed' || missing+=("$1")
}

need_cmd redis-server redis-server
need_cmd redis-cli redis-tools
need_cmd pkg-config pkg-config
need_pkg libhiredis-dev
need_cmd curl curl
need_cmd psql postgresql-client
need_cmd openssl openssl
need_pkg libvips-dev
need_pkg clamav-daemon
need_cmd docker-compose docker-compose

if [ "${1:-}" = bench ]; then
    need_cmd wrk wrk
    need_cmd nginx nginx-light
fi

have_pg_server=no
for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && have_pg_server=yes
done
command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1 && have_pg_server=yes
[ "$have_pg_server" = yes ] || missing+=(postgresql)
# The core service's search and booking constraints use contrib extensions
# (pg_trgm, earthdistance + cube, btree_gist): part of Debian's postgresql-15,
# a separate package elsewhere.
if [ "$have_pg_server" = yes ] && ! ls /usr/share/postgresql/*/extension/earthdistance.control >/dev/null 2>&1; then
    missing+=(postgresql-contrib)
fi

# De-duplicate.
if [ "${#missing[@]}" -gt 0 ]; then
    mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
fi

if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi

echo "install-deps: installing missing Debian packages: ${missing[*]}"

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo)
    else
        echo "install-deps: not root and no sudo; please install: ${missing[*]}" >&2
        exit 1
    fi
fi

# Keep the packages' maintainer scripts from starting system-wide daemons
# (a Debian redis-server would otherwise grab :6379 that `make run` wants).
# policy-rc.d exit code 101 = "action forbidden"; only add one if none exists.
policy=/usr/sbin/policy-rc.d
added_policy=no
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee "$policy" >/dev/null
    "${SUDO[@]}" chmod 755 "$policy"
    added_policy=yes
fi
cleanup_policy() {
    if [ "$added_policy" = yes ]; then "${SUDO[@]}" rm -f "$policy"; fi
}
trap cleanup_policy EXIT

export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -q
"${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"

# If a package's daemon got started anyway (e.g. under systemd), stop it so it
# does not hold the default ports; our scripts start their own servers.
for unit in redis-server postgresql nginx-light; do
    case " ${missing[*]} " in
        *" $unit "*)
            if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "${unit%-light}" 2>/dev/null; then
                "${SUDO[@]}" systemctl disable --now "${unit%-light}" >/dev/null 2>&1 || true
            fi
            ;;
    esac
done

echo "install-deps: done"
