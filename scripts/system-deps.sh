#!/usr/bin/env bash
# scripts/system-deps.sh: the system packages the lab needs, installed through the system's
# package manager when missing (with sudo when not root), saying what it runs; where that cannot
# be done, it stops with the exact command to run.
#   mariadb-server, mariadb-client: labsim runs a real MariaDB server for every MySQL pod.
#   bubblewrap: every pod container runs in its own namespaces (bwrap, no root needed).
#   mariadb-backup, ncat, dnsutils: the tutorial images' userland (xtrabackup/xbstream are
#     mariabackup/mbstream; ncat; nslookup and dig in pods).
#   python3-venv: the .venv with JupyterLab.
#   iproute2: labsim's pod network (bridge, veths, addresses and routes inside its namespaces).
# Usage: scripts/system-deps.sh [--check]   (--check: only say what is missing, exit 1 if any)
set -euo pipefail
missing=()
{ command -v mariadbd >/dev/null || [ -x /usr/sbin/mariadbd ]; } || missing+=(mariadb-server)
command -v mysql >/dev/null || command -v mariadb >/dev/null || missing+=(mariadb-client)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3-venv)
[ -x /usr/bin/bwrap ] || missing+=(bubblewrap)
command -v mariabackup >/dev/null || command -v mariadb-backup >/dev/null || missing+=(mariadb-backup)
command -v ncat >/dev/null || missing+=(ncat)
command -v nslookup >/dev/null || missing+=(dnsutils)
command -v ip >/dev/null || [ -x /usr/sbin/ip ] || [ -x /sbin/ip ] || missing+=(iproute2)
[ ${#missing[@]} -eq 0 ] && { echo "[setup] 시스템 패키지: 모두 있습니다."; exit 0; }

if command -v apt-get >/dev/null; then
  cmd="apt-get install -y --no-install-recommends ${missing[*]}"
  upd="apt-get update -q"
elif command -v dnf >/dev/null; then
  cmd="dnf install -y ${missing[*]/python3-venv/python3}"; upd=""
else
  echo "[setup] 필요한 패키지: ${missing[*]} — 이 시스템의 패키지 관리자로 설치하세요." >&2; exit 1
fi
if [ "${1:-}" = "--check" ]; then
  echo "[setup] 없는 패키지: ${missing[*]} (설치: sudo $cmd)" >&2; exit 1
fi
sudo=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo="sudo"
  elif [ -t 0 ] && command -v sudo >/dev/null; then sudo="sudo"
  else
    echo "[setup] 필요한 패키지가 없습니다: ${missing[*]}" >&2
    echo "        다음을 실행한 뒤 다시 시도하세요:" >&2
    [ -n "$upd" ] && echo "        sudo $upd" >&2
    echo "        sudo $cmd" >&2
    exit 1
  fi
fi
echo "[setup] 시스템 패키지 설치: ${sudo:+$sudo }$cmd"
export DEBIAN_FRONTEND=noninteractive
[ -n "$upd" ] && $sudo $upd >/dev/null
$sudo $cmd
