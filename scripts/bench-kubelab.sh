#!/usr/bin/env bash
# Benchmark of kubelab's steps (figures for the closing note; not a test): starts labsim
# in-process, applies the lab, times each kubelab read next to the `kubectl get` process (median
# of 10), and how long after the server marks a pod Ready `watch_pods`/`wait_ready` report it.
# Usage: scripts/bench-kubelab.sh     (debug build, like the notebooks' kernel)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/kubelab-target}"
cargo build -q -p kubelab-core --example bench_steps
# the `$ kubectl ...` lines and streamed watch lines go to the log; the table is printed at the end
LOG=$(mktemp /tmp/kubelab-bench.XXXXXX.log)
if ! timeout 600 "$CARGO_TARGET_DIR/debug/examples/bench_steps" >"$LOG" 2>&1; then
  tail -40 "$LOG"; echo "bench failed (log: $LOG)"; exit 1
fi
sed -n '/=== kubelab bench/,$p' "$LOG"
rm -f "$LOG"
