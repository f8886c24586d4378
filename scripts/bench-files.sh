#!/usr/bin/env bash
# File uploads (`make bench-files`), release builds of the real services:
#   1. a 50 MB document uploaded through the gateway (auth → gateway → file
#      service → clamd → disk): the time, and the file service's memory
#      growth (peak RSS after − RSS before) next to the upload's size. Aim:
#      < 20 MB growth.
#   2. a 12-megapixel photo made into a clean original + WebP variants.
set -euo pipefail
SCRATCH_PATH=${SCRATCH_PATH:-.build}
cd "$(dirname "$0")/.."
root=$(pwd)
bash scripts/install-deps.sh
echo "==> building auth-service, file-service, gateway and file-bench (release)"
for product in auth-service file-service gateway file-bench; do
    swift build -c release --product "$product" --scratch-path "$SCRATCH_PATH" 2>&1 | tail -n 1
done
bin=$SCRATCH_PATH/release

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
tmp=$(mktemp -d /tmp/tt-bench-files.XXXXXX)
pg_port=$(free_port); redis_port=$(free_port); clamd_port=$(free_port)
auth_port=$(free_port); file_port=$(free_port); gateway_port=$(free_port)
pids=()
stop_all() {
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    bash scripts/clamd.sh stop "$tmp/clamd" || true
    bash scripts/services.sh stop "$tmp" "$pg_port" "$redis_port" >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap stop_all EXIT INT TERM
SERVICES_MODE=test bash scripts/services.sh start "$tmp" "$pg_port" "$redis_port" >/dev/null
eval "$(bash scripts/services.sh env "$tmp" "$pg_port" "$redis_port")"
bash scripts/clamd.sh start "$tmp/clamd" "$clamd_port"
wait_http() { for _ in $(seq 1 400); do curl -fsS -o /dev/null -m 1 "$1" 2>/dev/null && return 0; sleep 0.05; done; echo "$1 did not answer" >&2; exit 1; }
common=(DATABASE_URL="$DATABASE_URL" REDIS_URL="$REDIS_URL" LOG_LEVEL=warning)
env "${common[@]}" PORT="$auth_port" "$bin/auth-service" >"$tmp/auth.log" 2>&1 & pids+=($!)
wait_http "http://127.0.0.1:$auth_port/health"
jwks="http://127.0.0.1:$auth_port/v1/auth/.well-known/jwks.json"
env "${common[@]}" PORT="$file_port" AUTH_JWKS_URL="$jwks" CLAMD_PORT="$clamd_port" FILE_STORAGE_PATH="$tmp/files" FILE_TEMP_DIR="$tmp" \
    "$bin/file-service" >"$tmp/file.log" 2>&1 & file_pid=$!; pids+=($file_pid)
wait_http "http://127.0.0.1:$file_port/health"
env REDIS_URL="$REDIS_URL" LOG_LEVEL=warning PORT="$gateway_port" AUTH_JWKS_URL="$jwks" GATEWAY_UPSTREAM_AUTH="http://127.0.0.1:$auth_port" \
    GATEWAY_UPSTREAM_FILE="http://127.0.0.1:$file_port" GATEWAY_METRICS_PORT="$(free_port)" "$bin/gateway" >"$tmp/gateway.log" 2>&1 & pids+=($!)
wait_http "http://127.0.0.1:$gateway_port/health"

python3 - "$gateway_port" "$file_pid" <<'PY'
import http.client, json, os, sys, time, uuid
port, pid = int(sys.argv[1]), sys.argv[2]
def rss(field):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(field):
            return int(line.split()[1]) / 1024
def call(method, path, body, headers={}):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    c.request(method, path, json.dumps(body), {"Content-Type": "application/json", **headers})
    r = c.getresponse()
    return r.status, json.loads(r.read())
email = f"bench.{uuid.uuid4().hex[:8]}@example.ph"
call("POST", "/v1/auth/register", {"email": email, "password": "Bench-Password-12", "fullName": "Bench", "userType": "consumer"})
_, login = call("POST", "/v1/auth/login", {"email": email, "password": "Bench-Password-12"})
token = login["data"]["accessToken"]
boundary = "benchBoundary"
size = 50 * 1000 * 1000
head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nchat_attachment\r\n"
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"plans.pdf\"\r\n\r\n").encode() + b"%PDF-1.4\n"
tail = f"\r\n--{boundary}--\r\n".encode()
def body():
    yield head
    chunk = b"% TrustTrade benchmark filler line.\n" * 7000
    left = size - 9
    while left > 0:
        part = chunk[:left]
        left -= len(part)
        yield part
    yield tail
before = rss("VmRSS:")
start = time.perf_counter()
c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
c.putrequest("POST", "/v1/files/upload")
c.putheader("Authorization", "Bearer " + token)
c.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
c.putheader("Content-Length", str(len(head) + size - 9 + len(tail)))
c.endheaders()
for piece in body():
    c.send(piece)
r = c.getresponse()
answer = json.loads(r.read())
elapsed = time.perf_counter() - start
peak = rss("VmHWM:")
assert r.status == 201, answer
print(f"50 MB document through the gateway: {r.status} in {elapsed:.1f} s ({size / elapsed / 1e6:.1f} MB/s)")
print(f"file service memory: RSS {before:.1f} MB before, peak {peak:.1f} MB -> growth {peak - before:.1f} MB "
      f"(upload size {size / 1e6:.0f} MB; aim < 20 MB)")
PY
"$bin/file-bench"
