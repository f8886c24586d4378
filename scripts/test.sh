#!/usr/bin/env bash
# `make test`: throwaway PostgreSQL + Redis on free ports in a temp folder,
# then `swift build --build-tests` and `swift test`. Servers and folder are
# removed on exit, whatever happens (failure, Ctrl-C, TERM).
#
# Environment:
#   TEST_FILTER=<regex>   passed to `swift test --filter`
#   TEST_PARALLEL=0       run `swift test` without --parallel
#   TEST_WORKERS=N        --num-workers for the parallel run (default 2)
#   SWIFTPM_FLAGS="..."   extra flags for both swift build and swift test
#                         (e.g. "--scratch-path .build-ci")
# Tests get DATABASE_URL (they create their own databases from it) and
# REDIS_URL (they use their own db numbers / key prefixes).
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)

bash scripts/install-deps.sh
bash scripts/install-python-test-deps.sh

# What users deploy with: Kubernetes manifests (generated, schema-valid, both
# overlays) and the compose file.
python3 scripts/validate-deploy.py

# Two free TCP ports on 127.0.0.1 (bound together so they differ).
free_ports() {
    if command -v python3 >/dev/null 2>&1; then
        python3 - <<'PY'
import socket
socks = []
for _ in range(2):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
    else
        local p found=()
        for p in $(seq 20000 60000 | shuf); do
            if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
                found+=("$p")
                [ "${#found[@]}" -eq 2 ] && break
            fi
        done
        echo "${found[*]}"
    fi
}
read -r PG_PORT REDIS_PORT < <(free_ports)
read -r CLAMD_PORT S3_PORT < <(free_ports)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/trusttrade-test.XXXXXX")

cleaned=no
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [ "$cleaned" = no ]; then
        cleaned=yes
        echo "== test: stopping PostgreSQL and Redis, removing $tmp"
        bash "$root/scripts/services.sh" clean "$tmp" "$PG_PORT" "$REDIS_PORT" || true
        bash "$root/scripts/clamd.sh" stop "$tmp/clamd" || true
        [ -n "${moto_pid:-}" ] && kill "$moto_pid" 2>/dev/null || true
        rm -rf "$tmp"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "== test: PostgreSQL on 127.0.0.1:$PG_PORT, Redis on 127.0.0.1:$REDIS_PORT, data in $tmp"
SERVICES_MODE="test" bash scripts/services.sh start "$tmp" "$PG_PORT" "$REDIS_PORT"
eval "$(bash scripts/services.sh env "$tmp" "$PG_PORT" "$REDIS_PORT")"
export DATABASE_URL REDIS_URL
# The file service's virus scanner, with our EICAR-only signature file.
bash scripts/clamd.sh start "$tmp/clamd" "$CLAMD_PORT"
export CLAMD_PORT
# An S3-compatible server for the file service's S3 storage (moto, from PyPI).
python3 -m moto.server -H 127.0.0.1 -p "$S3_PORT" >"$tmp/moto.log" 2>&1 &
moto_pid=$!
for _ in $(seq 1 60); do curl -fsS -o /dev/null "http://127.0.0.1:$S3_PORT/" 2>/dev/null && break; sleep 0.25; done
export S3_TEST_ENDPOINT="http://127.0.0.1:$S3_PORT"
echo "== test: clamd on 127.0.0.1:$CLAMD_PORT, S3 (moto) on $S3_TEST_ENDPOINT"
echo "== test: DATABASE_URL=$DATABASE_URL"
echo "== test: REDIS_URL=$REDIS_URL"

# A test-only hook: run something else instead of swift (used to check this
# script's own start/stop/cleanup without a Swift build).
if [ -n "${TEST_COMMAND:-}" ]; then
    echo "== test: running TEST_COMMAND: $TEST_COMMAND"
    set +e
    bash -c "$TEST_COMMAND"
    rc=$?
    set -e
    exit "$rc"
fi

# shellcheck disable=SC2206
spm_flags=(${SWIFTPM_FLAGS:-})
filter=()
if [ -n "${TEST_FILTER:-}" ]; then
    filter=(--filter "$TEST_FILTER")
fi

echo "== test: swift build --build-tests"
swift build --build-tests "${spm_flags[@]}"

log=$tmp/swift-test.log
rc=0
if [ "${TEST_PARALLEL:-1}" != 0 ]; then
    echo "== test: swift test --parallel --num-workers ${TEST_WORKERS:-2} ${filter[*]}"
    set +e
    swift test --skip-build --parallel --num-workers "${TEST_WORKERS:-2}" --xunit-output "$tmp/swift-xunit.xml" "${spm_flags[@]}" "${filter[@]}" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    set -e
    # If the parallel runner itself broke (it crashed or ran nothing) rather
    # than a test failing, run the suite again the plain way.
    if [ "$rc" -ne 0 ] && ! grep -Eq \
        'error: -\[|: error: |failed \(|recorded an issue|Test run with .* failed|Executed .* with [1-9][0-9]* failures?' "$log"; then
        echo "== test: the parallel runner failed without a test failure; rerunning with plain swift test"
        rc=0
        swift test --skip-build "${spm_flags[@]}" "${filter[@]}" || rc=$?
    fi
else
    echo "== test: swift test ${filter[*]}"
    swift test --skip-build "${spm_flags[@]}" "${filter[@]}" || rc=$?
fi

echo "== test: swift test exited with $rc"

# System tests: the real executables on free ports, driven over HTTP.
sys_rc=0
if [ -z "${TEST_FILTER:-}" ] || [ "${TEST_FILTER}" = System ]; then
    # One pytest run per folder: each has its own conftest.
    for suite in Tests/System Tests/Interop; do
        [ -d "$suite" ] || continue
        echo "== test: $suite (pytest)"
        python3 -m pytest "$suite" -q -p no:cacheprovider --junitxml "$tmp/$(basename "$suite")-junit.xml" || sys_rc=$?
    done
fi

# One closing line for the whole run, counted from the runners' reports.
python3 - "$tmp" <<'PY' || true
import sys, glob, xml.etree.ElementTree as ET
tests = failures = skipped = 0
for path in glob.glob(sys.argv[1] + "/*.xml"):
    root = ET.parse(path).getroot()
    for suite in ([root] if root.tag == "testsuite" else root.iter("testsuite")):
        tests += int(suite.get("tests", 0))
        failures += int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        skipped += int(suite.get("skipped", 0))
if tests:
    print(f"tests: {tests - failures - skipped} passed, {failures} failed, {skipped} skipped")
PY

[ "$rc" -ne 0 ] && exit "$rc"
exit "$sys_rc"
