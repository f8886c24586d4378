"""System tests: the real executables, started as `make run` starts them,
driven over HTTP. They use the PostgreSQL and Redis that `make test` started
(DATABASE_URL, REDIS_URL) and a fresh database of their own."""
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("TRUSTTRADE_BIN", ROOT / ".build" / "debug"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def psql(url, sql):
    out = subprocess.run(["psql", url, "-At", "-v", "ON_ERROR_STOP=1", "-c", sql],
                         check=True, capture_output=True, text=True)
    return out.stdout.strip()


class HTTPResult:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)


def request(method, url, body=None, headers=None, timeout=30):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    if body is not None:
        req.add_header("Content-Type", "application/json")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return HTTPResult(r.status, dict(r.headers), r.read())
    except urllib.error.HTTPError as e:
        return HTTPResult(e.code, dict(e.headers), e.read())


class Service:
    """One executable on a free port; stopped with SIGTERM like an orchestrator does."""

    def __init__(self, name, env, log_dir):
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        full_env = dict(os.environ)
        full_env.update(env)
        full_env["PORT"] = str(self.port)
        if name == "gateway":
            # Its /metrics listener, on a port of its own (several gateways run at once).
            self.metrics_port = int(full_env.get("GATEWAY_METRICS_PORT") or free_port())
            full_env["GATEWAY_METRICS_PORT"] = str(self.metrics_port)
        self.log_path = log_dir / f"{name}-{self.port}.log"
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([str(BIN / name)], env=full_env, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_healthy(self, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}: {self.log_path.read_text()[-2000:]}")
            try:
                if request("GET", self.url + "/health", timeout=2).status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} not healthy: {self.log_path.read_text()[-2000:]}")

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode


@pytest.fixture(scope="session")
def database_url():
    base = os.environ.get("DATABASE_URL", "postgres://trusttrade:trusttrade@127.0.0.1:5432/trusttrade")
    name = "tt_system_" + uuid.uuid4().hex[:8]
    psql(base, f"CREATE DATABASE {name}")
    return base.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(scope="session")
def redis_url():
    base = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    return base.rsplit("/", 1)[0] + "/9"


@pytest.fixture(scope="session")
def log_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("service-logs")


@pytest.fixture(scope="session")
def service_account(tmp_path_factory):
    """A throwaway Google service-account key for the FCM stand-in and the sender."""
    d = tmp_path_factory.mktemp("fcm")
    key = d / "key.pem"
    subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", str(key)],
                   check=True, capture_output=True)
    path = d / "service-account.json"
    path.write_text(json.dumps({"type": "service_account", "project_id": "trusttrade-test", "private_key_id": "t",
                                "private_key": key.read_text(), "client_email": "push@trusttrade-test.iam.gserviceaccount.com",
                                "token_uri": "http://127.0.0.1/fcm/token"}))
    return str(path)


@pytest.fixture(scope="session")
def standins(log_dir, service_account):
    s = Service("standins", {"LOG_LEVEL": "warning", "FCM_SERVICE_ACCOUNT_FILE": service_account,
                             "PAYMONGO_WEBHOOK_SECRET": "whsk_system_test"}, log_dir).wait_healthy()
    yield s
    s.stop()


@pytest.fixture(scope="session")
def auth_env(database_url, redis_url, standins):
    return {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "AUTH_BCRYPT_COST": "4",
        "LOG_LEVEL": "warning",
        "STANDINS_URL": standins.url,
        # As deployed: behind the gateway, the client's address is its X-Client-IP
        # (tests tell their callers apart by it, e.g. for the login throttle).
        "TRUST_PROXY": "true",
    }


@pytest.fixture(scope="session")
def auth(auth_env, log_dir):
    s = Service("auth-service", auth_env, log_dir).wait_healthy()
    yield s
    assert s.stop() == 0, "auth-service must exit cleanly on SIGTERM"


@pytest.fixture(scope="session")
def notification(auth, auth_env, log_dir, service_account, standins):
    sa = json.load(open(service_account))
    sa["token_uri"] = standins.url + "/fcm/token"
    path = log_dir / "notification-sa.json"
    path.write_text(json.dumps(sa))
    env = dict(auth_env, STANDINS_URL=standins.url, FCM_SERVICE_ACCOUNT_FILE=str(path),
               AUTH_JWKS_URL=auth.url + "/v1/auth/.well-known/jwks.json")
    s = Service("notification-service", env, log_dir).wait_healthy()
    yield s
    assert s.stop() == 0, "notification-service must exit cleanly on SIGTERM"


@pytest.fixture(scope="session")
def core(auth, auth_env, log_dir, files):
    env = dict(auth_env, AUTH_JWKS_URL=auth.url + "/v1/auth/.well-known/jwks.json", AUTH_BASE_URL=auth.url, FILE_BASE_URL=files.url)
    s = Service("core-service", env, log_dir).wait_healthy()
    yield s
    assert s.stop() == 0, "core-service must exit cleanly on SIGTERM"


@pytest.fixture(scope="session")
def payment(auth, auth_env, log_dir, standins, core):
    env = dict(auth_env, AUTH_JWKS_URL=auth.url + "/v1/auth/.well-known/jwks.json", CORE_BASE_URL=core.url,
               PAYMONGO_BASE_URL=standins.url + "/paymongo", PAYMONGO_WEBHOOK_SECRET="whsk_system_test")
    s = Service("payment-service", env, log_dir).wait_healthy()
    yield s
    assert s.stop() == 0, "payment-service must exit cleanly on SIGTERM"


@pytest.fixture(scope="session")
def ai(auth, auth_env, log_dir):
    env = dict(auth_env, AUTH_JWKS_URL=auth.url + "/v1/auth/.well-known/jwks.json")
    s = Service("ai-service", env, log_dir).wait_healthy()
    yield s
    assert s.stop() == 0, "ai-service must exit cleanly on SIGTERM"


@pytest.fixture(scope="session")
def files(auth, auth_env, log_dir, tmp_path_factory):
    env = dict(auth_env, AUTH_JWKS_URL=auth.url + "/v1/auth/.well-known/jwks.json",
               FILE_STORAGE_PATH=str(tmp_path_factory.mktemp("files")), CLAMD_PORT=os.environ.get("CLAMD_PORT", "3310"))
    s = Service("file-service", env, log_dir).wait_healthy()
    yield s
    assert s.stop() == 0, "file-service must exit cleanly on SIGTERM"
