#!/usr/bin/env python3
"""tests/repl/test_repl.py: the REPL as a learner meets it, in a pseudo-terminal.

Starts labsim, runs `kubelab-kernel repl` (what `make repl` runs) on a pty, types calls at its
prompt and reads the screen: a text table for `nodes()?` (no HTML, no Rust `Debug`), a Korean
message for a failed step, a session variable that lives on in the next input, and a clean exit.
Prints `N passed, M failed`; exits 1 on any failure.
"""

from __future__ import annotations

import argparse
import os
import pty
import re
import select
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from support.lab import Checks, labsim  # noqa: E402

CHECKS = Checks()
check = CHECKS.check
PROMPT = ">> "


class Pty:
    def __init__(self, argv: list[str], env: dict, cwd: str):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.chdir(cwd)
            os.execvpe(argv[0], argv, env)
        self.buf = b""

    def read_until(self, pattern: str, timeout: float) -> str:
        """Reads until `pattern` (regex) matches the text since the last call; returns that text."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.buf.decode(errors="replace")
            if re.search(pattern, text, re.S):
                self.buf = b""
                return text
            r, _, _ = select.select([self.fd], [], [], 0.2)
            if r:
                try:
                    chunk = os.read(self.fd, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                self.buf += chunk
        text = self.buf.decode(errors="replace")
        self.buf = b""
        raise TimeoutError(f"no /{pattern}/ within {timeout}s; screen:\n{text}")

    def send(self, line: str) -> None:
        os.write(self.fd, (line + "\n").encode())


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--labsim", default=os.environ.get("KUBELAB_LABSIM", "labsim"))
    ap.add_argument("--kernel-bin", default=os.environ.get("KERNEL_BIN", "kubelab-kernel"))
    args = ap.parse_args()
    print("\n=== REPL (pty) ===", flush=True)
    with labsim(args.labsim, "kubelab-repltest-", CHECKS) as state:
        if state is None:
            return CHECKS.summary()
        env = dict(os.environ, KUBECONFIG=str(state / "kubeconfig"), TERM="xterm")
        t = Pty([args.kernel_bin, "repl"], env, str(state))
        try:
            t.read_until(re.escape(PROMPT), 600)
            check(True, "REPL이 프롬프트를 띄운다")
            t.send("nodes()?")
            screen = t.read_until(r"minikube-m03.*" + re.escape(PROMPT), 120)
            check("$ kubectl get nodes" in screen and re.search(r"NAME\s+STATUS\s+ROLES", screen)
                  and "<table" not in screen and "EVCXR_BEGIN_CONTENT" not in screen
                  and not re.search(r"Table \{", screen),
                  "nodes()? 가 kubectl 같은 텍스트 표", screen)
            t.send('check("cluster")?')
            screen = t.read_until(r"확인 'cluster' 통과.*" + re.escape(PROMPT), 120)
            check("✅ 노드가 3개입니다 (minikube, minikube-m02, minikube-m03)" in screen and "❌" not in screen
                  and "<table" not in screen and "EVCXR_BEGIN_CONTENT" not in screen,
                  "check(\"cluster\")? 가 ✅ 줄을 텍스트로 보여 준다", screen)
            t.send('mysql("mysql-9")?')
            screen = t.read_until(re.escape(PROMPT), 120)
            check("mysql-9" in screen and re.search(r"[\uac00-\ud7a3]", screen) and "panicked" not in screen,
                  "실패한 단계는 한국어 메시지", screen)
            t.send("let n = nodes()?;")
            t.read_until(re.escape(PROMPT), 120)
            t.send("n.len()")
            screen = t.read_until(r"\b3\b.*" + re.escape(PROMPT), 120)
            check(True, "변수가 다음 입력에도 남는다 (n.len() == 3)")
            t.send(":quit")
            _, status = os.waitpid(t.pid, 0)
            check(os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, ":quit 으로 깨끗이 끝난다", str(status))
        except TimeoutError as e:
            check(False, "REPL 대화", str(e))
            os.kill(t.pid, signal.SIGKILL)
    return CHECKS.summary()


if __name__ == "__main__":
    sys.exit(main())
