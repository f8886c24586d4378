"""The live chat socket through ONE gateway in front of TWO core instances:
messages posted over REST reach sockets on both; a socket lives only as long
as its session (logout, password reset: closed with 4401 within a second, on
every instance); browsers' one-time tickets cannot be reused; a flood or an
oversized frame gets the socket closed (1008, 1009)."""
import contextlib
import hashlib
import json
import secrets
import threading
import time
import uuid

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from conftest import Service, free_port, psql, request
from test_gateway_system import client_ip, gateway_env

PASSWORD = "Kare-Kare-sa-Bagoong-8"


@pytest.fixture(scope="module")
def chat_system(auth, auth_env, redis_url, log_dir):
    # info: each core logs its requests with their X-Request-ID, which tells
    # the test which instance a socket landed on.
    core_env = dict(auth_env, AUTH_JWKS_URL=auth.url + "/v1/auth/.well-known/jwks.json", AUTH_BASE_URL=auth.url, LOG_LEVEL="info")
    cores = []
    for _ in range(2):
        cores.append(Service("core-service", core_env, log_dir).wait_healthy())
    env = gateway_env(redis_url, auth.url, {"auth": [auth.url], "core": [c.url for c in cores]},
                      GATEWAY_METRICS_PORT=str(free_port()), GATEWAY_RATE_LIMIT_AUTH="1000", GATEWAY_RATE_LIMIT_GENERAL="100000")
    gw = Service("gateway", env, log_dir).wait_healthy()
    yield gw, cores
    assert gw.stop() == 0, "gateway must exit cleanly on SIGTERM"
    for core in cores:
        assert core.stop() == 0, "core-service must exit cleanly on SIGTERM"


@pytest.fixture
def sockets():
    """Closes the test's sockets at its end."""
    with contextlib.ExitStack() as stack:
        yield stack


class Person:
    """Someone signed in through the gateway (one session per `login`)."""

    def __init__(self, gw, name, user_type):
        self.gw = gw
        self.ip = client_ip()
        self.email = f"live.{uuid.uuid4().hex[:10]}@example.ph"
        r = request("POST", gw + "/v1/auth/register", {"email": self.email, "password": PASSWORD, "fullName": name, "userType": user_type},
                    headers=self.forwarded())
        assert r.status == 201, r.body
        self.session = self.login()
        self.id = self.session["user"]["id"]

    def forwarded(self):
        return {"X-Forwarded-For": self.ip}

    def login(self):
        r = request("POST", self.gw + "/v1/auth/login", {"email": self.email, "password": PASSWORD}, headers=self.forwarded())
        assert r.status == 200, r.body
        return r.json()["data"]

    def headers(self, session=None):
        return {"Authorization": "Bearer " + (session or self.session)["accessToken"], **self.forwarded()}

    def call(self, method, path, body=None, session=None):
        return request(method, self.gw + path, body, headers=self.headers(session))


def live_url(gw, ticket=None):
    return gw.replace("http://", "ws://") + "/v1/chats/live" + (f"?ticket={ticket}" if ticket else "")


def open_socket(sockets, gw, person, session=None, ticket=None):
    """A socket through the gateway, with the bearer token (an app) or a ticket (a browser)."""
    request_id = "live-" + uuid.uuid4().hex
    headers = {"X-Request-ID": request_id, **person.forwarded()}
    if ticket is None:
        headers["Authorization"] = "Bearer " + (session or person.session)["accessToken"]
    ws = sockets.enter_context(connect(live_url(gw, ticket), additional_headers=headers, open_timeout=10, close_timeout=2))
    ws.request_id = request_id
    return ws


def instance_of(ws, cores, timeout=5):
    """Which core instance holds the socket: the one that logged its upgrade."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        for n, core in enumerate(cores):
            if ws.request_id in core.log_path.read_text():
                return n
        time.sleep(0.05)
    raise AssertionError(f"no core logged {ws.request_id}")


def sockets_on_both(sockets, gw, cores, person, session=None, most=12):
    """Opens sockets until both instances hold at least one; answers them with their instance."""
    opened = []
    while len({n for _, n in opened}) < 2:
        assert len(opened) < most, f"the gateway sent {most} sockets to one instance"
        ws = open_socket(sockets, gw, person, session)
        opened.append((ws, instance_of(ws, cores)))
    return opened


def next_frame(ws, timeout=5):
    return json.loads(ws.recv(timeout=timeout))


class CloseWatch:
    """Waits on each socket in a thread of its own; notes when and how it closed."""

    def __init__(self, sockets):
        self.closed = {}
        self.threads = [threading.Thread(target=self.watch, args=(ws,), daemon=True) for ws in sockets]
        for t in self.threads:
            t.start()

    def watch(self, ws):
        try:
            while True:
                ws.recv(timeout=10)
        except ConnectionClosed as e:
            self.closed[ws] = (time.monotonic(), e.rcvd.code if e.rcvd else None)
        except TimeoutError:
            self.closed[ws] = (time.monotonic(), "still open after 10 s")

    def wait(self):
        for t in self.threads:
            t.join(timeout=15)
        return self.closed


def a_chat(gw):
    juan = Person(gw, "Juan dela Cruz", "consumer")
    pedro = Person(gw, "Pedro Penduko", "provider")
    tree = juan.call("GET", "/v1/categories").json()["data"]
    aircon = next(c for root in tree for c in root["children"] if c["slug"] == "aircon-cleaning")
    r = pedro.call("POST", "/v1/providers", {
        "categoryId": aircon["id"], "businessName": "Penduko Aircon " + uuid.uuid4().hex[:6], "hourlyRate": 50000,
        "serviceAreas": ["Makati City"], "latitude": 14.5547, "longitude": 121.0244})
    assert r.status == 201, r.body
    r = juan.call("POST", "/v1/chats", {"providerId": r.json()["data"]["id"]})
    assert r.status == 201, r.body
    return juan, pedro, r.json()["data"]["id"]


def test_messages_reach_sockets_on_both_instances_and_logout_closes_them_within_a_second(chat_system, sockets):
    gw, cores = chat_system
    gw = gw.url
    juan, pedro, room = a_chat(gw)
    # Ordinary traffic first: the gateway's upstream connections are pooled and warm.
    for i in range(30):
        who = (juan, pedro)[i % 2]
        path = ("/v1/users/me", "/v1/chats", f"/v1/chats/{room}/messages", "/v1/categories")[i % 4]
        r = who.call("GET", path)
        assert r.status == 200, (path, r.status, r.body)

    phone = sockets_on_both(sockets, gw, cores, pedro)
    ticket = pedro.call("POST", "/v1/chats/ticket")
    assert ticket.status == 201, ticket.body
    browser = open_socket(sockets, gw, pedro, ticket=ticket.json()["data"]["ticket"])
    laptop_session = pedro.login()
    laptop = open_socket(sockets, gw, pedro, session=laptop_session)
    mine = [ws for ws, _ in phone] + [browser]

    r = juan.call("POST", f"/v1/chats/{room}/messages", {"content": "Pwede po bukas ng 9?"})
    assert r.status == 201, r.body
    for ws in mine + [laptop]:
        frame = next_frame(ws)
        assert frame["type"] == "message" and frame["message"]["content"] == "Pwede po bukas ng 9?", frame

    watch = CloseWatch(mine)
    started = time.monotonic()
    r = request("POST", gw + "/v1/auth/logout", {"refreshToken": pedro.session["refreshToken"]}, headers=pedro.headers())
    assert r.status in (200, 204), r.body
    closed = watch.wait()
    timings = {f"core{n}": round(closed[ws][0] - started, 3) for ws, n in phone}
    timings["ticket"] = round(closed[browser][0] - started, 3)
    print(f"\nlogout → socket closed (s): {timings}")
    for ws in mine:
        when, code = closed[ws]
        assert code == 4401, code
        assert when - started < 1.0, f"closed {when - started:.3f} s after the logout was sent: {timings}"

    # The laptop's session was not logged out: its socket lives on.
    r = juan.call("POST", f"/v1/chats/{room}/messages", {"content": "Sige po."})
    assert r.status == 201, r.body
    assert next_frame(laptop)["message"]["content"] == "Sige po."


def test_a_password_reset_closes_every_session_s_sockets_on_both_instances(chat_system, database_url, sockets):
    gw, cores = chat_system
    gw = gw.url
    maria = Person(gw, "Maria Clara", "consumer")
    other = maria.login()
    opened = [ws for ws, _ in sockets_on_both(sockets, gw, cores, maria)] + [ws for ws, _ in sockets_on_both(sockets, gw, cores, maria, session=other)]

    # The link from the email (the mail itself is the notification tests' business).
    token = secrets.token_urlsafe(32)
    digest = hashlib.sha256(token.encode()).hexdigest()
    psql(database_url, "INSERT INTO auth.email_tokens (token_hash, user_id, purpose, expires_at) "
                       f"VALUES (decode('{digest}', 'hex'), '{maria.id}', 'reset_password', now() + interval '1 hour')")
    watch = CloseWatch(opened)
    started = time.monotonic()
    r = request("POST", gw + "/v1/auth/reset-password", {"token": token, "password": "Bagong-Password-2026"}, headers=maria.forwarded())
    assert r.status in (200, 204), r.body
    closed = watch.wait()
    timings = sorted(round(when - started, 3) for when, _ in closed.values())
    print(f"\npassword reset → {len(opened)} sockets of 2 sessions closed (s): {timings}")
    assert [code for _, code in closed.values()] == [4401] * len(opened)
    assert max(timings) < 1.0, timings


def test_a_socket_closes_when_the_access_token_that_opened_it_expires(chat_system, auth_env, auth, log_dir, sockets):
    gw = chat_system[0].url
    # An auth instance that issues 3-second tokens (same database, same keys).
    brief = Service("auth-service", dict(auth_env, AUTH_ACCESS_TOKEN_TTL_SECONDS="3"), log_dir).wait_healthy()
    try:
        lena = Person(gw, "Lena Ramos", "consumer")
        r = request("POST", brief.url + "/v1/auth/login", {"email": lena.email, "password": PASSWORD})
        assert r.status == 200, r.body
        session = r.json()["data"]
        opened_at = time.monotonic()
        closed = CloseWatch([open_socket(sockets, gw, lena, session=session)]).wait()
        [(when, code)] = closed.values()
        assert code == 4401, code
        assert 1 < when - opened_at < 4.5, f"closed {when - opened_at:.2f} s after it opened with a 3 s token"
    finally:
        assert brief.stop() == 0


def test_a_ticket_opens_one_socket_and_is_refused_after(chat_system, sockets):
    gw = chat_system[0].url
    nena = Person(gw, "Nena Dizon", "consumer")
    r = nena.call("POST", "/v1/chats/ticket")
    assert r.status == 201, r.body
    ticket = r.json()["data"]
    assert len(ticket["ticket"]) == 43 and ticket["expiresAt"]

    open_socket(sockets, gw, nena, ticket=ticket["ticket"]).close()
    with pytest.raises(InvalidStatus) as refused:
        open_socket(sockets, gw, nena, ticket=ticket["ticket"])
    assert refused.value.response.status_code == 400, "a refused upgrade: empty 400 from the WebSocket layer"
    # Without the upgrade the refusal says why, in the error envelope.
    r = request("GET", live_url(gw, ticket["ticket"]).replace("ws://", "http://"), headers=nena.forwarded())
    assert r.status == 401, r.body
    assert r.json()["error"]["code"] == "TOKEN_INVALID"

    # No token, no ticket: the gateway lets the route through, core refuses;
    # identity headers from the client prove nothing.
    with pytest.raises(InvalidStatus):
        sockets.enter_context(connect(live_url(gw), additional_headers={
            "X-User-Id": nena.id, "X-User-Type": "consumer", "X-Session-Id": str(uuid.uuid4()), **nena.forwarded()}, open_timeout=10))
    r = request("GET", live_url(gw).replace("ws://", "http://"), headers={"X-User-Id": nena.id, **nena.forwarded()})
    assert r.status == 401, r.body


def test_a_flood_and_an_oversized_frame_close_the_socket(chat_system, sockets):
    gw = chat_system[0].url
    rico = Person(gw, "Rico Yan", "consumer")

    ws = open_socket(sockets, gw, rico)
    with pytest.raises(ConnectionClosed) as flooded:
        # Half again the burst (40), at once. (A client that goes on sending
        # long after the close, 500 frames, lost the close frame through the
        # gateway 4 times in 30, its connection ended without one; never
        # when talking to core directly.)
        for _ in range(60):
            ws.send('{"type":"read","roomId":"not-a-room"}')
        while True:
            ws.recv(timeout=5)
    assert flooded.value.rcvd is not None and flooded.value.rcvd.code == 1008, flooded.value

    ws = open_socket(sockets, gw, rico)
    with pytest.raises(ConnectionClosed) as too_big:
        ws.send("x" * (64 * 1024 + 1))
        while True:
            ws.recv(timeout=5)
    assert too_big.value.rcvd is not None and too_big.value.rcvd.code == 1009, too_big.value
