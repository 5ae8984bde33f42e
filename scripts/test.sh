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
# gbstats (reference engine for the statistics tests) pins numpy<2 in its metadata but runs on the
# locked numpy 2; its own imports are all in the lock, so it goes in without its metadata's pins.
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps gbstats==0.8.0
export SOUNDING_TEST_POSTGRES_URL="${SOUNDING_TEST_POSTGRES_URL:-$(scripts/start-postgres.sh)}"
export SOUNDING_REQUIRE_POSTGRES=1
# the local Bluesky network (Node 22, @atproto/dev-env, PostgreSQL + Redis), installed once and cached;
# the pytest fixture starts and stops it on 127.0.0.1
scripts/bluesky-devnet.sh install
export SOUNDING_REQUIRE_DEVNET=1
# the dashboard's browser tests drive Debian's Chromium through Playwright (never `playwright install`)
if [ ! -x /usr/bin/chromium ]; then
  echo "installing Chromium (Debian chromium)…" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) >&2
fi
export SOUNDING_REQUIRE_CHROMIUM=1
# two or more workers share the machine (the tests of one shared server keep to one worker: conftest.py);
# SOUNDING_TEST_WORKERS=0 runs them in this one process
cores=$(nproc 2>/dev/null || echo 2)
workers=${SOUNDING_TEST_WORKERS:-$(( cores < 2 ? 2 : (cores > 4 ? 4 : cores) ))}
exec .venv/bin/python -m pytest -n "$workers" --dist loadgroup "$@"
