#!/usr/bin/env bash
# kernel/setup.sh: install the `kubelab` Jupyter kernelspec into the venv.
#
# The kernel is one binary, crates/kubelab-kernel (built by `make kernel-bin`): evcxr runs the
# cells, and kubelab-core runs in the kernel process itself. Cells link only the small `kubelab`
# crate, which each kernel compiles in a second or two into its own /tmp folder, so there is no
# prebuilt folder to copy or keep fresh (nothing in it could go stale when lld, mold, the opt level
# or the toolchain change: docs/kernel.md).
#
# Environment: PYTHON (venv python, required), KERNEL_BIN (required), KERNEL_NAME (default
# kubelab), KERNEL_SCOPE (default --sys-prefix: the learner's other kernels stay untouched).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
: "${PYTHON:?PYTHON must name the venv python}"
: "${KERNEL_BIN:?KERNEL_BIN must name the kubelab-kernel binary}"
KERNEL_NAME=${KERNEL_NAME:-kubelab}
KERNEL_SCOPE=${KERNEL_SCOPE:---sys-prefix}
[ -x "$KERNEL_BIN" ] || { echo "커널 실행 파일이 없습니다: $KERNEL_BIN ('make setup'이 빌드합니다)" >&2; exit 1; }

ks=$(mktemp -d)
trap 'rm -rf "$ks"' EXIT
sed -e "s|@BIN@|$KERNEL_BIN|g" -e "s|@CRATE@|$repo|g" "$here/kernel.json.in" > "$ks/kernel.json"
"$PYTHON" -m jupyter kernelspec install "$KERNEL_SCOPE" --name "$KERNEL_NAME" "$ks" >/dev/null
echo "[setup] 커널 '$KERNEL_NAME' 설치: $KERNEL_BIN"
