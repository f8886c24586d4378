"""The published API (issue "Ship it", the contract): the gateway serves one
OpenAPI 3.1 document at /v1/openapi.json; every route a service serves under
/v1 has an operation in it and every operation a route; and schemathesis,
through the gateway with real tokens, finds no 5xx and no answer (status,
content type, body) outside the document.

The rate limits are raised for this gateway by its ordinary configuration
(GATEWAY_RATE_LIMIT_*), as an operator would for a load test.

OPENAPI_PATHS_REGEX limits the fuzzing to some paths (while writing a part of
the document); SCHEMATHESIS_MAX_EXAMPLES and SCHEMATHESIS_SEED tune the run."""
import copy
import hashlib
import hmac
import json
import os
import random
import subprocess
import sys
import time
import uuid

import pytest

import datetime

from conftest import BIN, Service, request
from test_marketplace_system import png_photo, upload
from test_marketplace_system import sign_up as sign_up_as
from openapi_doc import assemble, operations
from test_gateway_system import client_ip, gateway_env

INTERNAL_SECRET = os.environ.get("INTERNAL_SERVICE_SECRET", "dev-internal-secret-change-me")
# The gateway answers these itself.
GATEWAY_OPERATIONS = {("GET", "/v1/openapi.json")}


@pytest.fixture(scope="module")
def system(auth, notification, core, payment, ai, files, standins, redis_url, log_dir):
    services = {"auth-service": auth, "notification-service": notification, "core-service": core,
                "payment-service": payment, "ai-service": ai, "file-service": files}
    unlimited = "1000000"
    env = gateway_env(redis_url, auth.url, {"auth": [auth.url], "notification": [notification.url], "core": [core.url],
                                            "payment": [payment.url], "ai": [ai.url], "file": [files.url]},
                      GATEWAY_RATE_LIMIT_AUTH=unlimited, GATEWAY_RATE_LIMIT_SEARCH=unlimited,
                      GATEWAY_RATE_LIMIT_GENERAL=unlimited, GATEWAY_RATE_LIMIT_UPLOAD=unlimited)
    gw = Service("gateway", env, log_dir).wait_healthy()
    yield gw.url, services
    assert gw.stop() == 0


def service_token(name):
    message = f"{name}.{int(time.time())}"
    return message + "." + hmac.new(INTERNAL_SECRET.encode(), message.encode(), hashlib.sha256).hexdigest()


def served_routes(service):
    r = request("GET", service.url + "/internal/routes", headers={"X-Service-Token": service_token("contract-test")})
    assert r.status == 200, r.body
    return {(route["method"], route["path"]) for route in r.json()["data"]}


def test_the_gateway_serves_the_document_kept_with_the_code(system):
    gw, _ = system
    r = request("GET", gw + "/v1/openapi.json")
    assert r.status == 200, r.body
    assert r.headers.get("Content-Type", "").startswith("application/json")
    served = json.loads(r.body)
    assert served == assemble(), "the gateway assembles the same document as Tests/System/openapi_doc.py"
    from openapi_spec_validator import validate
    validate(copy.deepcopy(served))
    assert served["openapi"].startswith("3.1")
    # Anonymous callers may read it (clients generate code from it).
    assert "bearerAuth" in served["components"]["securitySchemes"]


def test_every_route_has_an_operation_and_every_operation_a_route(system):
    _, services = system
    served = set(GATEWAY_OPERATIONS)
    owner = {}
    for name, service in services.items():
        for route in served_routes(service):
            assert route not in owner, f"{route} is served by both {owner.get(route)} and {name}"
            owner[route] = name
            served.add(route)
    documented = set(operations(assemble()))
    undocumented = sorted(served - documented)
    unserved = sorted(documented - served)
    assert not undocumented, "routes without an operation in the OpenAPI document:\n" + "\n".join(
        f"  {m} {p} ({owner.get((m, p), 'gateway')})" for m, p in undocumented)
    assert not unserved, "operations no service serves:\n" + "\n".join(f"  {m} {p}" for m, p in unserved)


def sign_up(gw, user_type, ip):
    email = f"fuzz.{user_type}.{uuid.uuid4().hex[:8]}@example.ph"
    password = "Sinigang-na-Baboy-7"
    r = request("POST", gw + "/v1/auth/register", {"email": email, "password": password, "fullName": f"Fuzz {user_type.title()}",
                                                   "phone": "0917" + str(random.randint(1000000, 9999999)), "userType": user_type},
                headers={"X-Forwarded-For": ip})
    assert r.status == 201, r.body
    return email, password


def log_in(gw, email, password, ip):
    r = request("POST", gw + "/v1/auth/login", {"email": email, "password": password}, headers={"X-Forwarded-For": ip})
    assert r.status == 200, r.body
    return r.json()["data"]["accessToken"]


def admin_token(gw, auth_env, ip):
    email, password = sign_up(gw, "consumer", ip)
    # Admins come from the operator's command, as in production.
    env = dict(os.environ, **auth_env)
    done = subprocess.run([str(BIN / "auth-service"), "grant-admin", email], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    return log_in(gw, email, password, ip)


def token_of(headers):
    return headers["Authorization"].removeprefix("Bearer ")


@pytest.fixture(scope="module")
def world(system, standins):
    """Real records for the fuzzer to aim at: a pro with a profile and a photo,
    a customer with a pending, an accepted and a paid booking with them, and
    a chat. Without them every id it makes up is a 404 and the handlers'
    deeper rules are never reached."""
    gw, _ = system
    customer, customer_id = sign_up_as(gw, "Fuzz Customer", "consumer")
    pro, pro_id = sign_up_as(gw, "Fuzz Pro", "provider")
    tree = request("GET", gw + "/v1/categories", headers=customer).json()["data"]
    category = next(c for root in tree for c in root["children"] if c["slug"] == "aircon-cleaning")
    r = request("POST", gw + "/v1/providers", {
        "categoryId": category["id"], "businessName": "Fuzz Aircon Services", "description": "Split-type cleaning.",
        "hourlyRate": 50000, "serviceAreas": ["Makati City"], "skills": ["chemical wash"],
        "latitude": 14.5560, "longitude": 121.0230}, headers=pro)
    assert r.status == 201, r.body
    provider_id = r.json()["data"]["id"]
    bookings = []
    for days in (3, 4, 5):
        slot = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=days)).replace(
            hour=2, minute=0, second=0, microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
        r = request("POST", gw + "/v1/bookings", {"providerId": provider_id, "title": "Clean one unit", "location": "Makati",
                                                  "scheduledDate": slot, "estimatedHours": 2}, headers=customer)
        assert r.status == 201, r.body
        bookings.append(r.json()["data"]["id"])
    for booking in bookings[1:]:
        assert request("PUT", gw + f"/v1/bookings/{booking}/accept", headers=pro).status == 200
    r = request("POST", gw + "/v1/payments/create", {"bookingId": bookings[2], "method": "gcash",
                                                     "returnUrl": standins.url + "/health"}, headers=customer)
    assert r.status == 201, r.body
    pay = r.json()["data"]
    assert request("POST", pay["redirectUrl"] + "/authorize").status in (200, 303)
    r = request("POST", gw + "/v1/chats", {"providerId": provider_id}, headers=customer)
    assert r.status == 201, r.body
    chat = r.json()["data"]["id"]
    assert request("POST", gw + f"/v1/chats/{chat}/messages", {"content": "Pwede po bukas?"}, headers=customer).status == 201
    status, body = upload(gw, pro, "portfolio", "work.png", png_photo())
    assert status == 201, body
    known = [provider_id, pro_id, customer_id, *bookings, pay["transactionId"], chat, body["data"]["id"], category["id"]]
    return {"pro": token_of(pro), "known": known}


def fuzzing_config(path, known):
    """Ids the fuzzer uses half of the time where the document takes an id."""
    values = ", ".join(f'"{v}"' for v in known)
    bound = "".join(f'"{name}" = {{ dictionary = "known", probability = 0.5 }}\n' for name in (
        "path.id", "query.providerId", "query.bookingId", "body.providerId", "body.bookingId", "body.transactionId",
        "body.fileId", "body.avatarFileId", "body.categoryId", "body.userId"))
    path.write_text(f"[dictionaries.known]\nvalues = [{values}]\n\n[parameters]\n{bound}")
    return path


# Logging out ends the caller's own session, and with it the token every
# other request of the run carries: it gets a run of its own, last.
LOGOUT = "^/v1/auth/logout$"


@pytest.mark.parametrize("role,paths", [("provider", None), ("admin", None), ("consumer", LOGOUT)])
def test_schemathesis_finds_no_server_error_and_no_answer_outside_the_document(system, world, role, paths, auth_env, log_dir):
    gw, _ = system
    ip = client_ip()
    if role == "admin":
        token = admin_token(gw, auth_env, ip)
    elif role == "provider":
        token = world["pro"]
    else:
        token = log_in(gw, *sign_up(gw, role, ip), ip)
    report = log_dir / f"schemathesis-{role}.xml"
    config = fuzzing_config(log_dir / f"schemathesis-{role}.toml", world["known"])
    command = [
        sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "run", gw + "/v1/openapi.json", "--url", gw,
        "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
        "--max-examples", os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "15"),
        "--seed", os.environ.get("SCHEMATHESIS_SEED", "20261126"),
        # One worker: hypothesis' schema compilation is not thread-safe on CPython 3.11
        # ("AST constructor recursion depth mismatch" in the coverage phase).
        "--workers", "1", "--request-timeout", "30", "--no-color",
        "-H", f"Authorization: Bearer {token}", "-H", f"X-Forwarded-For: {ip}",
        "--report", "junit", "--report-junit-path", str(report),
    ]
    if paths:
        command += ["--include-path-regex", paths]
    else:
        command += ["--exclude-path-regex", LOGOUT]
        if os.environ.get("OPENAPI_PATHS_REGEX"):
            command += ["--include-path-regex", os.environ["OPENAPI_PATHS_REGEX"]]
    started = time.time()
    done = subprocess.run(command, capture_output=True, text=True, timeout=1200)
    output = done.stdout + done.stderr
    (log_dir / f"schemathesis-{role}.log").write_text(output)
    print(f"schemathesis as {role}: exit {done.returncode} in {time.time() - started:.0f} s")
    print(output[-3000:])
    assert done.returncode == 0, output[-20000:]
    # A run whose token stopped working tests only the front door: nothing but
    # the signature-checked webhook may answer 401 to every request (a 403 for
    # another role's operation is the answer it should get).
    assert unauthorized_operations(output) <= {"POST /v1/payments/webhook"}, output[-20000:]


def unauthorized_operations(output):
    """The operations schemathesis' warning lists under "401 Unauthorized"."""
    listed, inside = set(), False
    for line in output.splitlines():
        if line.startswith("401 Unauthorized ("):
            inside = True
        elif inside and line.strip().startswith("- "):
            listed.add(line.strip()[2:])
        elif inside and listed:
            break
    return listed
