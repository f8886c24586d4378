"""The gateway in front of the real services: the only door clients use."""
import random
import signal
import threading
import time
import uuid

import pytest

from conftest import Service, request


def client_ip():
    """A made-up client address (the gateway trusts X-Forwarded-For from 127.0.0.1 here)."""
    return f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


def gateway_env(redis_url, auth_url, upstreams, **extra):
    env = {
        "REDIS_URL": redis_url,
        "LOG_LEVEL": "warning",
        "AUTH_JWKS_URL": auth_url + "/v1/auth/.well-known/jwks.json",
        "GATEWAY_TRUSTED_PROXIES": "127.0.0.1",
        "GATEWAY_HEALTH_PROBE_INTERVAL_MS": "200",
    }
    for service, urls in upstreams.items():
        env[f"GATEWAY_UPSTREAM_{service.upper()}"] = ",".join(urls)
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def gateways(auth, notification, core, redis_url, log_dir):
    """Two gateway instances on one Redis, like two pods."""
    env = gateway_env(redis_url, auth.url, {"auth": [auth.url], "notification": [notification.url], "core": [core.url]})
    a = Service("gateway", env, log_dir).wait_healthy()
    b = Service("gateway", env, log_dir).wait_healthy()
    yield a, b
    assert a.stop() == 0, "gateway must exit cleanly on SIGTERM"
    assert b.stop() == 0


def test_a_person_signs_up_reads_the_inbox_and_signs_out_through_the_gateway(gateways):
    gw = gateways[0].url
    ip = {"X-Forwarded-For": client_ip()}
    email = f"gw.{uuid.uuid4().hex[:10]}@example.ph"
    r = request("POST", gw + "/v1/auth/register",
                {"email": email, "password": "Halo-Halo-2026", "fullName": "Nena Dizon", "userType": "consumer"}, headers=ip)
    assert r.status == 201, r.body
    assert r.headers["RateLimit-Limit"] == "5"
    r = request("POST", gw + "/v1/auth/login", {"email": email, "password": "Halo-Halo-2026"}, headers=ip)
    assert r.status == 200, r.body
    tokens = r.json()["data"]
    bearer = {"Authorization": "Bearer " + tokens["accessToken"], **ip}

    me = request("GET", gw + "/v1/auth/me", headers=bearer)
    assert me.status == 200 and me.json()["data"]["email"] == email
    assert me.headers["RateLimit-Limit"] == "100"
    profile = request("GET", gw + "/v1/users/me", headers=bearer)
    assert profile.status == 200, profile.body
    assert profile.json()["data"]["fullName"] == "Nena Dizon"
    categories = request("GET", gw + "/v1/categories", headers=ip)
    assert categories.status == 200
    assert "aircon-cleaning" in [c["slug"] for root in categories.json()["data"] for c in root["children"]]
    inbox = request("GET", gw + "/v1/notifications", headers=bearer)
    assert inbox.status == 200, inbox.body
    assert "pagination" in inbox.json()

    assert request("GET", gw + "/internal/users/" + me.json()["data"]["id"], headers=bearer).status == 404
    assert request("GET", gw + "/v1/notifications", headers=ip).status == 401

    out = request("POST", gw + "/v1/auth/logout", {"refreshToken": tokens["refreshToken"]}, headers=bearer)
    assert out.status == 200, out.body
    # The other gateway refuses the old token too: the session is gone from Redis.
    refused = request("GET", gateways[1].url + "/v1/notifications", headers=bearer)
    assert refused.status == 401
    assert refused.json()["error"]["code"] == "SESSION_REVOKED"


def test_the_sixth_login_in_a_minute_is_refused_across_both_gateways(gateways):
    a, b = gateways
    ip = {"X-Forwarded-For": client_ip()}
    # A fresh account name: the auth service also throttles failures per account.
    body = {"email": f"nobody.{uuid.uuid4().hex[:8]}@example.ph", "password": "wrong-password-1"}
    statuses = [request("POST", (a if i % 2 else b).url + "/v1/auth/login", body, headers=ip).status for i in range(5)]
    assert statuses == [401] * 5, statuses
    r = request("POST", a.url + "/v1/auth/login", body, headers=ip)
    assert r.status == 429
    assert r.json()["error"]["code"] == "RATE_LIMITED"
    assert r.headers["X-RateLimit-Remaining-Minute"] == "0"
    assert 1 <= int(r.headers["Retry-After"]) <= 108
    assert request("POST", b.url + "/v1/auth/login", body, headers=ip).status == 429


def test_killing_an_auth_instance_moves_traffic_without_errors(auth_env, redis_url, log_dir):
    first = Service("auth-service", auth_env, log_dir).wait_healthy()
    second = Service("auth-service", auth_env, log_dir).wait_healthy()
    env = gateway_env(redis_url, first.url, {"auth": [first.url, second.url]}, GATEWAY_RATE_LIMIT_GENERAL="100000")
    gw = Service("gateway", env, log_dir).wait_healthy()
    try:
        statuses = []
        lock = threading.Lock()
        done = threading.Event()

        def client():
            while not done.is_set():
                r = request("GET", gw.url + "/v1/auth/.well-known/jwks.json", timeout=10)
                with lock:
                    statuses.append(r.status)

        threads = [threading.Thread(target=client) for _ in range(4)]
        for t in threads:
            t.start()
        time.sleep(1.0)
        first.stop(sig=signal.SIGKILL)
        time.sleep(1.5)
        done.set()
        for t in threads:
            t.join()
        failures = [s for s in statuses if s != 200]
        # At most the requests in flight on the killed instance may fail (4 clients).
        assert len(failures) <= 4, (len(statuses), failures)
        assert len(statuses) > 50
        after = [request("GET", gw.url + "/v1/auth/.well-known/jwks.json").status for _ in range(20)]
        assert after == [200] * 20
    finally:
        assert gw.stop() == 0
        second.stop()
