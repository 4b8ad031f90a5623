#!/usr/bin/env bash
# Set up Safe-DL in a virtual environment at .venv (repo root).
#   bash scripts/setup.sh         runtime dependencies
#   bash scripts/setup.sh --dev   plus test tools and the test data (Debian's Fashion-MNIST)
# On a machine without an NVIDIA GPU, a CPU build of torch is installed first, so pip never
# pulls the multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."

dev=0
[ "${1:-}" = "--dev" ] && dev=1
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
pip() { .venv/bin/python -m pip --disable-pip-version-check -q "$@"; }

if ! .venv/bin/python -c "import torch" 2>/dev/null; then
  if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
    echo "setup: NVIDIA GPU found, installing torch with CUDA"
    pip install "torch>=2.6"
  else
    echo "setup: no GPU, installing a CPU build of torch"
    # 1. a local CPU wheel where the machine has one; 2. PyTorch's CPU index; 3. the registry.
    pip install "torch==2.13.0+cpu" 2>/dev/null \
      || pip install torch --index-url https://download.pytorch.org/whl/cpu 2>/dev/null \
      || pip install "torch==2.13.0"
  fi
fi

if [ "$dev" = 1 ]; then
  pip install -e ".[dev]"
  tests_pkg=tests/fixtures/safedl_example_plugin
  [ -d "$tests_pkg" ] && pip install -e "$tests_pkg"
  # Test data and the headless browser that checks the HTML report (Debian packages).
  debs="dataset-fashion-mnist chromium chromium-driver"
  missing=""
  for deb in $debs; do dpkg -s "$deb" >/dev/null 2>&1 || missing="$missing $deb"; done
  if [ -n "$missing" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing Debian packages for the tests:$missing"
    (apt-get update -qq && apt-get install -y -qq $missing) >/dev/null 2>&1 \
      || echo "setup: could not install$missing; the tests that need them will say so"
  fi
else
  pip install -e .
fi
echo "setup: ready ($(.venv/bin/python -c 'import torch; print("torch", torch.__version__)'))"
