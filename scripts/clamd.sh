#!/usr/bin/env bash
# clamd for `make run` and `make test`, without internet: its database folder
# holds only our small signature file (Services/File/clamav/*.hdb, the EICAR
# test file's MD5), which is enough for clamd to start and to find EICAR,
# also inside zips and docx files. Production runs clamd with freshclam's
# databases instead.
#
#   scripts/clamd.sh start <datadir> <port>   (waits until it answers PONG)
#   scripts/clamd.sh stop  <datadir>
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
cmd=${1:?start|stop}
dir=${2:?datadir}
clamd_bin=$(command -v clamd || echo /usr/sbin/clamd)

ping_clamd() {
    python3 - "$1" <<'PY' 2>/dev/null
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
s.sendall(b"zPING\0")
sys.exit(0 if s.recv(16).startswith(b"PONG") else 1)
PY
}

case "$cmd" in
start)
    port=${3:?port}
    mkdir -p "$dir/db"
    cp "$root"/Services/File/clamav/*.hdb "$dir/db/"
    cat > "$dir/clamd.conf" <<CONF
TCPSocket $port
TCPAddr 127.0.0.1
DatabaseDirectory $dir/db
LogFile $dir/clamd.log
PidFile $dir/clamd.pid
Foreground no
StreamMaxLength 60M
MaxFileSize 60M
MaxScanSize 200M
CONF
    "$clamd_bin" -c "$dir/clamd.conf"
    for _ in $(seq 1 120); do
        ping_clamd "$port" && { echo "clamd: ready on 127.0.0.1:$port"; exit 0; }
        sleep 0.5
    done
    echo "clamd: did not answer (see $dir/clamd.log)" >&2
    exit 1
    ;;
stop)
    if [ -f "$dir/clamd.pid" ]; then
        kill "$(cat "$dir/clamd.pid")" 2>/dev/null || true
        rm -f "$dir/clamd.pid"
    fi
    ;;
*) echo "usage: $0 start|stop <datadir> [port]" >&2; exit 2 ;;
esac
