#!/usr/bin/env python3
"""tests/notebooks/browser.py: the notebooks as a learner runs them: JupyterLab in headless
Chromium (Debian's chromium, driven by Playwright), Run All Cells, the notebook saved by the
browser, its outputs checked.

For each course notebook, in order, on one fresh labsim, each in a fresh kernel (and those named
by --again a second time right after, from the clean file, on the cluster the first run left, as a
learner who opens it again would): every code cell ran, no error/stderr/panic, no result shown as Rust `Debug`, tables rendered as HTML, and the
tagged checks of run.py. Then a notebook with a failing step in the middle: the failing cell is
an `error` output with a Korean message, and Run All stopped there (no later cell ran).
Prints `N passed, M failed`; exits 1 on any failure. Screenshots go to --out.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).parent))
import run  # noqa: E402  (the headless runner's checks, shared)

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except Exception:
            time.sleep(0.3)
    raise TimeoutError(url)


RUN_ALL_DONE = """async () => {
  const app = window.jupyterapp;
  const nb = app.shell.currentWidget;
  if (!nb || !nb.content || !nb.sessionContext || !nb.sessionContext.session) return 'no-notebook';
  const kernel = nb.sessionContext.session.kernel;
  if (!kernel || kernel.status !== 'idle') return 'busy:' + (kernel ? kernel.status : 'none');
  const pending = nb.content.widgets.filter(c => c.model.type === 'code' && c.promptNode && c.promptNode.textContent.includes('*'));
  return pending.length ? 'pending:' + pending.length : 'done';
}"""


# notebook name -> how many pictures (inline SVG outputs) JupyterLab rendered after Run All
PICTURES: dict[str, int] = {}


def run_in_browser(browser, base: str, token: str, name: str, shots: Path, timeout: float, shot: str) -> str:
    # a fresh page and workspace for each notebook, as a learner opening it from the file browser
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{base}/lab/tree/{name}?reset&token={token}")
    page.wait_for_function("(name) => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
                           " return w && w.context && w.context.path === name && w.sessionContext &&"
                           " w.sessionContext.session && w.sessionContext.session.kernel &&"
                           " w.sessionContext.session.kernel.status === 'idle'; }",
                           arg=name, timeout=600_000)
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    time.sleep(1.0)
    deadline = time.monotonic() + timeout
    state = ""
    while time.monotonic() < deadline:
        state = page.evaluate(RUN_ALL_DONE)
        if state == "done":
            # idle with no [*] twice in a row: Run All has finished or stopped
            time.sleep(1.0)
            if page.evaluate(RUN_ALL_DONE) == "done":
                break
        time.sleep(0.5)
    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    time.sleep(1.5)
    page.screenshot(path=str(shots / (shot + ".png")), full_page=False)
    # the pictures (topology, timeline) as JupyterLab rendered them: inline SVG in the outputs
    pictures = page.locator(".jp-OutputArea-output svg[role=img]")
    PICTURES[name] = pictures.count()
    for i in range(PICTURES[name]):
        pictures.nth(i).scroll_into_view_if_needed()
        pictures.nth(i).screenshot(path=str(shots / f"{shot}-picture-{i}.png"))
    page.evaluate("() => window.jupyterapp.commands.execute('kernelmenu:shutdown')")
    time.sleep(1.0)
    page.close()
    return state


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("notebooks", type=Path, nargs="+")
    ap.add_argument("--labsim", default=os.environ.get("KUBELAB_LABSIM", "labsim"))
    ap.add_argument("--out", type=Path, default=Path("tests/notebooks/out/browser"))
    ap.add_argument("--timeout", type=float, default=900)
    ap.add_argument("--again", action="append", default=[],
                    help="run this notebook (file name) a second time right after the first")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    result = run.Result()
    work = Path(tempfile.mkdtemp(prefix="kubelab-browser-"))
    args.out.mkdir(parents=True, exist_ok=True)
    nbdir = work / "notebooks"
    nbdir.mkdir()
    names = []
    originals: dict[str, Path] = {}
    for p in args.notebooks:
        for f in (sorted(p.glob("*.ipynb")) if p.is_dir() else [p]):
            shutil.copy(f, nbdir / f.name)
            originals[f.name] = f
            names.append(f.name)
    # the course notebooks refer to ../manifests
    repo = Path(__file__).resolve().parents[2]
    shutil.copytree(repo / "manifests", work / "manifests")
    fail_nb = nbformat.v4.new_notebook()
    fail_nb.metadata["kernelspec"] = {"name": "kubelab", "display_name": "Rust (StatefulSet 실습)", "language": "rust"}
    fail_nb.cells = [nbformat.v4.new_code_cell(c) for c in
                     ["nodes()?", 'apply("/tmp/kubelab-없는-파일.yaml")?', 'println!("실행되면 안 됩니다");', "pods()?"]]
    nbformat.write(fail_nb, nbdir / "zz-errors.ipynb")

    state = work / "labsim"
    up = subprocess.run([args.labsim, "up", "--state-dir", str(state), "--timeout", "60"],
                        capture_output=True, text=True, timeout=120)
    if up.returncode != 0:
        result.check(False, "labsim up", up.stdout + up.stderr)
        print(f"{len(result.passed)} passed, {len(result.failed)} failed")
        return 1
    port, token = free_port(), secrets.token_hex(16)
    env = dict(os.environ, KUBECONFIG=str(state / "kubeconfig"), KUBELAB_LABSIM=args.labsim)
    extra = ["--allow-root"] if os.getuid() == 0 else []
    lab = subprocess.Popen([sys.executable, "-m", "jupyter", "lab", "--no-browser", *extra, "--ip=127.0.0.1",
                            f"--port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
                            f"--ServerApp.root_dir={nbdir}", "--LabApp.expose_app_in_browser=True",
                            "--MappingKernelManager.default_kernel_name=kubelab"],
                           env=env, stdout=open(work / "jupyter.log", "w"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/api?token={token}", 60)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS,
                                         headless=True)
            runs = [(n, again) for n in names for again in ([False, True] if n in args.again else [False])]
            for name, again in runs + [("zz-errors.ipynb", False)]:
                shot = Path(name).stem + (".again" if again else "")
                if again:
                    # the second run starts from the clean file, so a cell that does not run
                    # this time cannot pass on the first run's output
                    shutil.copy(originals[name], nbdir / name)
                print(f"\n=== {name}{' (다시)' if again else ''} (브라우저, Run All) ===", flush=True)
                t0 = time.monotonic()
                state_s = run_in_browser(browser, base, token, name, args.out, args.timeout, shot)
                print(f"  {time.monotonic() - t0:.1f}s ({state_s})", flush=True)
                nb = nbformat.read(nbdir / name, as_version=4)
                shutil.copy(nbdir / name, args.out / (shot + ".ipynb"))
                label = name + (" (다시)" if again else "")
                code = [c for c in nb.cells if c.cell_type == "code"]
                if name == "zz-errors.ipynb":
                    texts = [run.output_text(c) for c in code]
                    err = [o for o in code[1].outputs if o.output_type == "error"]
                    result.check(not texts[0][1] and "minikube-m02" in texts[0][0], f"{name}: 첫 셀은 정상 (노드 표)", str(texts[0]))
                    result.check(len(err) == 1 and "없는-파일" in err[0].evalue and err[0].ename,
                                 f"{name}: 실패한 셀에 한국어 error 출력", str(code[1].outputs))
                    result.check(all(not c.outputs and c.execution_count is None for c in code[2:]),
                                 f"{name}: Run All이 실패한 셀에서 멈췄다", str([c.outputs for c in code[2:]]))
                    continue
                unrun = [i for i, c in enumerate(code) if c.execution_count is None]
                problems = [(i, p) for i, c in enumerate(code) for p in run.output_text(c)[1]]
                result.check(not unrun and not problems, f"{label}: 모든 셀이 실행되고 문제 없음",
                             f"실행 안 된 셀 {unrun}; 문제 {problems[:3]}")
                tables = sum(1 for c in code for o in c.outputs
                             if o.output_type == "execute_result" and "<table" in o.get("data", {}).get("text/html", ""))
                result.check(tables > 0 or name.startswith("00"), f"{label}: 표가 HTML로 렌더링됨 ({tables}개)")
                drawn = sum(1 for c in code if any(t in c.metadata.get("tags", []) for t in ("timeline", "topology"))
                            or any(t.startswith("topology-") for t in c.metadata.get("tags", [])))
                result.check(PICTURES.get(name, 0) >= drawn,
                             f"{label}: 그림 {drawn}개가 SVG로 렌더링됨 (화면에 {PICTURES.get(name, 0)}개)")
                tagged = {t: run.output_text(c)[0] for c in code for t in c.metadata.get("tags", [])}
                # 01 reports what an earlier run left: nothing the first time, the first run's
                # StatefulSet and claims the second (the same checks as the headless runner's)
                checks = run.CHECKS.get(name, [])
                if name == "01-statefulset-mysql.ipynb":
                    checks = checks + (run.AGAIN_CHECKS if again else
                                       [("leftovers", "처음 실행: 깨끗한 클러스터라고 알려 준다", run.has_all("깨끗한 클러스터"))])
                for tag, what, check in checks:
                    ok, detail = run.apply_check(tag, check, tagged)
                    result.check(ok, f"{label}: {what}", detail[:2000])
            browser.close()
    finally:
        lab.terminate()
        try:
            lab.wait(timeout=20)
        except subprocess.TimeoutExpired:
            lab.kill()
        subprocess.run([args.labsim, "down", "--state-dir", str(state)], capture_output=True, timeout=120)
        shutil.copy(work / "jupyter.log", args.out / "jupyter.log")
        shutil.rmtree(work, ignore_errors=True)
    print(f"{len(result.passed)} passed, {len(result.failed)} failed")
    return 1 if result.failed else 0


if __name__ == "__main__":
    sys.exit(main())
