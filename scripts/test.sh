#!/usr/bin/env bash
# Set up (with test tools) and run the whole test suite: ruff, mypy, pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev
.venv/bin/ruff check --no-cache src tests benchmarks
.venv/bin/ruff format --no-cache --check src tests benchmarks
.venv/bin/mypy
.venv/bin/lint-imports --no-cache
# Two worker processes of one thread each (SAFEDL_TEST_WORKERS=0 runs in this process): small
# models gain little from a second thread, and tests that share an expensive session fixture
# (a Fashion-MNIST model) are kept on one worker (tests/conftest.py, --dist loadgroup).
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
.venv/bin/python -m pytest -n "${SAFEDL_TEST_WORKERS:-2}" --dist loadgroup "$@"
