#!/usr/bin/env python3
"""scripts/bench_kernel.py: start a plain evcxr kernel and the kubelab kernel in turns, in one run
on one machine, against one labsim, and print for both: start to ready (kernel_info answered) and
to the first cell done, median of five trivial cells vs five `nodes()?`, the first `let`, the
first result's format, and the kernel's RSS (kernel process and its children). Each kernel kind
is started ROUNDS times; medians are reported. A benchmark, not a test."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from jupyter_client import KernelManager


def rss_tree(pid: int) -> int:
    """RSS in bytes of pid and all its descendants."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
            for t in Path(f"/proc/{p}/task").iterdir():
                kids = (t / "children").read_text().split()
                todo += [int(k) for k in kids]
        except OSError:
            continue
    return total


def run(kc, code: str, timeout: float = 600) -> tuple[float, dict]:
    t0 = time.monotonic()
    mid = kc.execute(code)
    result = {"status": None, "data": {}, "errors": []}
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != mid:
            continue
        t = msg["msg_type"]
        if t == "execute_result":
            result["data"] = msg["content"]["data"]
        elif t == "error" or (t == "stream" and msg["content"]["name"] == "stderr"):
            result["errors"].append(msg["content"])
        elif t == "status" and msg["content"]["execution_state"] == "idle":
            break
    return time.monotonic() - t0, result


def fmt(data: dict) -> str:
    if "text/html" in data and "<table" in data["text/html"]:
        return "HTML 표"
    plain = data.get("text/plain", "")
    return "Debug" if plain[:1].isupper() and " {" in plain[:40] else (plain[:30] or "(없음)")


def one_kernel(kind: str, spec_env: dict, cwd: str) -> dict:
    km = KernelManager(kernel_name="rust" if kind == "plain" else "kubelab")
    env = dict(os.environ, **spec_env)
    t0 = time.monotonic()
    km.start_kernel(env=env, cwd=cwd)
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=900)
    ready = time.monotonic() - t0
    out: dict = {"ready": ready}
    try:
        if kind == "kubelab":
            dt, r = run(kc, "cluster()?")
            out["first_result"] = fmt(r["data"])
        else:
            run(kc, "1 + 1")
        out["first_cell"] = time.monotonic() - t0
        trivial = [run(kc, "1 + 1")[0] for _ in range(5)]
        out["trivial"] = statistics.median(trivial)
        if kind == "kubelab":
            calls = [run(kc, "nodes()?")[0] for _ in range(5)]
            out["call"] = statistics.median(calls)
            out["let"], r = run(kc, "let n = nodes()?;")
            out["let_errors"] = r["errors"]
            # last: a first `.await` switches evcxr to async mode (tokio in every later cell)
            dt, r = run(kc, "let lab = kubelab::Lab::connect().await?;\nlab.nodes().await?")
            out["first_await_result"] = fmt(r["data"])
        else:
            out["let"], _ = run(kc, "let x = 5;")
        out["rss"] = rss_tree(km.provisioner.process.pid)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--labsim", required=True)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="kubelab-bench-"))
    # the plain kernel's spec (evcxr_jupyter --install) in a folder of its own
    jp = tmp / "jupyter"
    subprocess.run(["evcxr_jupyter", "--install"], env=dict(os.environ, JUPYTER_DATA_DIR=str(jp), JUPYTER_PATH=str(jp)),
                   check=True, capture_output=True)
    os.environ["JUPYTER_PATH"] = str(jp) + os.pathsep + os.environ.get("JUPYTER_PATH", "")
    state = tmp / "labsim"
    subprocess.run([args.labsim, "up", "--state-dir", str(state)], check=True, capture_output=True, timeout=120)
    env = {"KUBECONFIG": str(state / "kubeconfig")}
    rows: dict[str, list[dict]] = {"plain": [], "kubelab": []}
    try:
        for i in range(args.rounds):
            for kind in ("plain", "kubelab"):
                r = one_kernel(kind, env, str(tmp))
                rows[kind].append(r)
                print(f"[{i + 1}/{args.rounds}] {kind}: " + json.dumps({k: (round(v, 2) if isinstance(v, float) else v) for k, v in r.items()}, ensure_ascii=False), flush=True)
    finally:
        subprocess.run([args.labsim, "down", "--state-dir", str(state)], capture_output=True, timeout=120)
        shutil.rmtree(tmp, ignore_errors=True)

    def med(kind: str, key: str) -> float:
        return statistics.median(r[key] for r in rows[kind])

    p, k = "plain", "kubelab"
    print("\n| figure | plain evcxr 0.22 | kubelab kernel | ratio |")
    print("|---|---|---|---|")
    lines = [
        ("start → kernel_info answered", med(p, "ready"), med(k, "ready")),
        ("start → first cell done", med(p, "first_cell"), med(k, "first_cell")),
        ("trivial cell `1 + 1` (median of 5)", med(p, "trivial"), med(k, "trivial")),
        ("helper call `nodes()?` (median of 5) vs plain trivial", med(p, "trivial"), med(k, "call")),
        ("first `let` (`let x = 5;` / `let n = nodes()?;`)", med(p, "let"), med(k, "let")),
    ]
    for name, a, b in lines:
        print(f"| {name} | {a:.2f} s | {b:.2f} s | {b / a:.2f}× |")
    ra, rb = med(p, "rss"), med(k, "rss")
    print(f"| kernel RSS (process tree) | {ra / 2**20:.0f} MiB | {rb / 2**20:.0f} MiB | {rb / ra:.2f}× |")
    print(f"| first result in a fresh kernel | — | {', '.join(sorted({r['first_result'] for r in rows[k]}))} (cluster()?), "
          f"{', '.join(sorted({r['first_await_result'] for r in rows[k]}))} (lab.nodes().await?) | |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
