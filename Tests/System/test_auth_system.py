import base64
import json
import signal
import threading
import time
import uuid

from joserfc import jwt
from joserfc.jwk import KeySet

from conftest import ROOT, Service, psql, request


def new_email():
    return f"sys.{uuid.uuid4().hex[:10]}@example.ph"


def outbox_token(database_url, email, template):
    return psql(database_url, f"""
        SELECT payload->'payload'->'variables'->>'token' FROM auth.outbox
        WHERE event_type = 'email.requested' AND payload->'payload'->>'to' = '{email}'
          AND payload->'payload'->>'template' = '{template}'
        ORDER BY created_at DESC LIMIT 1""")


def register_and_login(base, email, password="Halo-Halo-2026"):
    r = request("POST", base + "/v1/auth/register",
                {"email": email, "password": password, "fullName": "Pedro Penduko", "userType": "consumer"})
    assert r.status == 201, r.body
    r = request("POST", base + "/v1/auth/login", {"email": email, "password": password})
    assert r.status == 200, r.body
    return r.json()["data"]


def test_tokens_verify_with_a_standard_jwt_library_from_the_jwks_alone(auth, database_url):
    email = new_email()
    r = request("POST", auth.url + "/v1/auth/register",
                {"email": email, "password": "Halo-Halo-2026", "fullName": "Pedro Penduko", "userType": "provider"})
    assert r.status == 201, r.body
    assert r.headers.get("X-Request-ID")
    token = outbox_token(database_url, email, "verify-email")
    assert token and token not in r.body.decode()
    assert request("POST", auth.url + "/v1/auth/verify-email", {"token": token}).status == 200

    data = request("POST", auth.url + "/v1/auth/login", {"email": email, "password": "Halo-Halo-2026"}).json()["data"]
    jwks = request("GET", auth.url + "/v1/auth/.well-known/jwks.json").json()
    assert all("d" not in k for k in jwks["keys"])
    decoded = jwt.decode(data["accessToken"], KeySet.import_key_set(jwks), algorithms=["EdDSA"])
    claims = decoded.claims
    assert decoded.header["kid"] in {k["kid"] for k in jwks["keys"]}
    assert claims["sub"] == data["user"]["id"]
    assert claims["email"] == email
    assert claims["userType"] == "provider"
    assert claims["iss"] == "https://api.trusttrade.ph"
    assert claims["aud"] == "trusttrade-api"
    assert claims["exp"] - claims["iat"] == 900
    assert isinstance(claims["exp"], int)
    assert data["user"]["emailVerified"] is True


def test_refresh_rotation_reuse_and_logout(auth):
    data = register_and_login(auth.url, new_email())
    first = data["refreshToken"]
    r = request("POST", auth.url + "/v1/auth/refresh-token", {"refreshToken": first})
    assert r.status == 200
    second = r.json()["data"]
    reuse = request("POST", auth.url + "/v1/auth/refresh-token", {"refreshToken": first})
    assert reuse.status == 401 and reuse.json()["error"]["code"] == "REFRESH_TOKEN_REUSED"
    me = request("GET", auth.url + "/v1/auth/me", headers={"Authorization": "Bearer " + second["accessToken"]})
    assert me.status == 401 and me.json()["error"]["code"] == "SESSION_REVOKED"

    data = register_and_login(auth.url, new_email())
    bearer = {"Authorization": "Bearer " + data["accessToken"]}
    assert request("GET", auth.url + "/v1/auth/me", headers=bearer).status == 200
    assert request("POST", auth.url + "/v1/auth/logout", {"refreshToken": data["refreshToken"]}, headers=bearer).status == 200
    assert request("GET", auth.url + "/v1/auth/me", headers=bearer).status == 401


def test_alg_none_and_foreign_tokens_are_refused(auth):
    data = register_and_login(auth.url, new_email())
    header, payload, _ = data["accessToken"].split(".")
    none = base64.urlsafe_b64encode(json.dumps({"alg": "none", "typ": "JWT"}).encode()).rstrip(b"=").decode()
    for token in (f"{none}.{payload}.", f"{header}.{payload}.AAAA", "not.a.token"):
        r = request("GET", auth.url + "/v1/auth/me", headers={"Authorization": "Bearer " + token})
        assert r.status == 401, token
        assert r.json()["success"] is False


def test_two_instances_started_together_share_keys_and_sessions(auth_env, log_dir):
    base = auth_env["DATABASE_URL"].rsplit("/", 1)[0]
    name = "tt_pair_" + uuid.uuid4().hex[:8]
    psql(auth_env["DATABASE_URL"], f"CREATE DATABASE {name}")
    env = dict(auth_env, DATABASE_URL=f"{base}/{name}")
    a, b = Service("auth-service", env, log_dir), Service("auth-service", env, log_dir)
    try:
        a.wait_healthy()
        b.wait_healthy()
        data = register_and_login(a.url, new_email())
        bearer = {"Authorization": "Bearer " + data["accessToken"]}
        assert request("GET", b.url + "/v1/auth/me", headers=bearer).status == 200
        assert psql(env["DATABASE_URL"], "SELECT count(*) FROM auth.signing_keys") == "1"
        # Each migration ran once, though both instances started at once.
        versions = psql(env["DATABASE_URL"], "SELECT string_agg(version::text, ',' ORDER BY version) FROM auth.schema_migrations")
        shipped = sorted(int(p.name.split("_")[0]) for p in (ROOT / "Services/Auth/Sources/Migrations").glob("*.sql"))
        assert versions == ",".join(map(str, shipped))
        # Logout at B ends the session at A too (shared Redis session).
        assert request("POST", b.url + "/v1/auth/logout", {"refreshToken": data["refreshToken"]}, headers=bearer).status == 200
        assert request("GET", a.url + "/v1/auth/me", headers=bearer).status == 401
    finally:
        assert a.stop() == 0
        assert b.stop() == 0


def test_sigterm_drains_the_request_in_flight(auth_env, log_dir):
    # A high bcrypt cost makes registration take a noticeable time.
    slow = Service("auth-service", dict(auth_env, AUTH_BCRYPT_COST="14"), log_dir).wait_healthy()
    result = {}

    def register():
        result["r"] = request("POST", slow.url + "/v1/auth/register",
                              {"email": new_email(), "password": "Halo-Halo-2026", "fullName": "Slow Poke", "userType": "consumer"},
                              timeout=60)

    t = threading.Thread(target=register)
    t.start()
    time.sleep(0.3)
    slow.proc.send_signal(signal.SIGTERM)
    t.join(60)
    code = slow.stop()
    assert result["r"].status == 201, result["r"].body
    assert code == 0
