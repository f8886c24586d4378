"""Request smuggling at the gateway (RFC 9112 §6–7), attacked over raw sockets.

The real gateway runs in front of a strict recording upstream (it stands in
for the core, payment and auth services). For every vector we check:
  * what the client gets (status, JSON error envelope, connection closed);
  * that the upstream saw exactly the requests the client was allowed to send,
    with their bodies intact and explicitly framed — never `/metrics`, never
    anything hidden in a body;
  * that the next clients (fresh sockets, spread over every event loop and so
    over every pool of upstream connections) each get their own answer.

The bug this guards against: a GET with `Transfer-Encoding: chunked` whose
chunk held `GET /metrics HTTP/1.1 ...` had its body written raw onto a pooled
upstream connection, so the service answered a `/metrics` the gateway never
routes (and the next client got that answer).
"""
import os
from dataclasses import dataclass, field

import pytest

from recording_upstream import Gateway, RawClient, RecordingUpstream, is_error_envelope, nonce, parse_responses, redis_db_url

REDIS_DB = 26
HOST = b"Host: gw.example\r\n"
# Requests an attacker hides in a body; none may ever reach an upstream.
SMUGGLED_METRICS = b"GET /metrics HTTP/1.1\r\nHost: core\r\n\r\n"
SMUGGLED_INTERNAL = b"GET /internal/users/smuggled HTTP/1.1\r\nHost: core\r\n\r\n"
SMUGGLED_POST = b"POST /internal/smuggled HTTP/1.1\r\nHost: core\r\nContent-Length: 5\r\n\r\nxxxxx"
FORBIDDEN = ("/metrics", "/internal", "smuggled")
# Fresh connections after each vector: one more than the gateway has event
# loops (one pool of upstream connections per loop; new connections go round).
PROBES = min(len(os.sched_getaffinity(0)), 8) + 1
CLOSE_WAIT = 2.0


@pytest.fixture(scope="module")
def recorder():
    r = RecordingUpstream().start()
    r.on("early-answer", "early")
    yield r
    r.stop()


@pytest.fixture(scope="module")
def gateway(recorder, redis_url, log_dir):
    gw = Gateway(log_dir, {
        "REDIS_URL": redis_db_url(redis_url, REDIS_DB),
        "GATEWAY_UPSTREAM_CORE": recorder.url,
        "GATEWAY_UPSTREAM_PAYMENT": recorder.url,
        "GATEWAY_UPSTREAM_AUTH": recorder.url,
        "GATEWAY_RATE_LIMIT_GENERAL": "1000000",
        "GATEWAY_RATE_LIMIT_AUTH": "1000000",
        "GATEWAY_RATE_LIMIT_SEARCH": "1000000",
        "GATEWAY_UPSTREAM_TIMEOUT_MS": "5000",
    }, name="gateway-smuggling")
    try:
        gw.wait_healthy()
    except Exception:
        gw.stop()
        raise
    yield gw
    rc = gw.stop()
    assert rc == 0, f"gateway exited with {rc} on SIGTERM: {gw.exit_reason()}"


# -- building raw requests ---------------------------------------------------------


def raw(method, target, *lines, body=b""):
    """A request head with the given field lines (bytes, written as they are, each
    followed by CRLF unless it already ends in LF), then the body."""
    head = f"{method} {target} HTTP/1.1\r\n".encode() + HOST
    for line in lines:
        head += line if line.endswith(b"\n") else line + b"\r\n"
    return head + b"\r\n" + body


def chunk(data):
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


LAST = b"0\r\n\r\n"
WEBHOOK = "/v1/payments/webhook"
JSON_BODY = b'{"type":"payment.paid","id":"evt_1"}'


def cl(n):
    return f"Content-Length: {n}".encode()


# -- vectors -------------------------------------------------------------------------

@dataclass
class Vector:
    id: str
    raw: bytes
    # Expected status of each answer, in order (a set: any of these).
    statuses: list
    # (method, target, body) the upstream must see, in order.
    forwarded: list = field(default_factory=list)
    # "must": the gateway closes the connection after the last answer;
    # "may": it may keep it (then a follow-up request on it must get its own answer).
    close: str = "may"
    # The last expected answer may be missing if the connection is closed instead
    # (errors found mid-body, after the head may already have gone upstream).
    silent_close_ok: bool = False
    heads: tuple = ()
    service: str = "core"
    # Another acceptable outcome (a Vector), chosen when the first answer is 2xx.
    otherwise: "Vector" = None


def refused(id, data, statuses=(400,), close="must", **kw):
    return Vector(id, data, [set(statuses)], close=close, **kw)


def webhook(id):
    return f"{WEBHOOK}?vector={id}"


def post(id, *lines, body=b""):
    return raw("POST", webhook(id), *lines, body=body)


def te_post(id, te_line, statuses=(400, 501)):
    """A POST whose only framing is an obfuscated Transfer-Encoding; a smuggled
    request follows the chunked terminator."""
    body = chunk(JSON_BODY) + LAST + SMUGGLED_INTERNAL
    return refused(id, post(id, te_line, body=body), statuses=statuses, service="payment")


def allowed_post(id, *lines, body, expected_body):
    return Vector(id, post(id, *lines, body=body), [{200}], forwarded=[("POST", webhook(id), expected_body)], service="payment")


def chunk_trick(id, body):
    return Vector(id, post(id, b"Transfer-Encoding: chunked", body=body), [{400}], close="must",
                  silent_close_ok=True, service="payment")


BINARY = bytes(range(256)) * 4
ORIGINAL_CHUNK = chunk(SMUGGLED_METRICS)

VECTORS = [
    # --- the original exploit and bodies on methods that have none -------------------
    refused("original-exploit-get-chunked-smuggles-metrics",
            raw("GET", "/v1/categories", b"Transfer-Encoding: chunked", body=ORIGINAL_CHUNK + LAST)),
    refused("get-chunked-smuggles-internal-after-terminator",
            raw("GET", "/v1/categories", b"Transfer-Encoding: chunked", body=LAST + SMUGGLED_INTERNAL)),
    refused("get-content-length-body-smuggles-metrics",
            raw("GET", "/v1/categories", cl(len(SMUGGLED_METRICS)), body=SMUGGLED_METRICS), close="may"),
    refused("head-chunked-body", raw("HEAD", "/v1/categories", b"Transfer-Encoding: chunked", body=ORIGINAL_CHUNK + LAST),
            heads=(True,)),
    refused("head-content-length-body", raw("HEAD", "/v1/providers", cl(len(SMUGGLED_METRICS)), body=SMUGGLED_METRICS),
            close="may", heads=(True,)),
    refused("options-content-length-body", raw("OPTIONS", "/v1/categories", cl(len(SMUGGLED_METRICS)), body=SMUGGLED_METRICS),
            close="may"),
    refused("options-chunked-body", raw("OPTIONS", "/v1/categories", b"Transfer-Encoding: chunked", body=ORIGINAL_CHUNK + LAST)),
    refused("delete-chunked-body", raw("DELETE", "/v1/categories/x", b"Transfer-Encoding: chunked", body=ORIGINAL_CHUNK + LAST)),
    refused("delete-content-length-body", raw("DELETE", "/v1/categories/x", cl(len(SMUGGLED_METRICS)), body=SMUGGLED_METRICS),
            close="may"),
    refused("get-chunked-and-content-length",
            raw("GET", "/v1/categories", b"Content-Length: 0", b"Transfer-Encoding: chunked", body=ORIGINAL_CHUNK + LAST)),
    Vector("get-content-length-zero-is-fine", raw("GET", "/v1/categories/cl0", b"Content-Length: 0"), [{200}],
           forwarded=[("GET", "/v1/categories/cl0", b"")]),
    # --- CL.TE and TE.CL --------------------------------------------------------------
    refused("cl-te-post", post("cl-te", cl(len(LAST + SMUGGLED_POST)), b"Transfer-Encoding: chunked", body=LAST + SMUGGLED_POST),
            service="payment"),
    refused("te-cl-post", post("te-cl", b"Transfer-Encoding: chunked", b"Content-Length: 4",
                               body=chunk(SMUGGLED_POST) + LAST), service="payment"),
    refused("cl-te-obfuscated-te", post("cl-te-obf", cl(len(LAST + SMUGGLED_POST)), b"Transfer-Encoding: xchunked",
                                        body=LAST + SMUGGLED_POST), service="payment"),
    # --- TE.TE: obfuscated Transfer-Encoding --------------------------------------------
    te_post("te-chunked-identity", b"Transfer-Encoding: chunked, identity"),
    te_post("te-identity-chunked", b"Transfer-Encoding: identity, chunked"),
    te_post("te-chunked-chunked-list", b"Transfer-Encoding: chunked, chunked"),
    te_post("te-identity", b"Transfer-Encoding: identity"),
    te_post("te-xchunked", b"Transfer-Encoding: xchunked"),
    te_post("te-chunkedx", b"Transfer-Encoding: chunkedx"),
    te_post("te-quoted", b'Transfer-Encoding: "chunked"'),
    te_post("te-vertical-tab-before", b"Transfer-Encoding: \x0bchunked"),
    te_post("te-vertical-tab-after", b"Transfer-Encoding: chunked\x0b"),
    te_post("te-form-feed-before", b"Transfer-Encoding:\x0cchunked"),
    te_post("te-nul-after", b"Transfer-Encoding: chunked\x00"),
    te_post("te-space-before-colon", b"Transfer-Encoding : chunked"),
    te_post("te-tab-before-colon", b"Transfer-Encoding\t: chunked"),
    te_post("te-obs-fold-value", b"Transfer-Encoding:\r\n chunked"),
    te_post("te-obs-fold-after-other-field", b"X-Pad: a\r\n\tTransfer-Encoding: chunked"),
    te_post("te-duplicate-headers", b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked"),
    te_post("te-duplicate-chunked-then-identity", b"Transfer-Encoding: chunked\r\nTransfer-Encoding: identity"),
    te_post("te-gzip", b"Transfer-Encoding: gzip"),
    te_post("te-compress", b"Transfer-Encoding: compress"),
    te_post("te-gzip-chunked", b"Transfer-Encoding: gzip, chunked"),
    # The coding name is case-insensitive (RFC 9112 §7): `Chunked` is chunked.
    allowed_post("te-mixed-case-chunked-is-valid", b"Transfer-Encoding: Chunked",
                 body=chunk(JSON_BODY[:10]) + chunk(JSON_BODY[10:]) + LAST, expected_body=JSON_BODY),
    # A horizontal tab is optional whitespace around a field value: either read as
    # chunked (body intact) or refused; never anything else.
    Vector("te-tab-ows-valid-or-refused", post("te-tab-ows", b"Transfer-Encoding:\tchunked\t", body=chunk(JSON_BODY) + LAST),
           [{400, 501}], close="must", service="payment",
           otherwise=Vector("", b"", [{200}], forwarded=[("POST", webhook("te-tab-ows"), JSON_BODY)], service="payment")),
    # --- Content-Length tricks --------------------------------------------------------------
    refused("cl-duplicate-different", post("cl-dup", b"Content-Length: 5", cl(len(SMUGGLED_POST)), body=SMUGGLED_POST),
            service="payment"),
    refused("cl-list-different", post("cl-list", f"Content-Length: 5, {len(SMUGGLED_POST)}".encode(), body=SMUGGLED_POST),
            service="payment"),
    refused("cl-negative", post("cl-neg", b"Content-Length: -1", body=SMUGGLED_POST), service="payment"),
    refused("cl-plus-sign", post("cl-plus", b"Content-Length: +5", body=b"hello" + SMUGGLED_METRICS), service="payment"),
    refused("cl-hex", post("cl-hex", b"Content-Length: 0x10", body=b"0123456789abcdef" + SMUGGLED_METRICS), service="payment"),
    refused("cl-overflow", post("cl-overflow", b"Content-Length: 18446744073709551621", body=b"hello" + SMUGGLED_METRICS),
            service="payment"),
    refused("cl-space-inside", post("cl-space", b"Content-Length: 1 0", body=b"0123456789" + SMUGGLED_METRICS), service="payment"),
    refused("cl-space-before-colon", post("cl-sp-colon", b"Content-Length : 5", body=b"hello" + SMUGGLED_METRICS),
            service="payment"),
    refused("cl-obs-fold", post("cl-fold", b"Content-Length:\r\n 5", body=b"hello" + SMUGGLED_METRICS), service="payment"),
    # Identical duplicates may be accepted (one body of that length) or refused.
    Vector("cl-duplicate-identical-valid-or-refused",
           post("cl-dup-same", cl(len(JSON_BODY)), cl(len(JSON_BODY)), body=JSON_BODY), [{400}], close="must", service="payment",
           otherwise=Vector("", b"", [{200}], forwarded=[("POST", webhook("cl-dup-same"), JSON_BODY)], service="payment")),
    allowed_post("cl-binary-body-intact", cl(len(BINARY)), body=BINARY, expected_body=BINARY),
    # --- chunk framing tricks (a valid Transfer-Encoding, broken chunks) ----------------------
    chunk_trick("chunk-size-overflow", b"10000000000000005\r\nhello\r\n" + LAST + SMUGGLED_INTERNAL),
    chunk_trick("chunk-size-0x-prefix", b"0x5\r\nhello\r\n" + LAST + SMUGGLED_INTERNAL),
    chunk_trick("chunk-size-negative", b"-5\r\nhello\r\n" + LAST + SMUGGLED_INTERNAL),
    chunk_trick("chunk-size-leading-space", b" 5\r\nhello\r\n" + LAST + SMUGGLED_INTERNAL),
    chunk_trick("chunk-ext-empty-name", b"5;\r\nhello\r\n" + LAST + SMUGGLED_INTERNAL),
    chunk_trick("chunk-ext-control-byte", b"5;a=\x01\r\nhello\r\n" + LAST + SMUGGLED_INTERNAL),
    chunk_trick("chunk-ext-unterminated-quote", b'5;a="b\r\nhello\r\n' + LAST + SMUGGLED_INTERNAL),
    chunk_trick("chunk-bare-lf-framing", b"5\nhello\n0\n\n" + SMUGGLED_INTERNAL),
    chunk_trick("chunk-bare-lf-after-data", b"5\r\nhello\n0\r\n\r\n" + SMUGGLED_INTERNAL),
    chunk_trick("chunk-missing-crlf-after-data", b"5\r\nhelloXX" + chunk(SMUGGLED_INTERNAL) + LAST),
    chunk_trick("chunk-data-longer-than-size", b"3\r\nhello\r\n" + LAST + SMUGGLED_INTERNAL),
    # --- methods the gateway does not carry -----------------------------------------------------
    refused("trace", raw("TRACE", "/v1/categories"), statuses=(405,), close="may"),
    refused("connect", b"CONNECT 127.0.0.1:6379 HTTP/1.1\r\nHost: 127.0.0.1:6379\r\n\r\n", statuses=(405,), close="may"),
    # --- pipelining -------------------------------------------------------------------------------
    Vector("pipelined-three-gets",
           raw("GET", "/v1/categories/p1") + raw("HEAD", "/v1/categories/p2") + raw("GET", "/v1/providers/p3"),
           [{200}, {200}, {200}], heads=(False, True, False),
           forwarded=[("GET", "/v1/categories/p1", b""), ("HEAD", "/v1/categories/p2", b""), ("GET", "/v1/providers/p3", b"")]),
    Vector("pipelined-posts-length-and-chunked-then-get",
           post("pp1", cl(len(JSON_BODY)), body=JSON_BODY)
           + post("pp2", b"Transfer-Encoding: chunked", body=chunk(b"ab") + chunk(BINARY) + LAST)
           + raw("GET", "/v1/categories/pp3"),
           [{200}, {200}, {200}], service="payment",
           forwarded=[("POST", webhook("pp1"), JSON_BODY), ("POST", webhook("pp2"), b"ab" + BINARY),
                      ("GET", "/v1/categories/pp3", b"")]),
    Vector("pipelined-refusal-in-the-middle-stops-the-rest",
           raw("GET", "/v1/categories/pm1")
           + raw("GET", "/v1/categories/pm2", b"Transfer-Encoding: chunked", body=ORIGINAL_CHUNK + LAST)
           + raw("GET", "/v1/categories/pm3"),
           [{200}, {400}], close="must", forwarded=[("GET", "/v1/categories/pm1", b"")]),
]


def _ids():
    seen = set()
    for v in VECTORS:
        assert v.id not in seen, v.id
        seen.add(v.id)
    return [v.id for v in VECTORS]


# -- checking ------------------------------------------------------------------------------


def seen_of(response):
    try:
        return response.json()["data"]["seen"]
    except (ValueError, KeyError, TypeError):
        return None


def probe(gateway, service, problems):
    """A request on a fresh connection; returns (method, target, body) it must have caused."""
    tag = nonce()
    if service == "payment":
        target, body = f"{WEBHOOK}?probe={tag}", f'{{"probe":"{tag}"}}'.encode()
        data = raw("POST", target, cl(len(body)), body=body)
        method = "POST"
    else:
        target, body, method = f"/v1/categories/probe-{tag}", b"", "GET"
        data = raw("GET", target)
    try:
        with RawClient(gateway.port, timeout=5) as c:
            c.send(data)
            r = c.read_response()
        if not (r.status == 200 and seen_of(r) == f"{method} {target}"):
            problems.append(f"a later client ({method} {target}) got someone else's answer "
                            f"(upstream connection out of step): {r!r}")
    except (OSError, TimeoutError) as e:
        problems.append(f"a later client ({method} {target}) got no answer: {e}")
    return method, target, body


def check_vector(v, gateway, recorder):
    """Runs one vector; every way it went wrong is reported together."""
    problems = []
    recorder.reset()
    forwarded = list(v.forwarded)
    with RawClient(gateway.port, timeout=5) as c:
        c.send(v.raw)
        responses = []
        expectation = v
        for i in range(len(v.statuses)):
            head = i < len(v.heads) and v.heads[i]
            try:
                responses.append(c.read_response(head_request=head, timeout=CLOSE_WAIT + 1))
            except ConnectionError as e:
                if not (expectation.silent_close_ok and i == len(expectation.statuses) - 1):
                    problems.append(f"closed before answer {i + 1} of {len(expectation.statuses)}: {e}")
                break
            except TimeoutError as e:
                problems.append(f"no answer {i + 1} of {len(expectation.statuses)} within {CLOSE_WAIT + 1}s: {e}")
                break
            if i == 0 and v.otherwise is not None and 200 <= responses[0].status < 300:
                expectation = v.otherwise
        forwarded = list(expectation.forwarded)
        gotten = [r.status for r in responses]
        for r, allowed in zip(responses, expectation.statuses):
            if r.status not in allowed:
                problems.append(f"expected statuses {[sorted(a) for a in expectation.statuses]}, got {gotten}: {responses}")
                break
        for i, r in enumerate(responses):
            head = i < len(v.heads) and v.heads[i]
            if r.status >= 400:
                if seen_of(r) is not None:
                    problems.append(f"an error came from the upstream, not the gateway: {r!r}")
                elif not head and not is_error_envelope(r):
                    problems.append(f"gateway error without the JSON error envelope: {r!r}")
        answered = [(r, i < len(v.heads) and v.heads[i]) for i, r in enumerate(responses) if 200 <= r.status < 300]
        for (r, head), (method, target, _) in zip(answered, forwarded):
            if not head and seen_of(r) != f"{method} {target}":
                problems.append(f"answer for another request (expected {method} {target}): {r!r}")

        if expectation.close == "must":
            closed = c.wait_closed(CLOSE_WAIT)
            if c.buf:
                problems.append(f"bytes after the last expected answer: {c.buf[:400]!r}")
            if not closed:
                problems.append(f"connection left open after {gotten} (it must close: the bytes that follow cannot be trusted)")
        elif not c.eof:
            after = f"/v1/categories/after-{nonce()}"
            if c.send(raw("GET", after, b"Connection: close")):
                data, closed = c.read_until_closed(CLOSE_WAIT)
                rest = parse_responses(data)
                if len(rest) > 1 or any(seen_of(r) != f"GET {after}" for r in rest):
                    problems.append(f"the same connection answered something other than the follow-up GET {after} "
                                    f"after {gotten}: {rest} / {data[:400]!r}")
                if any(seen_of(r) == f"GET {after}" for r in rest):
                    forwarded.append(("GET", after, b""))
                if not closed and not rest:
                    problems.append(f"no answer to a follow-up request on the same connection within {CLOSE_WAIT}s: {data[:300]!r}")

    probes = [probe(gateway, s, problems) for s in (expectation.service, "core") for _ in range(PROBES)]
    check_upstream(recorder, forwarded + probes, problems)
    assert not problems, "\n".join([f"vector {v.id}:"] + problems)


def check_upstream(recorder, expected, problems):
    got = recorder.service_requests()
    bad = [r for r in got if any(f in r.target for f in FORBIDDEN)]
    if bad:
        problems.append(f"SMUGGLED request reached the upstream: {[(r.seen, r.conn, r.body[:80]) for r in bad]}")
    if recorder.protocol_errors():
        problems.append(f"malformed bytes reached the upstream: {recorder.protocol_errors()}")
    if [(r.method, r.target) for r in got] != [(m, t) for m, t, _ in expected]:
        problems.append(f"upstream saw {[(r.seen, r.conn) for r in got]}, expected {[f'{m} {t}' for m, t, _ in expected]}")
    for r, (_, target, body) in zip(got, expected):
        if r.target == target and r.body != body:
            problems.append(f"{r.seen}: body {r.body[:80]!r} != {body[:80]!r}")
        if r.body and r.framing not in ("length", "chunked"):
            problems.append(f"{r.seen}: body without framing")
        if len(r.header("x-client-ip")) > 1:
            problems.append(f"{r.seen}: several X-Client-IP {r.header('x-client-ip')}")


@pytest.mark.parametrize("vector", VECTORS, ids=_ids())
def test_smuggling_vector(vector, gateway, recorder):
    check_vector(vector, gateway, recorder)


def test_an_early_upstream_answer_ends_that_upstream_connection(gateway, recorder):
    """The upstream answers a POST before reading its body: that exchange ended in
    doubt, so its connection must not carry anyone's next request."""
    recorder.reset()
    target = f"{WEBHOOK}?early-answer={nonce()}"
    body = b'{"late":"body"}'
    with RawClient(gateway.port, timeout=5) as c:
        c.send(raw("POST", target, cl(len(body))))
        r = c.read_response()
        assert r.status == 200 and seen_of(r) == f"POST {target}", r
        early_conn = r.json()["data"]["conn"]
        c.send(body)
        follow = f"/v1/categories/after-early-{nonce()}"
        expected_follow = []
        if not c.eof and c.send(raw("GET", follow, b"Connection: close")):
            data, _ = c.read_until_closed(CLOSE_WAIT)
            rest = parse_responses(data)
            assert len(rest) <= 1 and all(seen_of(x) == f"GET {follow}" for x in rest), rest
            expected_follow = [("GET", follow)] if rest else []
    problems = []
    probes = [probe(gateway, s, problems) for s in ("payment", "core") for _ in range(PROBES)]
    assert not problems, problems
    got = recorder.service_requests()
    later = [x for x in got if x.target != target]
    assert [(x.method, x.target) for x in later] == expected_follow + [(m, t) for m, t, _ in probes], [x.seen for x in got]
    reused = [x.seen for x in later if x.conn == early_conn]
    assert not reused, f"the upstream connection that answered early carried {reused}"
    assert recorder.wait_for(lambda reqs, events: any(e.kind == "closed" and e.conn == early_conn for e in events), 3), \
        "the gateway kept the upstream connection whose exchange ended early"
    assert not recorder.protocol_errors(), recorder.protocol_errors()


def test_the_recording_upstream_is_strict(recorder):
    """The harness itself: the recorder refuses what it must refuse (so a clean
    record means the gateway sent clean bytes), and answers pipelined requests."""
    cases = {
        b"GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n": "Content-Length",
        b"GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n": "obs-fold",
        b"GET / HTTP/1.1\nHost: a\r\n\r\n": "bare LF",
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0x1\r\na\r\n0\r\n\r\n": "chunk size",
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\na": "several Content-Length",
        b"GET / HTTP/1.1\r\nHost : a\r\n\r\n": "malformed field",
    }
    for data, reason in cases.items():
        recorder.reset()
        with RawClient(recorder.port, timeout=5) as c:
            c.send(data)
            assert c.wait_closed(3)
        errors = recorder.wait_for(lambda reqs, events: [e for e in events if e.kind == "protocol-error"], 3)
        assert errors and reason in errors[0].detail, (data, errors)
        assert not recorder.service_requests()
    recorder.reset()
    with RawClient(recorder.port, timeout=5) as c:
        c.send(b"GET /a HTTP/1.1\r\nHost: a\r\n\r\nPOST /b HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"3;x=y\r\nabc\r\n0\r\nT: 1\r\n\r\nHEAD /c HTTP/1.1\r\nHost: a\r\n\r\n")
        answers = [c.read_response(), c.read_response(), c.read_response(head_request=True)]
    assert [seen_of(a) for a in answers[:2]] == ["GET /a", "POST /b"]
    got = recorder.service_requests()
    assert [(r.seen, r.body, r.framing) for r in got] == [("GET /a", b"", "none"), ("POST /b", b"abc", "chunked"),
                                                          ("HEAD /c", b"", "none")]
    assert len({r.conn for r in got}) == 1
