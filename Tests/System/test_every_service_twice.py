"""Every service twice (issue "Ship it"): two instances of every service and two
gateways sharing Redis, started at once on an empty database; the money path
driven through both gateways for several bookings at once; in the middle one
instance of every service and one gateway die by SIGKILL. Afterwards: every
answer was a right one and the only failures are requests that were in flight
at the kill; no job is lost (every escrow released, every notification in the
inbox, the AI saw every booking, no job left active); the ledger balances with
each escrow held and released exactly once; rate limits are still shared;
every migration ran once.

Services reach each other through comma-separated instance lists
(AUTH_BASE_URL, FILE_BASE_URL, CORE_BASE_URL, AUTH_JWKS_URL), as on machines
without a load balancer in front of each service."""
import concurrent.futures
import datetime
import http.client
import json
import os
import signal
import socket
import threading
import time
import urllib.error
import uuid
import base64


import pytest
import redis

from conftest import ROOT, Service, psql, request
from test_gateway_system import client_ip, gateway_env
from test_marketplace_system import sign_up

REDIS_DB = 25
PAIRS = 8
READERS = 2
# service executable → its schema and migrations folder
SERVICES = {
    "auth-service": ("auth", "Auth"),
    "file-service": ("file", "File"),
    "core-service": ("core", "Core"),
    "payment-service": ("payment", "Payment"),
    "notification-service": ("notification", "Notification"),
    "ai-service": ("ai", "AI"),
}
QUEUES = ["auth", "core", "payment", "notification", "ai", "file"]
AUTH_LIMIT = 5  # the gateway's default auth-class limit (seed 6.2)


def stalled_events(r, queue):
    """How many of the queue's jobs came back through the stalled check."""
    return sum(1 for _, fields in r.xrange(f"bull:{queue}:events") if fields.get("event") == "stalled")


class Cluster:
    def __init__(self):
        self.instances = {}  # executable → [first, second]
        self.gateways = []
        self.killed = []
        self.extra = []


def urls(services):
    return ",".join(s.url for s in services)


@pytest.fixture(scope="module")
def cluster(service_account, log_dir, tmp_path_factory):
    base = os.environ.get("DATABASE_URL", "postgres://trusttrade:trusttrade@127.0.0.1:5432/trusttrade")
    name = "tt_twice_" + uuid.uuid4().hex[:8]
    psql(base, f"CREATE DATABASE {name}")
    c = Cluster()
    c.database_url = base.rsplit("/", 1)[0] + "/" + name
    c.redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0").rsplit("/", 1)[0] + f"/{REDIS_DB}"
    c.redis = redis.Redis.from_url(c.redis_url, decode_responses=True)
    c.redis.flushdb()
    # Stand-ins of our own: the PayMongo stand-in keeps the webhook URLs it is
    # given and tries each in turn, so a URL of ours that has gone must not
    # hold up other suites' webhooks (nor theirs ours).
    standins = Service("standins", {"LOG_LEVEL": "warning", "FCM_SERVICE_ACCOUNT_FILE": service_account,
                                    "PAYMONGO_WEBHOOK_SECRET": "whsk_system_test"}, log_dir).wait_healthy()
    c.extra.append(standins)

    sa = json.load(open(service_account))
    sa["token_uri"] = standins.url + "/fcm/token"
    sa_path = log_dir / "twice-service-account.json"
    sa_path.write_text(json.dumps(sa))
    env = {
        "DATABASE_URL": c.database_url, "REDIS_URL": c.redis_url, "STANDINS_URL": standins.url,
        # info: the migrator says which instance applied what
        "LOG_LEVEL": "info", "AUTH_BCRYPT_COST": "4", "TRUST_PROXY": "true",
        # A dead worker's jobs go back to wait within seconds, not a minute.
        "QUEUE_LOCK_DURATION_MS": "10000", "QUEUE_STALLED_INTERVAL_MS": "2000",
        "FCM_SERVICE_ACCOUNT_FILE": str(sa_path), "PAYMONGO_BASE_URL": standins.url + "/paymongo",
        "PAYMONGO_WEBHOOK_SECRET": "whsk_system_test", "CLAMD_PORT": os.environ.get("CLAMD_PORT", "3310"),
        "FILE_STORAGE_PATH": str(tmp_path_factory.mktemp("twice-files")),  # one volume, both instances
    }

    def pair(executable, extra):
        # Both at the same moment, on the same (still empty) schema.
        c.instances[executable] = [Service(executable, dict(env, **extra), log_dir) for _ in range(2)]
        return c.instances[executable]

    try:
        auth = pair("auth-service", {})
        for s in auth:
            s.wait_healthy(timeout=90)
        env["AUTH_JWKS_URL"] = ",".join(s.url + "/v1/auth/.well-known/jwks.json" for s in auth)
        files = pair("file-service", {})
        core = pair("core-service", {"AUTH_BASE_URL": urls(auth), "FILE_BASE_URL": urls(files)})
        payment = pair("payment-service", {"CORE_BASE_URL": urls(core)})
        notification = pair("notification-service", {})
        ai = pair("ai-service", {})
        for both in c.instances.values():
            for s in both:
                s.wait_healthy(timeout=90)

        upstreams = {"auth": auth, "file": files, "core": core, "payment": payment, "notification": notification, "ai": ai}
        c.gateway_env = gateway_env(
            c.redis_url, auth[0].url, {k: [s.url for s in v] for k, v in upstreams.items()},
            AUTH_JWKS_URL=env["AUTH_JWKS_URL"], LOG_LEVEL="warning",
            # A day's window: the shared-limit counts below cannot straddle a window edge.
            GATEWAY_RATE_LIMIT_WINDOW_SECONDS="86400",
            GATEWAY_RATE_LIMIT_GENERAL="1000000", GATEWAY_RATE_LIMIT_SEARCH="1000000")
        c.gateways = [Service("gateway", c.gateway_env, log_dir) for _ in range(2)]
        for g in c.gateways:
            g.wait_healthy()
        # PayMongo's webhooks come in through the first gateway (the one that lives).
        basic = "Basic " + base64.b64encode(b"sk_test_trusttrade_dev:").decode()
        r = request("POST", standins.url + "/paymongo/v1/webhooks",
                    {"data": {"attributes": {"url": c.gateways[0].url + "/v1/payments/webhook",
                                             "events": ["payment.paid", "payment.failed", "payment.refund.updated"]}}},
                    headers={"Authorization": basic})
        assert r.status == 200, r.body
        c.standins = standins
        yield c
    finally:
        alive = [s for both in c.instances.values() for s in both] + c.gateways + c.extra
        codes = {f"{s.name}:{s.port}": s.stop() for s in alive if s not in c.killed}
        for s in c.killed:
            s.log.close()
        c.redis.close()
        assert all(code == 0 for code in codes.values()), f"every instance left exits 0 on SIGTERM: {codes}"


def ready(url):
    try:
        return request("GET", url + "/ready", timeout=5).status == 200
    except OSError:
        return False


def test_both_instances_started_at_once_and_every_migration_ran_once(cluster):
    for executable, (schema, folder) in SERVICES.items():
        files = sorted(p.name for p in (ROOT / "Services" / folder / "Sources" / "Migrations").glob("*.sql"))
        versions = sorted(int(f.split("_", 1)[0]) for f in files)
        rows = psql(cluster.database_url, f"SELECT version FROM {schema}.schema_migrations ORDER BY version").split()
        assert [int(v) for v in rows] == versions, (schema, rows, versions)
        # Each file was applied by exactly one of the two instances (the other
        # waited on the advisory lock and found it done).
        both = cluster.instances[executable]
        applied = [line for s in both for line in s.log_path.read_text().splitlines() if "applying migration" in line]
        assert len(applied) == len(files), (executable, applied)
        for s in both:
            assert s.proc.poll() is None, f"{executable} exited"
            deadline = time.time() + 30
            while not ready(s.url):
                assert time.time() < deadline, f"{executable} on {s.port} never ready"
                time.sleep(0.2)


def login_statuses(gateways, ip, email, count):
    body = {"email": email, "password": "wrong-password-1"}
    return [request("POST", gateways[i % len(gateways)] + "/v1/auth/login", body, headers={"X-Forwarded-For": ip}).status
            for i in range(count)]


def test_both_gateways_count_one_rate_limit(cluster):
    a, b = (g.url for g in cluster.gateways)
    statuses = login_statuses([a, b], client_ip(), f"nobody.{uuid.uuid4().hex[:8]}@example.ph", 2 * AUTH_LIMIT)
    assert statuses.count(401) == AUTH_LIMIT and statuses.count(429) == AUTH_LIMIT, statuses
    assert statuses[:AUTH_LIMIT] == [401] * AUTH_LIMIT


class Traffic:
    """Requests through whichever gateway is up, as a client behind a load
    balancer sends them. A connection refused is a request nobody took (the
    balancer moves on); a dropped connection or a 502/503 is a request lost
    in flight, counted and tried again."""

    def __init__(self, gateways):
        self.gateways = list(gateways)
        self.lock = threading.Lock()
        self.turn = 0
        self.answered = 0
        self.refused = 0
        self.failures = []  # (started, ended, method, path, what)

    def pick(self):
        with self.lock:
            self.turn += 1
            return self.gateways[self.turn % len(self.gateways)]

    def call(self, method, path, body=None, headers=None):
        """The answer, and whether an earlier try of this call was lost in flight."""
        lost = False
        for _ in range(8):
            gw = self.pick()
            started = time.time()
            what = None
            try:
                r = request(method, gw + path, body, headers, timeout=30)
            except urllib.error.URLError as e:
                if isinstance(e.reason, ConnectionRefusedError):
                    with self.lock:
                        self.refused += 1
                        if gw in self.gateways and len(self.gateways) > 1:
                            self.gateways.remove(gw)
                    continue
                what = f"connection: {e.reason!r}"
            except (ConnectionError, http.client.HTTPException, socket.timeout) as e:
                what = f"connection: {e!r}"
            else:
                if r.status in (502, 503, 504):
                    what = f"{r.status}: {r.body[:200]!r}"
                else:
                    with self.lock:
                        self.answered += 1
                    return r, lost
            with self.lock:
                self.failures.append((started, time.time(), method, path, what))
            lost = True
            time.sleep(0.2)
        raise AssertionError(f"{method} {path} never answered")

    def poll(self, path, who, done, timeout=45, what=""):
        deadline = time.time() + timeout
        while True:
            r, _ = self.call("GET", path, headers=who)
            assert r.status == 200, (path, r.status, r.body)
            data = r.json()["data"]
            if done(data):
                return data
            assert time.time() < deadline, f"{what or path}: {data}"
            time.sleep(0.2)


def start_booking(gw, i, aircon, standins):
    """Before the kill: both sign up, the pro lists, the consumer books, the
    pro accepts, the consumer starts a GCash payment."""
    consumer, consumer_id = sign_up(gw, f"Consumer {i}", "consumer")
    pro, pro_id = sign_up(gw, f"Pro {i}", "provider")
    r = request("POST", gw + "/v1/providers", {
        "categoryId": aircon, "businessName": f"Twice Aircon {i} {uuid.uuid4().hex[:6]}", "hourlyRate": 60000,
        "serviceAreas": ["Makati City"], "skills": ["split-type"], "latitude": 14.556, "longitude": 121.023}, headers=pro)
    assert r.status == 201, r.body
    provider_id = r.json()["data"]["id"]
    day = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=2 + i)
    slot = day.replace(hour=2, minute=0, second=0, microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    r = request("POST", gw + "/v1/bookings", {"providerId": provider_id, "title": f"Clean aircon #{i}",
                                              "location": "Salcedo Village, Makati", "scheduledDate": slot, "estimatedHours": 2}, headers=consumer)
    assert r.status == 201, r.body
    bid = r.json()["data"]["id"]
    r = request("PUT", gw + f"/v1/bookings/{bid}/accept", headers=pro)
    assert r.status == 200 and r.json()["data"]["status"] == "accepted", r.body
    r = request("POST", gw + "/v1/payments/create", {"bookingId": bid, "method": "gcash", "returnUrl": standins.url + "/health"},
                headers={**consumer, "Idempotency-Key": "pay-" + bid})
    assert r.status == 201, r.body
    pay = r.json()["data"]
    assert pay["amount"] == 120000
    return {"i": i, "consumer": consumer, "consumer_id": consumer_id, "pro": pro, "pro_id": pro_id,
            "provider_id": provider_id, "bid": bid, "tid": pay["transactionId"], "redirect": pay["redirectUrl"]}


def finish_booking(t, b, authorized):
    """Around and after the kill: authorize, escrow held, the job done and
    confirmed, escrow released, the pro's balance paid out, a review."""
    time.sleep(0.15 * b["i"])  # some before the kill, some after
    r = request("POST", b["redirect"] + "/authorize")  # the PayMongo stand-in's checkout page
    assert r.status in (200, 303), r.body
    authorized.release()
    consumer, pro, bid, tid = b["consumer"], b["pro"], b["bid"], b["tid"]
    t.poll(f"/v1/transactions/{tid}", consumer, lambda d: d["escrowStatus"] == "held", what="the webhook put the payment into escrow")
    t.poll(f"/v1/bookings/{bid}", pro, lambda d: d.get("paidAt"), what="core heard of the escrow")
    for step, who, status in [("start", pro, "in_progress"), ("complete", pro, "in_progress"), ("complete", consumer, "completed")]:
        r, lost = t.call("PUT", f"/v1/bookings/{bid}/{step}", headers=who)
        if lost and r.status == 409:
            # The lost try had done it: the booking says so.
            now = t.poll(f"/v1/bookings/{bid}", who, lambda d: True)
            assert now["status"] == status, now
        else:
            assert r.status == 200 and r.json()["data"]["status"] == status, (step, r.status, r.body)
    tx = t.poll(f"/v1/transactions/{tid}", pro, lambda d: d["escrowStatus"] == "released", what="completion released the escrow")
    assert tx["releasedAmount"] == 120000 and tx["platformFee"] == 12000, tx
    r, _ = t.call("GET", "/v1/payouts/balance", headers=pro)
    assert r.status == 200 and r.json()["data"]["available"] == 108000, r.body
    payout = {"amount": 108000, "method": "gcash", "accountName": f"Pro {b['i']}", "accountNumber": "09171234567"}
    r, _ = t.call("POST", "/v1/payouts/request", payout, headers={**pro, "Idempotency-Key": "payout-" + bid})
    assert r.status == 201 and r.json()["data"]["amount"] == 108000, r.body
    r, lost = t.call("POST", "/v1/reviews", {"bookingId": bid, "rating": 5, "title": "Malinis!", "content": "On time and tidy."},
                     headers=consumer)
    assert r.status == 201 or (lost and r.status == 409), r.body
    return b


def read_along(t, stop):
    """Anonymous reads through both gateways while the kill happens."""
    while not stop.is_set():
        ip = {"X-Forwarded-For": client_ip()}
        for path in ("/v1/categories", "/v1/providers/search?q=aircon&location=Makati", "/v1/auth/.well-known/jwks.json"):
            r, _ = t.call("GET", path, headers=ip)
            assert r.status == 200, (path, r.status, r.body)


def stalled_recoveries(c):
    return {q: stalled_events(c.redis, q) for q in QUEUES}


def test_the_money_path_through_two_of_everything_survives_sigkill(cluster, log_dir):
    c = cluster
    began = time.time()
    a, b = (g.url for g in c.gateways)
    tree = request("GET", a + "/v1/categories", headers={"X-Forwarded-For": client_ip()}).json()["data"]
    aircon = next(ch for root in tree for ch in root["children"] if ch["slug"] == "aircon-cleaning")["id"]

    # A rate-limit budget half spent before the kill, across both gateways.
    limited_ip, limited_email = client_ip(), f"nobody.{uuid.uuid4().hex[:8]}@example.ph"
    assert login_statuses([a, b], limited_ip, limited_email, 3) == [401] * 3

    with concurrent.futures.ThreadPoolExecutor(PAIRS) as pool:
        bookings = list(pool.map(lambda i: start_booking((a, b)[i % 2], i, aircon, c.standins), range(PAIRS)))

    t = Traffic([a, b])
    stop = threading.Event()
    authorized = threading.Semaphore(0)
    with concurrent.futures.ThreadPoolExecutor(PAIRS + READERS) as pool:
        readers = [pool.submit(read_along, t, stop) for _ in range(READERS)]
        paths = [pool.submit(finish_booking, t, bk, authorized) for bk in bookings]
        try:
            for _ in range(3):  # a few payments authorized; most webhooks, every release still to come
                assert authorized.acquire(timeout=30)
            time.sleep(0.2)
            victims = [both[0] for both in c.instances.values()] + [c.gateways[1]]
            kill_started = time.time()
            for v in victims:
                v.proc.send_signal(signal.SIGKILL)
            c.killed.extend(victims)
            for v in victims:
                assert v.proc.wait(timeout=10) == -signal.SIGKILL
            kill_ended = time.time()
            answered_at_kill = t.answered
            finished = [f.result(timeout=120) for f in paths]
        finally:
            stop.set()
        for f in readers:
            f.result(timeout=60)

    # Requests lost: only those in flight at the kill, each a lost connection
    # or a 502/503 — never a wrong answer (those failed the asserts above).
    for started, ended, method, path, what in t.failures:
        assert ended >= kill_started and started <= kill_ended + 2.0, (method, path, what, started - kill_started)
        assert what.startswith(("connection", "502", "503")), what
    assert len(t.failures) <= PAIRS + READERS, t.failures
    assert t.answered > answered_at_kill + 20, "traffic went on after the kill"

    # Rate limits: still one shared budget — the survivor and a replacement
    # gateway (as an orchestrator starts one) continue the count made before.
    replacement = Service("gateway", c.gateway_env, log_dir).wait_healthy()
    c.extra.append(replacement)
    after = login_statuses([a, replacement.url], limited_ip, limited_email, 4)
    assert after == [401] * (AUTH_LIMIT - 3) + [429] * (4 - (AUTH_LIMIT - 3)), after
    fresh = login_statuses([replacement.url, a], client_ip(), f"nobody.{uuid.uuid4().hex[:8]}@example.ph", 2 * AUTH_LIMIT)
    assert fresh == [401] * AUTH_LIMIT + [429] * AUTH_LIMIT, fresh

    # No job lost: both sides told of everything, the AI saw every booking.
    for bk in finished:
        for who, want in ((bk["consumer"], {"booking-accepted", "booking-completed", "payment-received"}),
                          (bk["pro"], {"booking-created", "escrow-released", "review-received"})):
            t.poll("/v1/notifications?limit=50", who, lambda d: want <= {n["type"] for n in d}, timeout=40,
                   what=f"booking {bk['i']}: inbox {want}")
        t.poll(f"/v1/ai/trust-score/{bk['pro_id']}", bk["consumer"],
               lambda d: any(h["reason"] == "review.created" for h in d["history"]), timeout=40, what=f"booking {bk['i']}: AI heard the review")
    ids = ",".join(f"'{bk['bid']}'" for bk in finished)
    deadline = time.time() + 30
    while psql(c.database_url, f"SELECT count(*) FROM ai.bookings WHERE id IN ({ids}) AND status = 'completed'") != str(PAIRS):
        assert time.time() < deadline, "the AI's read model has every booking completed"
        time.sleep(0.3)

    # Every outbox drained and no job left waiting or active: the jobs the
    # killed workers held came back through the stalled check and were done.
    deadline = time.time() + 40
    while True:
        unpublished = {s: psql(c.database_url, f"SELECT count(*) FROM {s}.outbox WHERE published_at IS NULL")
                       for s, _ in SERVICES.values()
                       if psql(c.database_url, f"SELECT to_regclass('{s}.outbox') IS NOT NULL") == "t"}
        stuck = {q: c.redis.llen(f"bull:{q}:active") + c.redis.llen(f"bull:{q}:wait") for q in QUEUES}
        if all(n == "0" for n in unpublished.values()) and not any(stuck.values()):
            break
        assert time.time() < deadline, (unpublished, stuck)
        time.sleep(0.3)
    failed = {q: [c.redis.hget(f"bull:{q}:{job}", "failedReason") for job in c.redis.zrange(f"bull:{q}:failed", 0, -1)] for q in QUEUES}
    assert not any(failed.values()), f"jobs that ended failed: {failed}"
    recovered = stalled_recoveries(c)

    # The ledger balances; each escrow was held once and released once.
    assert psql(c.database_url, "SELECT COALESCE(sum(amount), 0) FROM payment.ledger_entries") == "0"
    tids = ",".join(f"'{bk['tid']}'" for bk in finished)
    postings = psql(c.database_url, f"""SELECT transaction_id || ':' || kind || ':' || count(DISTINCT posting_id)
                                        FROM payment.ledger_entries WHERE transaction_id IN ({tids}) GROUP BY transaction_id, kind""").split()
    per = {}
    for row in postings:
        tid, kind, n = row.split(":")
        per.setdefault(tid, {})[kind] = int(n)
    assert all(per.get(bk["tid"]) == {"hold": 1, "release": 1} for bk in finished), per
    assert psql(c.database_url, f"SELECT count(*) FROM payment.transactions WHERE id IN ({tids}) AND escrow_status = 'released'") == str(PAIRS)

    summary = {
        "bookings": PAIRS, "requests answered": t.answered, "answered after the kill": t.answered - answered_at_kill,
        "lost in flight": len(t.failures), "refused by the dead gateway (not taken)": t.refused,
        "jobs recovered from killed workers (stalled)": recovered, "seconds": round(time.time() - began, 1),
        "failures": [(round(s - kill_started, 2), m, p, w) for s, _, m, p, w in t.failures],
    }
    (log_dir / "every-service-twice-summary.json").write_text(json.dumps(summary, indent=2))
    print("\nevery service twice:", json.dumps(summary, indent=2))
