"""kernel/prebuild.py: start the `kubelab` kernel once so evcxr compiles kubelab and all its
dependencies into the build folder named by KUBELAB_KERNEL_PREBUILD (launch.sh compiles straight
into it in that mode). Shows progress while it builds; fails loudly if the kernel reports an error.

Usage: KUBELAB_KERNEL_PREBUILD=DIR python prebuild.py KERNEL_NAME DIR
"""

import os
import subprocess
import sys
import threading
import time

from jupyter_client.manager import start_new_kernel

STARTUP_TIMEOUT = 3600  # a cold build on 2 busy cores can take many minutes
CELL = 'let _kubelab_prebuild: &str = std::any::type_name::<kubelab::Error>(); "kubelab ready"'


def folder_size(path: str) -> str:
    try:
        out = subprocess.run(["du", "-sh", path], capture_output=True, text=True, timeout=30)
        return out.stdout.split()[0] if out.stdout else "?"
    except (OSError, subprocess.TimeoutExpired):
        return "?"


def progress(path: str, done: threading.Event, start: float) -> None:
    while not done.wait(20):
        print(f"  ... 커널 빌드 중 {time.time() - start:4.0f}s, 빌드 폴더 {folder_size(path)}", flush=True)


def main() -> int:
    name, folder = sys.argv[1], sys.argv[2]
    start = time.time()
    done = threading.Event()
    threading.Thread(target=progress, args=(folder, done, start), daemon=True).start()
    problems: list[str] = []
    try:
        km, kc = start_new_kernel(kernel_name=name, startup_timeout=STARTUP_TIMEOUT)
    except Exception as exc:  # the kernel died while compiling: say so, with the cause
        done.set()
        print(f"커널 '{name}'을 시작하지 못했습니다: {exc}", file=sys.stderr)
        return 1
    try:
        def on_output(msg: dict) -> None:
            kind, content = msg["msg_type"], msg["content"]
            if kind == "error":
                problems.append("\n".join(content.get("traceback", [])) or content.get("evalue", ""))
            elif kind == "stream" and content.get("name") == "stderr":
                problems.append(content.get("text", ""))

        reply = kc.execute_interactive(CELL, timeout=STARTUP_TIMEOUT, output_hook=on_output)
        if reply["content"].get("status") != "ok":
            problems.append(f"status {reply['content'].get('status')}: {reply['content'].get('evalue', '')}")
    finally:
        done.set()
        kc.stop_channels()
        km.shutdown_kernel(now=False)
    if problems:
        print(f"커널 '{name}' 미리 빌드 실패:\n" + "\n".join(problems), file=sys.stderr)
        return 1
    print(f"커널 '{name}' 미리 빌드: {time.time() - start:.0f}s, 빌드 폴더 {folder_size(folder)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
