"""Test harness for the gateway's edge tests (request smuggling, limits).

* `RecordingUpstream`: a threaded HTTP/1.1 server that stands in for a
  service. It parses STRICTLY (request line, header fields, Content-Length or
  chunked body, keep-alive, pipelining); anything ambiguous is recorded as a
  protocol error and the connection is closed. Every request it parses is
  recorded (method, target, headers, body, TCP connection) and answered with
  a 200 JSON body naming it: `{"data":{"seen":"GET /v1/x","n":7,"conn":2,...}}`.
  A few targets make it misbehave on purpose (see `RecordingUpstream.on`).
* `Gateway`: the real gateway executable with a clean environment
  (no APP_ENV, no inherited GATEWAY_*), on free ports.
* `RawClient` and `parse_responses`: raw-socket HTTP/1.1, for the attack
  vectors (no HTTP library gets a chance to normalise anything).

Standard library only.
"""
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from conftest import BIN, free_port

TOKEN = rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
REQUEST_LINE = re.compile(rb"^(" + TOKEN + rb") ([\x21-\x7e]+) HTTP/1\.1$")
FIELD_LINE = re.compile(rb"^(" + TOKEN + rb"):[ \t]*(.*?)[ \t]*$", re.S)
# Field values: visible ASCII, obs-text, SP and HTAB inside; no other control bytes.
BAD_VALUE_BYTE = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
CHUNK_SIZE_LINE = re.compile(rb"^([0-9A-Fa-f]{1,16})((?:;" + TOKEN + rb"(?:=" + TOKEN + rb")?)*)$")
MAX_HEAD = 256 * 1024


class ProtocolError(Exception):
    pass


class _Incomplete(Exception):
    """The peer closed in the middle of a request."""


@dataclass
class Recorded:
    n: int
    conn: int
    index_on_conn: int
    method: str
    target: str
    headers: list  # [(name, value)] as received, str
    body: bytes
    framing: str  # "none" | "length" | "chunked"
    at: float = field(default_factory=time.monotonic)

    @property
    def seen(self):
        return f"{self.method} {self.target}"

    def header(self, name):
        """All values of a header, in order."""
        return [v for k, v in self.headers if k.lower() == name.lower()]


@dataclass
class Event:
    kind: str  # "protocol-error" | "incomplete" | "closed" | "opened"
    conn: int
    detail: str = ""
    data: bytes = b""
    at: float = field(default_factory=time.monotonic)


class _Reader:
    """Buffered reads from one socket; raises _Incomplete at EOF."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = bytearray()

    def fill(self):
        try:
            data = self.sock.recv(65536)
        except OSError:
            data = b""
        if not data:
            raise _Incomplete()
        self.buf += data

    def at_eof_between_requests(self):
        """True when the peer closed with nothing buffered."""
        if self.buf:
            return False
        try:
            data = self.sock.recv(65536)
        except OSError:
            return True
        if not data:
            return True
        self.buf += data
        return False

    def line(self, limit=MAX_HEAD):
        """One CRLF line; a bare LF or a CR not followed by LF is an error."""
        while True:
            i = self.buf.find(b"\n")
            if i >= 0:
                if i == 0 or self.buf[i - 1] != 0x0D:
                    raise ProtocolError(f"bare LF in line {bytes(self.buf[:i + 1])[:120]!r}")
                line = bytes(self.buf[:i - 1])
                del self.buf[:i + 1]
                if b"\r" in line:
                    raise ProtocolError(f"bare CR in line {line[:120]!r}")
                return line
            if len(self.buf) > limit:
                raise ProtocolError("line too long")
            self.fill()

    def exactly(self, n):
        while len(self.buf) < n:
            self.fill()
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out


def _parse_fields(reader, budget):
    """Header (or trailer) field lines up to the empty line."""
    fields = []
    while True:
        line = reader.line()
        budget -= len(line) + 2
        if budget < 0:
            raise ProtocolError("head too large")
        if line == b"":
            return fields
        if line[:1] in (b" ", b"\t"):
            raise ProtocolError(f"obs-fold {line[:80]!r}")
        m = FIELD_LINE.match(line)
        if not m:
            raise ProtocolError(f"malformed field line {line[:120]!r}")
        if BAD_VALUE_BYTE.search(m.group(2)):
            raise ProtocolError(f"control byte in field value {line[:120]!r}")
        fields.append((m.group(1).decode("latin-1"), m.group(2).decode("latin-1")))


def _values(fields, name):
    return [v for k, v in fields if k.lower() == name]


class RecordingUpstream:
    """A strict HTTP/1.1 server that records what it parses and answers each
    request with a 200 naming it. Start with `start()`, stop with `stop()`."""

    def __init__(self):
        self._lock = threading.Condition()
        self.requests = []
        self.events = []
        self._behaviours = []  # (substring of target, action)
        self._n = 0
        self._conn_ids = 0
        self._socks = {}
        self._mid_request = set()
        self._threads = []
        self._stopping = False
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(512)
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._acceptor = threading.Thread(target=self._accept_loop, name="recorder-accept", daemon=True)

    # -- control ---------------------------------------------------------

    def start(self):
        self._acceptor.start()
        return self

    def stop(self):
        with self._lock:
            self._stopping = True
            socks = list(self._socks.values())
        try:
            self.listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.listener.close()
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._acceptor.join(5)
        for t in list(self._threads):
            t.join(5)

    def on(self, target_contains, action):
        """Misbehave for targets containing `target_contains`:
        * "early": answer right after the head, before reading the body (then read it);
        * "hang": never answer (the body is still read);
        * bytes: write these raw bytes instead of a proper answer, keep the connection open;
        * ("raw-close", bytes): write them, then close."""
        with self._lock:
            self._behaviours.append((target_contains, action))

    def reset(self):
        with self._lock:
            self.requests = []
            self.events = []

    def snapshot(self):
        with self._lock:
            return list(self.requests), list(self.events)

    def wait_for(self, predicate, timeout=5.0):
        """Waits until predicate(requests, events) is true; returns it."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                result = predicate(self.requests, self.events)
                if result:
                    return result
                left = deadline - time.monotonic()
                if left <= 0:
                    return result
                self._lock.wait(left)

    def service_requests(self):
        """What clients caused: everything but the gateway's own GET /health probes."""
        with self._lock:
            return [r for r in self.requests if not (r.method == "GET" and r.target == "/health")]

    def protocol_errors(self):
        with self._lock:
            return [e for e in self.events if e.kind == "protocol-error"]

    def mid_request(self):
        """Connections in the middle of a request (its first bytes came, its answer did not go)."""
        with self._lock:
            return set(self._mid_request)

    def open_connections(self):
        with self._lock:
            return set(self._socks)

    # -- server ----------------------------------------------------------

    def _accept_loop(self):
        while True:
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return
            with self._lock:
                if self._stopping:
                    sock.close()
                    return
                self._conn_ids += 1
                cid = self._conn_ids
                self._socks[cid] = sock
                self.events.append(Event("opened", cid))
                self._lock.notify_all()
            t = threading.Thread(target=self._serve, args=(sock, cid), name=f"recorder-{cid}", daemon=True)
            self._threads = [x for x in self._threads if x.is_alive()]
            self._threads.append(t)
            t.start()

    def _event(self, kind, cid, detail="", data=b""):
        with self._lock:
            self.events.append(Event(kind, cid, detail, data))
            self._lock.notify_all()

    def _behaviour(self, target):
        with self._lock:
            for needle, action in self._behaviours:
                if needle in target:
                    return action
        return None

    def _serve(self, sock, cid):
        reader = _Reader(sock)
        index = 0
        try:
            while True:
                if reader.at_eof_between_requests():
                    break
                with self._lock:
                    self._mid_request.add(cid)
                close = self._one(reader, sock, cid, index)
                with self._lock:
                    self._mid_request.discard(cid)
                    self._lock.notify_all()
                index += 1
                if close:
                    break
        except ProtocolError as e:
            self._event("protocol-error", cid, str(e), bytes(reader.buf[:2000]))
        except _Incomplete:
            self._event("incomplete", cid, "peer closed mid-request", bytes(reader.buf[:2000]))
        except OSError as e:
            self._event("incomplete", cid, f"socket error {e}")
        finally:
            try:
                sock.close()
            except OSError:
                pass
            with self._lock:
                self._socks.pop(cid, None)
                self._mid_request.discard(cid)
                self.events.append(Event("closed", cid))
                self._lock.notify_all()

    def _one(self, reader, sock, cid, index):
        """Parses and answers one request; True when the connection should close."""
        line = reader.line()
        m = REQUEST_LINE.match(line)
        if not m:
            raise ProtocolError(f"malformed request line {line[:200]!r}")
        method, target = m.group(1).decode(), m.group(2).decode("latin-1")
        fields = _parse_fields(reader, MAX_HEAD)
        hosts = _values(fields, "host")
        if len(hosts) != 1:
            raise ProtocolError(f"{len(hosts)} Host fields")
        te = _values(fields, "transfer-encoding")
        cl = _values(fields, "content-length")
        if te and cl:
            raise ProtocolError(f"Transfer-Encoding {te} with Content-Length {cl}")
        if len(te) > 1 or (te and te[0].lower() != "chunked"):
            raise ProtocolError(f"Transfer-Encoding {te}")
        if len(cl) > 1:
            raise ProtocolError(f"several Content-Length fields {cl}")
        if cl and not re.fullmatch(r"[0-9]{1,15}", cl[0]):
            raise ProtocolError(f"Content-Length {cl[0]!r}")
        behaviour = self._behaviour(target)
        n = None
        if behaviour == "early":
            n = self._next_n()
            self._answer(sock, method, target, n, cid, b"", close=False)
        if te:
            framing, body = "chunked", self._chunked(reader)
        elif cl:
            framing, body = "length", reader.exactly(int(cl[0]))
        else:
            framing, body = "none", b""
        connection = ",".join(_values(fields, "connection")).lower()
        close = "close" in [t.strip() for t in connection.split(",")]
        if n is None:
            n = self._next_n()
        with self._lock:
            self.requests.append(Recorded(n, cid, index, method, target, fields, body, framing))
            self._lock.notify_all()
        if behaviour == "early":
            return close
        if behaviour == "hang":
            # Keep reading (so the close of the peer is seen) but never answer.
            while not reader.at_eof_between_requests():
                reader.fill()
            return True
        if isinstance(behaviour, bytes):
            sock.sendall(behaviour)
            return close
        if isinstance(behaviour, tuple) and behaviour[0] == "raw-close":
            sock.sendall(behaviour[1])
            return True
        self._answer(sock, method, target, n, cid, body, close)
        return close

    def _next_n(self):
        with self._lock:
            self._n += 1
            return self._n

    def _chunked(self, reader):
        body = bytearray()
        while True:
            line = reader.line()
            m = CHUNK_SIZE_LINE.match(line)
            if not m:
                raise ProtocolError(f"malformed chunk size line {line[:80]!r}")
            size = int(m.group(1), 16)
            if size == 0:
                _parse_fields(reader, MAX_HEAD)  # trailer section, strictly
                return bytes(body)
            body += reader.exactly(size)
            if reader.exactly(2) != b"\r\n":
                raise ProtocolError("chunk data not followed by CRLF")

    def _answer(self, sock, method, target, n, cid, body, close):
        payload = json.dumps({"data": {"seen": f"{method} {target}", "n": n, "conn": cid, "bodyLength": len(body)}}).encode()
        head = (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
                + ("Connection: close\r\n" if close else "") + "\r\n").encode()
        sock.sendall(head if method == "HEAD" else head + payload)


# -- the gateway --------------------------------------------------------------


class Gateway:
    """The real gateway executable on a free port, with a clean environment:
    APP_ENV and every inherited GATEWAY_* are removed, then `env` applied."""

    def __init__(self, log_dir, env, name="gateway"):
        self.port = free_port()
        self.metrics_port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        full = {k: v for k, v in os.environ.items() if k != "APP_ENV" and not k.startswith("GATEWAY_")}
        full.update({
            "LOG_LEVEL": "warning",
            "AUTH_JWKS_URL": f"http://127.0.0.1:{free_port()}/v1/auth/.well-known/jwks.json",
            "GATEWAY_METRICS_PORT": str(self.metrics_port),
        })
        full.update(env)
        full["PORT"] = str(self.port)
        self.env = full
        self.log_path = Path(log_dir) / f"{name}-{self.port}.log"
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen([str(BIN / "gateway")], env=full, stdout=self._log, stderr=subprocess.STDOUT)

    def log_tail(self, n=3000):
        try:
            return self.log_path.read_text()[-n:]
        except OSError:
            return ""

    def exit_reason(self):
        """The crash message in the log (Swift's `Fatal error: ...` line), or its tail."""
        try:
            text = self.log_path.read_text()
        except OSError:
            return ""
        fatal = [line for line in text.splitlines() if "Fatal error" in line or "Program crashed" in line]
        return " | ".join(fatal[:3]) if fatal else text[-800:]

    def wait_healthy(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gateway exited with {self.proc.returncode}: {self.log_tail()}")
            try:
                with RawClient(self.port, timeout=2) as c:
                    c.send(b"GET /health HTTP/1.1\r\nHost: gw\r\n\r\n")
                    if c.read_response().status == 200:
                        return self
            except (OSError, ProtocolError, TimeoutError):
                pass
            time.sleep(0.05)
        raise RuntimeError(f"gateway not healthy: {self.log_tail()}")

    def stop(self, timeout=20):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return self.proc.returncode


def redis_db_url(base_url, db):
    return base_url.rsplit("/", 1)[0] + f"/{db}"


# -- raw client ---------------------------------------------------------------


@dataclass
class Response:
    status: int
    reason: str
    headers: list
    body: bytes
    raw: bytes

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"<Response {self.status} {self.raw[:600]!r}>"


def parse_one_response(buf, head_request=False, at_eof=False):
    """(Response, rest) or None when `buf` does not hold a whole response yet.
    Raises ProtocolError when it cannot be one."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        if at_eof and buf:
            raise ProtocolError(f"truncated response head {bytes(buf[:300])!r}")
        return None
    head = bytes(buf[:end]).split(b"\r\n")
    m = re.match(rb"^HTTP/1\.[01] (\d{3}) ?(.*)$", head[0])
    if not m:
        raise ProtocolError(f"bad status line {head[0][:200]!r}")
    status = int(m.group(1))
    headers = []
    for line in head[1:]:
        name, sep, value = line.partition(b":")
        if not sep:
            raise ProtocolError(f"bad response field {line[:200]!r}")
        headers.append((name.decode("latin-1"), value.strip().decode("latin-1")))
    rest = bytes(buf[end + 4:])
    lower = {k.lower(): v for k, v in headers}
    if head_request or status < 200 or status in (204, 304):
        body = b""
    elif lower.get("transfer-encoding", "").lower() == "chunked":
        body, pos = bytearray(), 0
        while True:
            nl = rest.find(b"\r\n", pos)
            if nl < 0:
                if at_eof:
                    raise ProtocolError("truncated chunked response")
                return None
            size = int(rest[pos:nl].split(b";")[0], 16)
            if len(rest) < nl + 2 + size + 2:
                if at_eof:
                    raise ProtocolError("truncated chunked response")
                return None
            body += rest[nl + 2:nl + 2 + size]
            pos = nl + 2 + size + 2
            if size == 0:
                # No trailers expected from the gateway.
                break
        raw_len = end + 4 + pos
        return Response(status, m.group(2).decode("latin-1"), headers, bytes(body), bytes(buf[:raw_len])), bytes(buf[raw_len:])
    elif "content-length" in lower:
        n = int(lower["content-length"])
        if len(rest) < n:
            if at_eof:
                raise ProtocolError(f"truncated response body ({len(rest)} of {n})")
            return None
        body, rest = rest[:n], rest[n:]
    else:
        if not at_eof:
            return None
        body, rest = rest, b""
    raw = bytes(buf[:len(buf) - len(rest)])
    return Response(status, m.group(2).decode("latin-1"), headers, body, raw), rest


def parse_responses(data, head_flags=()):
    """Every whole response in `data` (read to EOF); the HEAD flags say which
    requests, in order, were HEAD (their answers have no body)."""
    out, rest, i = [], bytes(data), 0
    while rest:
        head_request = i < len(head_flags) and head_flags[i]
        parsed = parse_one_response(rest, head_request, at_eof=True)
        if parsed is None:
            break
        response, rest = parsed
        out.append(response)
        i += 1
    return out


class RawClient:
    """One TCP connection, bytes in and out."""

    def __init__(self, port, timeout=5.0, host="127.0.0.1", source=None):
        """`source`: the local address to connect from (any 127.x.y.z is this host)."""
        self.sock = socket.create_connection((host, port), timeout=timeout,
                                             source_address=(source, 0) if source else None)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.timeout = timeout
        self.buf = b""
        self.eof = False
        self.reset = False
        self.send_failed = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, data):
        """Sends it all; False (instead of raising) if the peer already closed."""
        try:
            self.sock.sendall(data)
            return True
        except (BrokenPipeError, ConnectionResetError):
            self.send_failed = True
            return False

    def _recv(self, deadline):
        """One read into buf; False at deadline; sets eof on close/reset."""
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        # A socket timeout, not select(): tests hold thousands of descriptors.
        self.sock.settimeout(left)
        try:
            data = self.sock.recv(65536)
        except (socket.timeout, BlockingIOError):
            return False
        except ConnectionResetError:
            self.eof = self.reset = True
            return True
        except OSError:
            self.eof = True
            return True
        if not data:
            self.eof = True
        self.buf += data
        return True

    def read_response(self, head_request=False, timeout=None):
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            parsed = parse_one_response(self.buf, head_request, at_eof=self.eof)
            if parsed is not None:
                response, self.buf = parsed
                return response
            if self.eof:
                raise ConnectionError(f"closed before a whole response; got {self.buf[:300]!r}")
            if not self._recv(deadline):
                raise TimeoutError(f"no whole response in time; got {self.buf[:300]!r}")

    def read_until_closed(self, timeout):
        """Reads to EOF; returns (bytes read, closed?)."""
        deadline = time.monotonic() + timeout
        while not self.eof:
            if not self._recv(deadline):
                break
        data, self.buf = self.buf, b""
        return data, self.eof

    def wait_closed(self, timeout):
        """True when the peer closes (EOF or reset) within `timeout`; data read meanwhile stays in buf."""
        deadline = time.monotonic() + timeout
        while not self.eof:
            if not self._recv(deadline):
                return False
        return True


def http_get(port, target, headers=(), timeout=5.0):
    """One GET over a fresh raw connection (for the harness, not for attacks)."""
    extra = "".join(f"{k}: {v}\r\n" for k, v in headers)
    with RawClient(port, timeout=timeout) as c:
        c.send(f"GET {target} HTTP/1.1\r\nHost: gw\r\n{extra}Connection: close\r\n\r\n".encode())
        return c.read_response()


def nonce():
    return uuid.uuid4().hex[:12]


def is_error_envelope(response):
    """The gateway's own 4xx/5xx answers: {"error":{"code","message"},"meta":{"requestId"}}."""
    try:
        doc = response.json()
    except ValueError:
        return False
    return (isinstance(doc, dict) and isinstance(doc.get("error"), dict)
            and isinstance(doc["error"].get("code"), str) and isinstance(doc["error"].get("message"), str)
            and isinstance(doc.get("meta"), dict) and isinstance(doc["meta"].get("requestId"), str))
