"""A labsim for one test run, and the tally every test script prints (`N passed, M failed`)."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Iterator


class Checks:
    """Prints each check as it is made; `summary()` prints the closing line and gives the exit code."""

    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0

    def check(self, ok: bool, what: str, detail: str = "") -> bool:
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        shown = "" if ok or not detail else "\n      " + detail[-3000:].replace("\n", "\n      ")
        print(f"  {'PASS' if ok else 'FAIL'} {what}{shown}", flush=True)
        return ok

    def summary(self) -> int:
        print(f"{self.passed} passed, {self.failed} failed")
        return 1 if self.failed else 0


@contextlib.contextmanager
def labsim(binary: str, prefix: str, checks: Checks) -> Iterator[Path | None]:
    """`labsim up` in a fresh state dir; yields it (None when it did not start), then `down`."""
    state = Path(tempfile.mkdtemp(prefix=prefix))
    up = subprocess.run([binary, "up", "--state-dir", str(state), "--timeout", "60"],
                        capture_output=True, text=True, timeout=120)
    try:
        ok = checks.check(up.returncode == 0 and (state / "kubeconfig").exists(), "labsim up",
                          up.stdout + up.stderr)
        yield state if ok else None
    finally:
        subprocess.run([binary, "down", "--state-dir", str(state)], capture_output=True, timeout=120)
        shutil.rmtree(state, ignore_errors=True)
