#!/usr/bin/env bash
# kernel/setup.sh: install the `kubelab` Jupyter kernel and prebuild its build folder.
#
# Generates (under $LAB_DIR, default <repo>/.lab): evcxr/init.evcxr + evcxr/prelude.rs (the kernel's
# EVCXR_CONFIG_DIR), kernelspec/ (kernel.json + launch.sh); and $KERNEL_BUILD_DIR, the prebuilt
# evcxr build folder each kernel copies. Installs the kernelspec into the venv (--sys-prefix) so the
# learner's other kernels stay untouched. Does nothing when the stamp (hash of Cargo.lock, the
# crate's Cargo.toml and src/**, these templates, evcxr and rustc versions) is unchanged.
#
# Environment: PYTHON (venv python, required), CRATE (kubelab crate dir, default the repo),
# LAB_DIR, KERNEL_BUILD_DIR (default /tmp/kubelab-kernel-UID/<hash of CRATE>), KERNEL_NAME (default kubelab), KERNEL_SCOPE (default --sys-prefix), EVCXR_OPT
# (optional `:opt` level), CARGO_BIN (default $CARGO_HOME/bin or ~/.cargo/bin), FORCE=1.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
: "${PYTHON:?PYTHON must name the venv python}"
CRATE=$(cd "${CRATE:-$repo}" && pwd)
LAB_DIR=${LAB_DIR:-$repo/.lab}
KERNEL_NAME=${KERNEL_NAME:-kubelab}
KERNEL_SCOPE=${KERNEL_SCOPE:---sys-prefix}
CARGO_BIN=${CARGO_BIN:-${CARGO_HOME:-$HOME/.cargo}/bin}
EVCXR_OPT=${EVCXR_OPT:-}
# Under /tmp: a build folder under ~/.cache failed here (evcxr built the code crate without its
# :dep and dlopen failed; cause not found yet), the same steps under /tmp work.
KERNEL_BUILD_DIR=${KERNEL_BUILD_DIR:-${TMPDIR:-/tmp}/kubelab-kernel-$(id -u)/$(printf %s "$CRATE" | sha256sum | cut -c1-12)}
export PATH="$CARGO_BIN:$PATH"

command -v evcxr_jupyter >/dev/null || { echo "evcxr_jupyter가 없습니다: 'make setup'이 설치합니다." >&2; exit 1; }

stamp=$(
  {
    echo "crate=$CRATE opt=$EVCXR_OPT name=$KERNEL_NAME python=$PYTHON"
    rustc -V
    # evcxr links with lld when it is installed: a build prepared without it is rebuilt on every
    # kernel start once lld appears (measured: 78 s), so its presence is part of the stamp.
    command -v ld.lld || echo "no lld"
    cargo install --list | grep '^evcxr_jupyter ' || true
    cd "$CRATE"
    for f in Cargo.lock Cargo.toml; do [ -f "$f" ] && sha256sum "$f"; done
    find src -type f | LC_ALL=C sort | xargs -r sha256sum
    cd "$here"
    sha256sum init.evcxr.in prelude.rs kernel.json.in launch.sh.in setup.sh prebuild.py
  } | sha256sum | cut -c1-16
)

installed_stamp=$("$PYTHON" - "$KERNEL_NAME" <<'PY' 2>/dev/null || true
import sys
from jupyter_client.kernelspec import KernelSpecManager
spec = KernelSpecManager().get_kernel_spec(sys.argv[1])
print(spec.metadata.get("kubelab", {}).get("stamp", ""))
PY
)
if [ -z "${FORCE:-}" ] && [ "$installed_stamp" = "$stamp" ] && [ -d "$KERNEL_BUILD_DIR/target" ] \
   && [ "$(cat "$LAB_DIR/kernel.stamp" 2>/dev/null)" = "$stamp" ]; then
  echo "커널 '$KERNEL_NAME': 최신 상태입니다 (stamp $stamp)."
  exit 0
fi
echo "커널 '$KERNEL_NAME': 설정하고 미리 빌드합니다 (stamp $stamp)."

cfg="$LAB_DIR/evcxr"; ks="$LAB_DIR/kernelspec"
# The build folder must live outside the repo: inside it, cargo would take evcxr's crate for an
# unlisted member of the repo's workspace and refuse to load it.
template="$KERNEL_BUILD_DIR"
mkdir -p "$cfg" "$ks"

# 1. evcxr start-up files (the kernel's EVCXR_CONFIG_DIR).
opt_line=""; [ -n "$EVCXR_OPT" ] && opt_line=":opt $EVCXR_OPT"
sed -e "s|@CRATE@|$CRATE|g" -e "s|@OPT@|$opt_line|" "$here/init.evcxr.in" | grep -v '^//' > "$cfg/init.evcxr"
cp "$here/prelude.rs" "$cfg/prelude.rs"

# 2. kernelspec: kernel.json, launcher, logos borrowed from evcxr's own kernelspec.
sed -e "s|@STAMP@|$stamp|" "$here/kernel.json.in" > "$ks/kernel.json"
sed -e "s|@CARGO_BIN@|$CARGO_BIN|g" -e "s|@CONFIG_DIR@|$cfg|g" -e "s|@TEMPLATE@|$template|g" \
  "$here/launch.sh.in" > "$ks/launch.sh"
chmod +x "$ks/launch.sh"
logos=$(mktemp -d)
JUPYTER_PATH="$logos" JUPYTER_DATA_DIR="$logos" evcxr_jupyter --install >/dev/null 2>&1 || true
cp "$logos"/kernels/rust/logo-*.png "$ks/" 2>/dev/null || true
rm -rf "$logos"

# 3. Prebuild into a fresh folder (seeded from the old one so only kubelab recompiles), then swap.
new="$template.new"
mkdir -p "$(dirname "$template")"
# The kernelspec must be installed for jupyter_client to start it; install before prebuilding.
"$PYTHON" -m jupyter kernelspec install "$KERNEL_SCOPE" --name "$KERNEL_NAME" "$ks" >/dev/null
prebuild() { # $1 = seed folder or empty
  rm -rf "$new"
  if [ -n "$1" ]; then cp -a --reflink=auto "$1" "$new"; else mkdir -p "$new"; fi
  KUBELAB_KERNEL_PREBUILD="$new" "$PYTHON" "$here/prebuild.py" "$KERNEL_NAME" "$new"
}
# Seeded from the previous build only kubelab recompiles; if that fails (a stale artifact),
# build from scratch once before giving up.
if [ -d "$template/target" ]; then
  prebuild "$template" || { echo "커널: 이전 빌드를 재사용하지 못해 처음부터 다시 빌드합니다." >&2; prebuild ""; }
else
  prebuild ""
fi
rm -rf "$template.old"
if [ -d "$template" ]; then mv "$template" "$template.old"; fi
mv "$new" "$template"
rm -rf "$template.old"
echo "$stamp" > "$LAB_DIR/kernel.stamp"
echo "커널 '$KERNEL_NAME' 준비 완료 (미리 빌드된 폴더 $(du -sh "$template" | cut -f1): $template)"
