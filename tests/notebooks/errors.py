#!/usr/bin/env python3
"""tests/notebooks/errors.py: a failed step fails its own cell, and Run All stops there.

Talks to the real `kubelab` kernel over Jupyter's protocol (jupyter_client), against a fresh
labsim, and checks what a learner would see:
  * cell by cell: each failing call's Korean error is an `error` output of its own request (no
    stderr stream, nothing under a later cell), its reply status is "error"; a panic and a compile
    error are errors too; a handled error and a good call are not;
  * Run All (all requests sent at once with stop_on_error, as JupyterLab does): the failed cell is
    an error, every later cell is answered "aborted" and shows nothing;
  * a restarted and a SIGKILLed kernel leave no process and no /tmp folder behind.
Prints `N passed, M failed`; exits 1 on any failure.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from jupyter_client.manager import start_new_kernel

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from support.lab import Checks, labsim  # noqa: E402

CHECKS = Checks()
check = CHECKS.check


def collect(kc, msg_ids: list[str], timeout: float = 300) -> dict[str, list[dict]]:
    """IOPub messages per request until every request is idle (a stray one is kept by parent)."""
    pending = set(msg_ids)
    by_parent: dict[str, list[dict]] = {}
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        try:
            msg = kc.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
        except Exception:
            break
        parent = msg["parent_header"].get("msg_id", "")
        by_parent.setdefault(parent, []).append(msg)
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            pending.discard(parent)
    # anything that arrives a moment after idle would land under the next cell in a notebook
    end = time.monotonic() + 0.5
    while time.monotonic() < end:
        try:
            msg = kc.get_iopub_msg(timeout=0.1)
        except Exception:
            continue
        by_parent.setdefault(msg["parent_header"].get("msg_id", ""), []).append(dict(msg, late=True))
    return by_parent


def outputs(msgs: list[dict]) -> list[dict]:
    return [m for m in msgs if m["msg_type"] in ("stream", "error", "execute_result", "display_data")]


def reply_of(kc, msg_id: str) -> dict:
    while True:
        r = kc.get_shell_msg(timeout=300)
        if r["parent_header"].get("msg_id") == msg_id:
            return r


def run_cell(kc, code: str) -> tuple[dict, list[dict]]:
    mid = kc.execute(code, stop_on_error=True)
    reply = reply_of(kc, mid)
    msgs = collect(kc, [mid])
    stray = [m for p, ms in msgs.items() if p != mid for m in outputs(ms)]
    return reply, outputs(msgs.get(mid, [])) + stray


def cell_by_cell(kc, tmp: Path) -> None:
    print("\n=== 셀 하나씩 ===", flush=True)
    broken = tmp / "broken.yaml"
    broken.write_text("apiVersion: v1\nkind: Service\nmetadata:\n  name: x\n spec: {}\n  - bad\n")
    cases = [
        ("없는 파일", 'apply("/tmp/kubelab-none.yaml")?', "kubelab-none.yaml"),
        ("깨진 YAML 줄", f'apply("{broken}")?', "broken.yaml"),
        ("없는 파드", 'mysql("mysql-9")?', "mysql-9"),
        # a learner check with a ❌ fails its cell like a failing verify script, hint included
        ("❌가 있는 확인", 'check("deploy")?', "❌ StatefulSet mysql이 없습니다 → apply("),
    ]
    for what, code, needle in cases:
        reply, outs = run_cell(kc, code)
        errors = [o for o in outs if o["msg_type"] == "error"]
        stderr = [o for o in outs if o["msg_type"] == "stream" and o["content"]["name"] == "stderr"]
        late = [o for o in outs if o.get("late")]
        check(reply["content"]["status"] == "error", f"{what}: 답의 status가 error", str(reply["content"]))
        check(len(errors) == 1 and needle in errors[0]["content"]["evalue"]
              and any("\uac00" <= ch <= "\ud7a3" for ch in errors[0]["content"]["evalue"])
              and any("\uac00" <= ch <= "\ud7a3" for ch in errors[0]["content"]["ename"]),
              f"{what}: 자기 셀에 한국어 error 출력 하나 ({needle})", str(outs))
        check(not stderr and not late, f"{what}: stderr 없음, 늦게 온 출력 없음", str(stderr + late))
        cmd = [o for o in outs if o["msg_type"] == "stream" and o["content"]["text"].startswith("$ kubectl")]
        if what != "없는 파일":
            check(bool(cmd) and outs.index(cmd[0]) < outs.index(errors[0]) if errors else False,
                  f"{what}: kubectl 줄이 오류보다 먼저", str(outs))

    reply, outs = run_cell(kc, "nodes()?")
    html = [o for o in outs if o["msg_type"] == "execute_result" and "text/html" in o["content"]["data"]]
    check(reply["content"]["status"] == "ok" and html and "minikube-m02" in html[0]["content"]["data"]["text/html"],
          "실패 뒤의 nodes()?: HTML 표", str(outs))

    reply, outs = run_cell(kc, 'match mysql("mysql-9") { Err(e) => println!("처리함: {}", e.name()), Ok(_) => {} }')
    check(reply["content"]["status"] == "ok" and not [o for o in outs if o["msg_type"] == "error"],
          "직접 처리한 오류는 셀을 실패시키지 않는다", str(outs))

    reply, outs = run_cell(kc, 'panic!("일부러 낸 패닉")')
    errors = [o for o in outs if o["msg_type"] == "error"]
    check(reply["content"]["status"] == "error" and errors and errors[0]["content"]["ename"] == "패닉"
          and "일부러 낸 패닉" in errors[0]["content"]["evalue"], "패닉: error 출력 (ename 패닉)", str(outs))

    reply, outs = run_cell(kc, 'let n: i32 = "문자열";')
    check(reply["content"]["status"] == "error" and [o for o in outs if o["msg_type"] == "error"],
          "컴파일 오류: error 출력", str(outs))

    reply, outs = run_cell(kc, "let t = nodes()?;\nt.len()")
    res = [o for o in outs if o["msg_type"] == "execute_result"]
    check(reply["content"]["status"] == "ok" and res and res[0]["content"]["data"].get("text/plain") == "3",
          "그 뒤에도 변수와 셀이 정상 (let t = nodes()?; t.len() == 3)", str(outs))


def run_all(kc) -> None:
    print("\n=== Run All (요청을 한꺼번에, stop_on_error) ===", flush=True)
    codes = ["nodes()?", 'apply("/tmp/kubelab-none.yaml")?', 'println!("실행되면 안 됨");', "pods()?"]
    ids = [kc.execute(c, stop_on_error=True) for c in codes]
    replies = {}
    while len(replies) < len(ids):
        r = kc.get_shell_msg(timeout=300)
        replies[r["parent_header"].get("msg_id")] = r["content"]["status"]
    msgs = collect(kc, ids)
    statuses = [replies.get(i) for i in ids]
    check(statuses == ["ok", "error", "aborted", "aborted"], "상태: ok, error, aborted, aborted", str(statuses))
    err = [o for o in outputs(msgs.get(ids[1], [])) if o["msg_type"] == "error"]
    check(len(err) == 1, "실패한 셀에 error 출력", str(outputs(msgs.get(ids[1], []))))
    after = outputs(msgs.get(ids[2], [])) + outputs(msgs.get(ids[3], []))
    check(not after, "실패 뒤의 셀은 실행되지 않았다 (출력 없음)", str(after))


def descendants(pid: int) -> set[int]:
    out, todo = set(), [pid]
    while todo:
        p = todo.pop()
        try:
            for t in Path(f"/proc/{p}/task").iterdir():
                for k in (t / "children").read_text().split():
                    out.add(int(k))
                    todo.append(int(k))
        except OSError:
            pass
    return out


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[-1][:1] not in ("Z", "X")
    except OSError:
        return False


def gone_within(what, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not what():
            return True
        time.sleep(0.2)
    return not what()


def lifecycle(args, cwd: str) -> None:
    """A restarted and a SIGKILLed kernel leave no process and no /tmp folder behind."""
    print("\n=== 커널 재시작과 SIGKILL 뒤 ===", flush=True)
    from jupyter_client import KernelManager
    import signal
    km = KernelManager(kernel_name=args.kernel)
    km.start_kernel(cwd=cwd)
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=600)
    try:
        run_cell(kc, "1 + 1")
        pid = km.provisioner.process.pid
        folder = Path(tempfile.gettempdir()) / f"kubelab-kernel.{pid}"
        kids = descendants(pid)
        check(folder.is_dir() and kids, f"커널 {pid}: 폴더와 셀 실행 프로세스가 있다", str((folder, kids)))
        km.restart_kernel(now=False)
        kc.wait_for_ready(timeout=600)
        check(gone_within(lambda: folder.exists() or any(alive(k) for k in kids | {pid}), 15),
              "재시작 뒤 이전 커널의 프로세스와 폴더가 없다", str([k for k in kids if alive(k)]))
        run_cell(kc, "1 + 1")
        pid2 = km.provisioner.process.pid
        folder2 = Path(tempfile.gettempdir()) / f"kubelab-kernel.{pid2}"
        kids2 = descendants(pid2)
        os.kill(pid2, signal.SIGKILL)
        check(gone_within(lambda: folder2.exists() or any(alive(k) for k in kids2), 15),
              "SIGKILL 뒤 커널의 프로세스와 폴더가 없다",
              str((folder2.exists(), [(k, Path(f"/proc/{k}/cmdline").read_bytes()[:80]) for k in kids2 if alive(k)])))
    finally:
        kc.stop_channels()
        try:
            km.shutdown_kernel(now=True)
        except Exception:
            pass


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--labsim", default=os.environ.get("KUBELAB_LABSIM", "labsim"))
    ap.add_argument("--kernel", default="kubelab")
    args = ap.parse_args()
    with labsim(args.labsim, "kubelab-errtest-", CHECKS) as state:
        if state is None:
            return CHECKS.summary()
        os.environ["KUBECONFIG"] = str(state / "kubeconfig")
        km, kc = start_new_kernel(kernel_name=args.kernel, startup_timeout=600, cwd=str(state))
        try:
            cell_by_cell(kc, state)
            run_all(kc)
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=False)
        lifecycle(args, str(state))
    return CHECKS.summary()


if __name__ == "__main__":
    sys.exit(main())
