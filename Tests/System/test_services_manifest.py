"""The one list of services, deploy/services.json (no running services needed).

Fails when a file generated from it (Dockerfile, docker-compose.yml,
deploy/kubernetes/base, deploy/config/*.env.example) was edited by hand or not
regenerated, when the Swift code's default port, the gateway's standard
upstreams or a setting's default disagree with it, when the code reads a
variable it does not list, or when Package.swift has a service it does not know.

    python3 -m pytest Tests/System/test_services_manifest.py -q
"""
import copy
import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GENERATOR = ROOT / "deploy" / "generate.py"

spec = importlib.util.spec_from_file_location("deploy_generate", GENERATOR)
generate = importlib.util.module_from_spec(spec)
spec.loader.exec_module(generate)


def manifest():
    return generate.load()


def test_generated_files_are_up_to_date():
    stale = generate.stale_files()
    assert not stale, f"edited by hand or not regenerated: {stale}; edit deploy/services.json and run python3 deploy/generate.py"


def test_swift_ports_upstreams_and_defaults_agree_with_the_manifest():
    problems = generate.swift_disagreements()
    assert not problems, "\n".join(problems)


def test_every_variable_the_code_reads_is_listed():
    missing = generate.swift_disagreements(unlisted=True)
    assert not missing, "add these to the service's variables in deploy/services.json:\n" + "\n".join(missing)


def test_the_check_names_a_hand_edited_file(tmp_path):
    """`generate.py --check` on a copy of the tree: clean passes, a hand edit fails naming the file."""
    m = manifest()
    needed = {"deploy/services.json", "deploy/generate.py"} | set(generate.files(m))
    needed |= {p for s in m["services"] for p in s["config"]}
    for rel in needed:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / rel, tmp_path / rel)
    check = [sys.executable, str(tmp_path / "deploy" / "generate.py"), "--check"]
    clean = subprocess.run(check, capture_output=True, text=True)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    edited = tmp_path / "deploy" / "kubernetes" / "base" / "core-service.yaml"
    edited.write_text(edited.read_text().replace("maxReplicas: 10", "maxReplicas: 11"))
    stale = subprocess.run(check, capture_output=True, text=True)
    assert stale.returncode == 1
    assert "deploy/kubernetes/base/core-service.yaml" in stale.stdout
    assert "docker-compose.yml" not in stale.stdout


def test_a_changed_manifest_makes_the_generated_files_stale():
    m = manifest()
    core = next(s for s in m["services"] if s["name"] == "core-service")
    core["port"] = 3100
    stale = set(generate.stale_files(m))
    assert {"Dockerfile", "docker-compose.yml", "deploy/kubernetes/base/core-service.yaml",
            "deploy/kubernetes/base/gateway.yaml", "deploy/config/gateway.env.example"} <= stale, stale


def test_a_disagreeing_default_is_named():
    m = manifest()
    core = next(s for s in m["services"] if s["name"] == "core-service")
    core["port"] = 3100
    next(v for v in core["variables"] if v["name"] == "CORE_WORKER_CONCURRENCY")["default"] = "11"
    next(v for v in m["common_variables"] if v["name"] == "LOG_LEVEL")["default"] = "debug"
    problems = "\n".join(generate.swift_disagreements(m))
    assert "CoreConfig.swift: core-service listens on 3000 by default, deploy/services.json says 3100" in problems
    assert "CORE_WORKER_CONCURRENCY defaults to '10' in the code, '11'" in problems
    assert "LOG_LEVEL defaults to 'info' in the code, 'debug'" in problems
    assert "standardUpstreams" in problems  # the gateway's table still says 3000


def test_every_service_executable_is_in_the_manifest():
    package = (ROOT / "Package.swift").read_text()
    executables = {}
    for block in package.split(".executableTarget(")[1:]:
        block = block.split("\n        ),")[0]
        name, path = re.search(r'name:\s*"([^"]+)"', block), re.search(r'path:\s*"(Services/[^"]+)/Main"', block)
        if path:
            executables[name.group(1)] = path.group(1)
    m = manifest()
    listed = {s["product"]: s for s in m["services"]}
    assert set(executables) == set(listed), "Package.swift's services and deploy/services.json differ"
    for name, path in executables.items():
        s = listed[name]
        assert s["path"] == path, name
        target = re.search(rf'\.target\(\s*name:\s*"{re.escape(s["module"])}",(.*?)\n        \)', package, re.S)
        assert target, f"{name}: no library target {s['module']}"
        ships = "resources:" in target.group(1)
        assert (f"TrustTrade_{s['module']}.resources" in s["bundles"]) == ships, f"{name}: bundles"


def test_the_list_is_consistent():
    m = manifest()
    names = [s["name"] for s in m["services"]]
    ports = [s["port"] for s in m["services"]]
    assert len(set(names)) == len(names) and len(set(ports)) == len(ports)
    assert [s["name"] for s in m["services"] if s["public"]] == ["gateway"]
    assert names[-1] == "gateway", "make run starts the gateway last"
    for s in m["services"]:
        if s["schema"]:
            assert s["upstream"], f"{s['name']}: a service with a schema sits behind the gateway"
        # Each queue's consumer is its service's event handlers (EventTests
        # checks the handlers against the subscription table and this list).
        for q in s["queues"]:
            events = "".join(p.read_text() for p in (ROOT / s["path"] / "Sources" / "Events").glob("*.swift"))
            assert re.search(rf'EventHandlers<\w+>\(queue:\s*\.{q}\)', events), f"{s['name']}: queue {q}"


def test_run_plan_lists_every_service_with_its_port():
    plan = generate.run_plan(manifest(), {"data": "/d", "clamd_port": "1", "fcm_service_account": "/f", "metrics_port": "2"})
    rows = [line.split("\t") for line in plan.splitlines()]
    assert [(r[0], int(r[1])) for r in rows] == [(s["name"], s["port"]) for s in manifest()["services"]]
    assert "{" not in plan
    env = {r[0]: dict(kv.split("=", 1) for kv in r[2:]) for r in rows}
    assert env["core-service"]["TRUST_PROXY"] == "true" and "TRUST_PROXY" not in env["gateway"]
    assert env["file-service"]["FILE_STORAGE_PATH"] == "/d/files"
    assert env["gateway"]["GATEWAY_METRICS_PORT"] == "2"
