"""Fixtures for the BullMQ interop proof: a Redis URL and the queue-bench binary.

REDIS_URL is used when set (make test provides one); otherwise a throwaway
redis-server is started on a free port. The queue-bench binary is found through
QUEUE_BENCH (a path), TRUSTTRADE_BIN (a folder), or .build/debug/queue-bench.
"""
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.fixture(scope="session")
def redis_url():
    url = os.environ.get("REDIS_URL")
    if url:
        yield url
        return
    port = _free_port()
    tmp = tempfile.mkdtemp(prefix="interop-redis-")
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", tmp],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            break
        except OSError:
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    proc.kill()
    proc.wait()
    shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def queue_bench():
    candidates = []
    if os.environ.get("QUEUE_BENCH"):
        candidates.append(Path(os.environ["QUEUE_BENCH"]))
    if os.environ.get("TRUSTTRADE_BIN"):
        candidates.append(Path(os.environ["TRUSTTRADE_BIN"]) / "queue-bench")
    candidates += [ROOT / ".build" / "debug" / "queue-bench", ROOT / ".build" / "release" / "queue-bench"]
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return str(c)
    pytest.fail("queue-bench not found (build it: swift build --product queue-bench; or set QUEUE_BENCH / TRUSTTRADE_BIN)")
