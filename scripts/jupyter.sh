#!/usr/bin/env bash
# scripts/jupyter.sh: start JupyterLab on the notebooks with the lab's KUBECONFIG, no browser.
# Picks the next free port when PORT is taken and prints the URL with its token.
# Usage: PYTHON=.venv/bin/python PORT=8888 scripts/jupyter.sh ENV_FILE NOTEBOOK_DIR
set -euo pipefail
envfile=${1:?env file}; nbdir=${2:?notebook dir}
: "${PYTHON:?}"
set -a; . "$envfile"; set +a
port=$("$PYTHON" - "${PORT:-8888}" <<'PY'
import socket, sys
start = int(sys.argv[1])
for port in range(start, start + 50):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
        print(port)
        break
else:
    sys.exit(f"포트 {start}-{start + 49}가 모두 사용 중입니다: make lab PORT=9000")
PY
)
[ "$port" = "${PORT:-8888}" ] || echo "[lab] 포트 ${PORT:-8888}은 사용 중이라 $port을 씁니다."
token=$("$PYTHON" -c 'import secrets; print(secrets.token_hex(24))')
url="http://127.0.0.1:$port/lab/tree/01-statefulset-mysql.ipynb?token=$token"
cat <<MSG

==============================================================================
 JupyterLab: $url
 커널 "Rust (StatefulSet 실습)"으로 00-setup → 01 → 02 순서로 실행하세요.
 종료: Ctrl-C (클러스터는 계속 실행됩니다. labsim 정지: make labsim-down)
==============================================================================

MSG
extra=()
# JupyterLab refuses to run as root without this (containers, CI machines).
[ "$(id -u)" = 0 ] && extra+=(--allow-root)
exec "$PYTHON" -m jupyter lab "${extra[@]}" --no-browser --ip=127.0.0.1 --port="$port" --ServerApp.port_retries=0 \
  --IdentityProvider.token="$token" --ServerApp.root_dir="$nbdir" \
  --MappingKernelManager.default_kernel_name=kubelab
