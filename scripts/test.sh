#!/usr/bin/env bash
# Set up (with test tools) and run the whole test suite: ruff, mypy, pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev
.venv/bin/ruff check --no-cache src tests benchmarks
.venv/bin/ruff format --no-cache --check src tests benchmarks
.venv/bin/mypy
.venv/bin/lint-imports --no-cache
.venv/bin/python -m pytest "$@"
