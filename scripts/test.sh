#!/usr/bin/env bash
# Install Sounding with its test dependencies into .venv, start the servers the tests need on
# 127.0.0.1 (PostgreSQL; the local Bluesky network), and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null || PYTHON=python3
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.lock
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
export SOUNDING_TEST_POSTGRES_URL="${SOUNDING_TEST_POSTGRES_URL:-$(scripts/start-postgres.sh)}"
export SOUNDING_REQUIRE_POSTGRES=1
exec .venv/bin/python -m pytest "$@"
