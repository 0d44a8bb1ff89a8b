#!/usr/bin/env bash
# Benchmarks for labsim (figures for the closing note; not a test):
#   labsim up to a ready API, apply to 3/3 Ready, idle RSS, RSS per mariadbd and per pod (every
#   process of its sandboxes), kubectl get pods.
# Usage: scripts/bench-labsim.sh [path/to/labsim]   (builds it if not given)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/kubelab-target}"
LABSIM="${1:-}"
if [ -z "$LABSIM" ]; then
  cargo build -q -p labsim
  LABSIM="$CARGO_TARGET_DIR/debug/labsim"
fi
STATE=$(mktemp -d /tmp/labsim-bench.XXXXXX)
HOME_DIR=$(mktemp -d)
trap '"$LABSIM" down --state-dir "$STATE" >/dev/null 2>&1 || true; rm -rf "$STATE" "$HOME_DIR"' EXIT
ms() { date +%s%3N; }
k() { HOME="$HOME_DIR" kubectl --kubeconfig "$STATE/kubeconfig" "$@"; }
rss_kb() { ps -o rss= -p "$1" | tr -d ' '; }

t0=$(ms); "$LABSIM" up --state-dir "$STATE" >/dev/null; t1=$(ms)
echo "labsim up (fresh state dir) to ready API: $((t1 - t0)) ms"
"$LABSIM" down --state-dir "$STATE" >/dev/null
t0=$(ms); "$LABSIM" up --state-dir "$STATE" >/dev/null; t1=$(ms)
echo "labsim up (existing state dir) to ready API: $((t1 - t0)) ms"
PID=$(cat "$STATE/labsim.pid")
sleep 1
echo "idle RSS without pods: $(( $(rss_kb "$PID") / 1024 )) MB"

k get pods >/dev/null 2>&1 || true   # warm kubectl's discovery cache
n=20; t0=$(ms); for _ in $(seq $n); do k get pods >/dev/null 2>&1; done; t1=$(ms)
echo "kubectl get pods: $(( (t1 - t0) / n )) ms mean over $n runs (process start included)"

t0=$(ms); k apply -f manifests/1-sts-mysql.yaml >/dev/null
until [ "$(k get sts mysql -o jsonpath='{.status.readyReplicas}' 2>/dev/null)" = "3" ]; do
  sleep 0.05
  if [ $(( $(ms) - t0 )) -gt 300000 ]; then echo "apply: not 3/3 Ready in 300 s"; exit 1; fi
done
t1=$(ms)
echo "kubectl apply to 3/3 Ready: $((t1 - t0)) ms"
sleep 2
# A pod's processes: its containers' (they have a mount of its run dir) and their bwraps (whose
# command line names it).
pod_rss_kb() {
  local total=0 d
  for d in /proc/[0-9]*; do
    if grep -qs "$1" "$d/mountinfo" || tr '\0' ' ' 2>/dev/null < "$d/cmdline" | grep -qs "bwrap.*$1"; then
      total=$(( total + $(rss_kb "${d#/proc/}" || echo 0) ))
    fi
  done
  echo "$total"
}
for d in "$STATE"/pods/*/; do
  for p in $(grep -ls "$d" /proc/[0-9]*/mountinfo 2>/dev/null | cut -d/ -f3); do
    [ "$(cat "/proc/$p/comm" 2>/dev/null)" = mariadbd ] && echo "mariadbd pid $p RSS: $(( $(rss_kb "$p") / 1024 )) MB"
  done
  echo "pod $(basename "$d" | cut -d_ -f2) RSS (all its processes): $(( $(pod_rss_kb "$d") / 1024 )) MB"
done
echo "labsim RSS with 3 pods: $(( $(rss_kb "$PID") / 1024 )) MB"
n=20; t0=$(ms); for _ in $(seq $n); do k get pods >/dev/null 2>&1; done; t1=$(ms)
echo "kubectl get pods (3 pods): $(( (t1 - t0) / n )) ms mean over $n runs"
