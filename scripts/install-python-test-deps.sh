#!/usr/bin/env bash
# Python tools the system tests use (PyPI), installed only when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
if python3 -c 'import pytest, joserfc, bullmq, redis, moto.server, flask, kubernetes_validate, yaml, schemathesis, openapi_spec_validator, websockets' 2>/dev/null; then
    exit 0
fi
echo "install-python-test-deps: pip install -r Tests/System/requirements.txt"
python3 -m pip install --quiet --disable-pip-version-check -r Tests/System/requirements.txt
