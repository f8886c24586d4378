#!/usr/bin/env python3
"""`make test` checks what users deploy with, offline:
  - every file generated from deploy/services.json (Dockerfile, docker-compose.yml,
    deploy/kubernetes/base, deploy/config/*.env.example) is up to date, and the
    Swift code's ports and defaults agree with it (deploy/generate.py --check);
  - every base resource and both overlays, rendered (kustomize's
    resources + namespace + images + JSON 6902 patches, as used here), pass
    kubernetes-validate (Kubernetes 1.30 schemas, strict);
  - docker-compose.yml passes `docker-compose config` (Debian's docker-compose);
  - the Dockerfile builds every executable of Package.swift, has an image
    stage per executable that starts it, and ships every resource bundle
    (a service without its bundle stops at start).
"""
import copy
import os
import re
import subprocess
import sys

import kubernetes_validate
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
K8S = os.path.join(ROOT, "deploy", "kubernetes")
VERSION = "1.30.0"


def load(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def render(directory):
    """Our subset of kustomize: resources, namespace, images, patches (JSON 6902 replace/add)."""
    k = load(os.path.join(directory, "kustomization.yaml"))[0]
    docs = []
    for r in k.get("resources", []):
        path = os.path.join(directory, r)
        docs += render(path) if os.path.isdir(path) else load(path)
    docs = copy.deepcopy(docs)
    for d in docs:
        if "namespace" in k:
            d.setdefault("metadata", {})["namespace"] = k["namespace"]
        for c in d.get("spec", {}).get("template", {}).get("spec", {}).get("containers", []):
            for image in k.get("images", []):
                if c["image"].split(":")[0] == image["name"]:
                    c["image"] = image["name"] + ":" + str(image["newTag"])
    for p in k.get("patches", []):
        target, ops = p["target"], yaml.safe_load(p["patch"])
        matched = [d for d in docs if d["kind"] == target["kind"] and target.get("name", d["metadata"]["name"]) == d["metadata"]["name"]]
        if not matched:
            sys.exit(f"{directory}: patch target {target} matches nothing")
        for d in matched:
            for op in ops:
                parts = op["path"].strip("/").split("/")
                node = d
                for part in parts[:-1]:
                    node = node[part]
                if op["op"] == "replace" and parts[-1] not in node:
                    sys.exit(f"{directory}: {op['path']} is not in {d['kind']}/{d['metadata']['name']}")
                node[parts[-1]] = op["value"]
    return docs


def validate(docs, where):
    for d in docs:
        try:
            kubernetes_validate.validate(d, VERSION, strict=True)
        except Exception as e:  # ValidationError, InvalidSchemaError, ...
            sys.exit(f"{where}: {d.get('kind')}/{d.get('metadata', {}).get('name')}: {e}")
    return len(docs)


def check_dockerfile():
    package = open(os.path.join(ROOT, "Package.swift")).read()
    dockerfile = open(os.path.join(ROOT, "Dockerfile")).read()
    executables = re.findall(r'\.executableTarget\(\s*name:\s*"([^"]+)"', package)
    # Targets that ship resources; SwiftPM names their bundle <package>_<target>.resources.
    bundles = []
    for block in re.split(r"\.(?:executableTarget|target|testTarget)\(", package)[1:]:
        name = re.search(r'name:\s*"([^"]+)"', block)
        if name and re.search(r"^\s*resources:", block.split("\n        ),")[0], re.M):
            bundles.append(f"TrustTrade_{name.group(1)}.resources")
    built = set(re.findall(r"--product ([\w-]+)", dockerfile))
    services = [e for e in executables if e in built]
    problems = []
    for stage in services:
        if not re.search(rf"^FROM runtime AS {re.escape(stage)}$", dockerfile, re.M):
            problems.append(f"no image stage for {stage}")
        elif f'ENTRYPOINT ["/app/{stage}"]' not in dockerfile:
            problems.append(f"the {stage} image does not start /app/{stage}")
    for bundle in bundles:
        if "Tests" in bundle:
            continue
        if f"/out/{bundle} /app/{bundle}" not in dockerfile:
            problems.append(f"{bundle} is not copied into any image")
    if problems:
        sys.exit("Dockerfile: " + "; ".join(problems))
    print(f"Dockerfile: {len(services)} images, {len(bundles)} resource bundles shipped")


def main():
    generated = subprocess.run([sys.executable, os.path.join(ROOT, "deploy", "generate.py"), "--check"])
    if generated.returncode != 0:
        sys.exit("deploy/services.json: generated files are stale or the code disagrees (above); "
                 "run python3 deploy/generate.py")
    base = [os.path.join(K8S, "base", f) for f in sorted(os.listdir(os.path.join(K8S, "base"))) if f != "kustomization.yaml"]
    n = sum(validate(load(f), f) for f in base)
    print(f"kubernetes: {n} base resources valid against {VERSION}")
    for overlay in ("staging", "production"):
        docs = render(os.path.join(K8S, "overlays", overlay))
        kinds = {d["kind"] for d in docs}
        assert {"Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "ConfigMap", "Secret"} <= kinds, kinds
        print(f"kubernetes: overlay {overlay}: {validate(docs, overlay)} resources valid")
    compose = subprocess.run(["docker-compose", "-f", os.path.join(ROOT, "docker-compose.yml"), "config", "-q"], capture_output=True, text=True)
    if compose.returncode != 0:
        sys.exit("docker-compose.yml: " + compose.stderr.strip())
    print("docker-compose.yml: valid (docker-compose config)")
    check_dockerfile()


if __name__ == "__main__":
    main()
