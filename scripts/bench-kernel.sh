#!/usr/bin/env bash
# scripts/bench-kernel.sh: the kubelab kernel beside a plain evcxr kernel, same machine, same run
# (figures for the closing note; not a test). Installs evcxr_jupyter on first use as the reference.
# Usage: PYTHON=.venv/bin/python KERNEL_BIN=... scripts/bench-kernel.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
: "${PYTHON:?}" "${KERNEL_BIN:?}"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
if ! command -v evcxr_jupyter >/dev/null; then
  echo "[bench] 기준이 될 evcxr_jupyter 0.22.0 설치 (처음 한 번, 10분 안팎)"
  cargo install evcxr_jupyter --locked --version 0.22.0
fi
labsim=${KUBELAB_LABSIM:-${CARGO_TARGET_DIR:-$HOME/.cache/kubelab-target}/debug/labsim}
exec "$PYTHON" scripts/bench_kernel.py --labsim "$labsim" --rounds "${1:-3}"
