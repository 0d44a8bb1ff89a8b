#!/usr/bin/env python3
"""tests/notebooks/run.py: run every course notebook headless against a fresh labsim.

Starts `labsim up` in a temporary state dir, points KUBECONFIG at it, executes each notebook in
order (they share the cluster, as a learner's would) with nbclient and the real `kubelab`
kernel, and checks:
  * no output of type "error", no stderr stream, no panic / compile-error text anywhere, and no
    result printed as Rust `Debug` (`Table { ...`) instead of a table;
  * expected results in the cells tagged for it (see CHECKS), e.g. the four system schemas,
    Alice and Bob after mysql-0 was re-created, the Ready order 0,1,2.
Executed notebooks go to --out (never back into notebooks/). Prints per-cell timings, kernel
start and whole-notebook times, and a final `N passed, M failed` line; exits 1 on any failure.
"""

from __future__ import annotations

import argparse
import html
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

KERNEL = "kubelab"
# A result printed as Rust `Debug` (`Table { columns: [...`) where a table was meant.
DEBUG_RESULT = re.compile(r"^\s*[A-Z][A-Za-z0-9_]*(::[A-Za-z0-9_]+)* \{")
BAD_TEXT = re.compile(r"panicked at|^Error: |^error(\[E\d{4}\])?: |RUST_BACKTRACE", re.MULTILINE)
# Cells whose command prints its own `error: ...` line (mysqladmin's `error: 'Access denied ...'`):
# there only a bare `error: ` line is allowed; compile errors (`error[E...]`) and panics still fail.
PROGRAM_ERROR_LINE = {"ping-denied"}
BAD_TEXT_BUT_ERROR_LINE = re.compile(r"panicked at|^Error: |^error\[E\d{4}\]: |RUST_BACKTRACE", re.MULTILINE)
SYSTEM_SCHEMAS = ("information_schema", "mysql", "performance_schema", "sys")


def has_all(*words: str) -> Callable[[str], bool]:
    return lambda text: all(w in text for w in words)


def ready_order_0_1_2(text: str) -> bool:
    """The notebook prints `관찰된 Ready 순서: [...] → 0,1,2 순서인가? true`."""
    m = re.search(r"관찰된 Ready 순서: (.*?) → 0,1,2 순서인가\? (true|false)", text)
    if not m:
        return False
    ordinals = re.findall(r"(?:mysql-)?(\d+)", m.group(1))
    return ordinals == ["0", "1", "2"] and m.group(2) == "true"


def schemas_without_testdb(text: str) -> bool:
    return all(s in text for s in SYSTEM_SCHEMAS) and "testdb" not in text.split("SHOW DATABASES", 1)[-1]


WATCH_LINE = re.compile(r"^(mysql-\d+)\s+(\d+)/(\d+)\s+(\S+)", re.MULTILINE)
IPV4 = r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}"


def created_after_predecessor_ready(text: str) -> bool:
    """In the `watch_pods` lines, each pod's first line (not an old pod's Terminating) comes after its
    predecessor's `1/1` line: mysql-1 did not exist before mysql-0 was Ready, nor mysql-2 before mysql-1."""
    lines = [(m.group(1), m.group(2) == m.group(3), m.group(4)) for m in WATCH_LINE.finditer(text)]
    names = {name for name, _, _ in lines}
    if not {"mysql-0", "mysql-1"} <= names:
        return False
    for n in range(1, len(names)):
        pod, before = f"mysql-{n}", f"mysql-{n - 1}"
        first = next((i for i, (p, _, s) in enumerate(lines) if p == pod and s != "Terminating"), None)
        ready = next((i for i, (p, r, s) in enumerate(lines) if p == before and r and s == "Running"), None)
        if first is None or ready is None or first < ready:
            return False
    return True


def headless_service(text: str) -> bool:
    """`kubectl get services`: the row of `mysql` has CLUSTER-IP None."""
    return re.search(r"^mysql\s+ClusterIP\s+None\s", text, re.MULTILINE) is not None


def pod_ip(text: str, pod: str) -> str | None:
    """The IP in the row of `pod` of `kubectl get pods -o wide`."""
    m = re.search(rf"^{re.escape(pod)}\s.*?\b({IPV4})\b", text, re.MULTILINE)
    return m.group(1) if m else None


def resolved_ip(text: str, name: str = "mysql-0.mysql") -> str | None:
    """The address `getent hosts NAME` printed (`10.244.0.5      mysql-0.mysql.default.svc...`)."""
    m = re.search(rf"^({IPV4})\s+{re.escape(name)}", text, re.MULTILINE)
    return m.group(1) if m else None


def name_resolves_to_pod_ip(pods_wide: str, getent: str) -> bool:
    ip = resolved_ip(getent)
    return ip is not None and ip == pod_ip(pods_wide, "mysql-0")


def recreated_rows(text: str) -> dict[str, tuple[str, str, str, str]]:
    """The notebook prints `이전  mysql-0  UID  IP  NODE` and `이후  ...` after re-creating mysql-0."""
    rows = re.findall(rf"^(이전|이후)\s+(\S+)\s+([0-9a-f-]{{36}})\s+({IPV4})\s+(\S+)", text, re.MULTILINE)
    return {r[0]: r[1:] for r in rows}


def new_uid_same_name(text: str) -> bool:
    rows = recreated_rows(text)
    if set(rows) != {"이전", "이후"}:
        return False
    (name0, uid0, _, _), (name1, uid1, _, _) = rows["이전"], rows["이후"]
    return name0 == name1 == "mysql-0" and uid0 != uid1


def name_follows_new_ip(getent_before: str, getent_after: str, recreate: str) -> bool:
    """After mysql-0 was re-created: its IP changed, and mysql-0.mysql resolves to the new one."""
    rows = recreated_rows(recreate)
    old, new = resolved_ip(getent_before), resolved_ip(getent_after)
    return (set(rows) == {"이전", "이후"} and old is not None and new is not None and old != new
            and old == rows["이전"][2] and new == rows["이후"][2])


def resolves_to_all_pod_ips(pods_wide: str, getent: str) -> bool:
    """`getent hosts mysql` (the headless Service's own name): every Ready pod's IP, one line each."""
    ips = set(re.findall(rf"^({IPV4})\s+mysql\.default\.svc", getent, re.MULTILINE))
    pods = {pod_ip(pods_wide, p) for p in ("mysql-0", "mysql-1", "mysql-2")}
    return None not in pods and ips == pods


def restarted_in_place(text: str) -> bool:
    """After `mysqladmin shutdown` in mysql-0: mysql-0 is 1/1 again and its RESTARTS is no longer 0 (a
    re-created pod would count from 0 again)."""
    row = re.search(r"^mysql-0\s+1/1\s+Running\s+(\d+)", text, re.MULTILINE)
    return "condition met" in text and row is not None and int(row.group(1)) >= 1


def crash_looping(pod: str) -> Callable[[str], bool]:
    """`kubectl get pods`: `pod` is 0/1, Error or CrashLoopBackOff, and restarted at least once."""
    def check(text: str) -> bool:
        m = re.search(rf"^\s*{re.escape(pod)}\s+0/1\s+(Error|CrashLoopBackOff)\s+(\d+)", text, re.MULTILINE)
        return m is not None and int(m.group(2)) >= 1
    return check


def deleted_highest_first(text: str) -> bool:
    """`kubectl get events` after scaling 3 → 1: the controller deleted mysql-2 before mysql-1."""
    last = {n: text.rfind(f"delete Pod mysql-{n} in StatefulSet mysql") for n in (1, 2)}
    return last[2] >= 0 and last[1] >= 0 and last[2] < last[1]


def check_passed(step: str, *lines: str) -> Callable[[str], bool]:
    """A `check(step)?` cell that passed: its summary line and the given ✅ lines, and no ❌ (the
    same conditions the learner's check cell verifies, read from its output)."""
    return lambda text: (f"확인 '{step}' 통과" in text and "❌" not in text
                         and all(f"✅ {line}" in text for line in lines))


def timeline_gated(text: str) -> bool:
    """`timeline("app=mysql")`: a bar per pod, and each pod created after its predecessor was Ready."""
    return (all(f"{p}" in text for p in ("mysql-0", "mysql-1", "mysql-2")) and "생성 +0초" in text
            and "mysql-1 파드는 mysql-0 파드가 Ready가 된 뒤" in text
            and "mysql-2 파드는 mysql-1 파드가 Ready가 된 뒤" in text)


def topology_shows(*pods: str, unused: tuple[str, ...] = ()) -> Callable[[str], bool]:
    """`topology()`: each pod in its node's box with its PVC, and the PVCs no pod uses."""
    def ok(text: str) -> bool:
        drawn = all(f"파드 {p} [1/1 Running]" in text and f"PVC data-{p} [Bound]" in text for p in pods)
        spare = all(f"PVC data-{p} [Bound]" in text for p in unused)
        return (drawn and spare and "노드 minikube-m02" in text
                and (("쓰는 파드가 없는 PVC" in text) == bool(unused)))
    return ok


def only_mysql_0(text: str) -> bool:
    pods = set(re.findall(r"^(mysql-\d+)\s", text, re.MULTILINE))
    return pods == {"mysql-0"}


# --- 03-troubleshooting and 04-updates ---

def pod_status_is(pod: str, ready: str, *statuses: str) -> Callable[[str], bool]:
    """`kubectl get pods`: the row of `pod` has READY `ready` and one of `statuses`."""
    alts = "|".join(re.escape(s) for s in statuses)
    return lambda t: re.search(rf"^\s*{re.escape(pod)}\s+{re.escape(ready)}\s+({alts})\s", t, re.MULTILINE) is not None


def no_pod(pod: str) -> Callable[[str], bool]:
    return lambda t: re.search(rf"^\s*{re.escape(pod)}\s", t, re.MULTILINE) is None


def both(*checks: Callable[[str], bool]) -> Callable[[str], bool]:
    return lambda t: all(c(t) for c in checks)


def sts_ready(name: str, ready: str) -> Callable[[str], bool]:
    return lambda t: re.search(rf"^\s*{re.escape(name)}\s+{re.escape(ready)}\s", t, re.MULTILINE) is not None


def replaced_order(*pods: str) -> Callable[[str], bool]:
    """The notebook prints `교체된 순서: ["mysql-2", "mysql-1", "mysql-0"]` after watch_rollout."""
    def check(text: str) -> bool:
        m = re.search(r"교체된 순서: \[(.*?)\]", text)
        return m is not None and re.findall(r'"([^"]+)"', m.group(1)) == list(pods)
    return check


def revisions_of(text: str) -> tuple[dict[str, str], str | None]:
    """`revisions()`: pod -> CONTROLLER-REVISION-HASH (last column), and the updateRevision line."""
    revs = {m.group(1): m.group(2) for m in
            re.finditer(r"^\s*(mysql-\d+)\s.*?\s(mysql-[0-9a-z]+)\s*$", text, re.MULTILINE)}
    m = re.search(r"updateRevision (\S+?),", text)
    return revs, (m.group(1) if m else None)


def only_updated(*updated: str) -> Callable[[str], bool]:
    """Exactly the pods `updated` run the update revision; the others share one older revision."""
    def check(text: str) -> bool:
        revs, update = revisions_of(text)
        if set(revs) != {"mysql-0", "mysql-1", "mysql-2"} or update is None:
            return False
        old = {r for p, r in revs.items() if p not in updated}
        return all(revs[p] == update for p in updated) and len(old) == 1 and update not in old
    return check


def pvc_names(text: str) -> set[str]:
    return set(re.findall(r"^\s*(data-mysql-[\w-]+)\s+(?:Bound|Pending|Terminating|Lost)\s", text, re.MULTILINE))


# notebook file name -> [(cell tag, what is checked, check on the cell's output text)]; a check that
# compares cells has a tuple of tags and gets their texts in that order.
Check = tuple[str | tuple[str, ...], str, Callable[..., bool]]
CHECKS: dict[str, list[Check]] = {
    "00-setup.ipynb": [
        ("kernel-ok", "커널이 Rust 코드를 실행한다", has_all("커널 동작 확인: 1 + 2 = 3")),
        ("cluster", "cluster()가 labsim 클러스터를 알아본다", lambda t: "labsim" in t.lower()),
        ("check-cluster", "check(\"cluster\"): 노드 3개 모두 Ready",
         check_passed("cluster", "노드가 3개입니다 (minikube, minikube-m02, minikube-m03)", "노드 minikube-m03: Ready")),
        ("semicolon", "끝의 ;는 결과(표)를 숨기고 명령어 줄만 남긴다",
         lambda t: "$ kubectl get nodes" in t and "minikube-m02" not in t),
        ("no-semicolon", ";가 없으면 노드 표가 나온다", has_all("minikube", "minikube-m02", "minikube-m03")),
        ("ex-nodes-wide", "연습: kubectl(\"get nodes -o wide\")는 진짜 kubectl의 INTERNAL-IP 열", has_all("$ kubectl get nodes -o wide", "INTERNAL-IP", "minikube-m03")),
        ("ex-check-cluster", "연습 뒤 check(\"cluster\")", check_passed("cluster", "노드 minikube-m03: Ready")),
        ("async-nodes", "비동기 API(최상위 .await)로 노드 3개", has_all("minikube", "minikube-m02", "minikube-m03")),
        ("sync-after-await", ".await 이후에도 동기 함수가 동작한다", has_all("minikube", "minikube-m02", "minikube-m03")),
    ],
    "01-statefulset-mysql.ipynb": [
        ("nodes", "노드 3개 (minikube, -m02, -m03)", has_all("minikube", "minikube-m02", "minikube-m03", "Ready")),
        ("watch-order", "처음 생성: Ready 순서 0,1,2", ready_order_0_1_2),
        ("watch-order", "처음 생성: 앞 파드가 1/1이 된 뒤에 다음 파드가 생긴다", created_after_predecessor_ready),
        ("check-deploy", "check(\"deploy\"): 3/3, 헤드리스 서비스, PVC 3개 Bound",
         check_passed("deploy", "StatefulSet mysql READY 3/3", "Service mysql은 헤드리스입니다 (CLUSTER-IP None)",
                      "mysql-2 파드가 Ready입니다", "PVC data-mysql-0: Bound", "PVC data-mysql-2: Bound")),
        ("check-order", "check(\"order\"): 각 파드가 앞 파드가 Ready가 된 뒤에 만들어졌다",
         check_passed("order", "mysql-1 파드는 mysql-0 파드가 Ready가 된 뒤에 만들어졌습니다",
                      "mysql-2 파드는 mysql-1 파드가 Ready가 된 뒤에 만들어졌습니다")),
        ("timeline", "timeline(): 파드마다 생성 → Ready 막대, 앞 파드의 Ready 뒤에 생성", timeline_gated),
        ("watch-order-again", "전부 삭제 후 재생성: Ready 순서 0,1,2", ready_order_0_1_2),
        ("watch-order-again", "전부 삭제 후 재생성: 앞 파드가 1/1이 된 뒤에 다음 파드가 생긴다",
         created_after_predecessor_ready),
        ("storage-classes", "standard (default) / k8s.io/minikube-hostpath", has_all("standard", "k8s.io/minikube-hostpath")),
        ("pvcs", "파드마다 PVC 하나 (Bound)", has_all("mysql-0", "mysql-1", "mysql-2", "Bound")),
        ("topology", "topology(): 노드 안의 파드마다 PVC → PV → 데이터", topology_shows("mysql-0", "mysql-1", "mysql-2")),
        ("ex-pods-wide", "연습: kubectl(\"get pods -l app=mysql -o wide\")에 IP와 NODE", has_all("$ kubectl get pods -l app=mysql -o wide", "IP", "NODE", "mysql-2")),
        ("ex-check-deploy", "연습 뒤 check(\"deploy\")", check_passed("deploy", "mysql-2 파드가 Ready입니다")),
        ("placement", "파드와 볼륨의 노드가 보인다", has_all("mysql-0", "mysql-1", "mysql-2")),
        ("show-databases", "시스템 스키마 4개", has_all(*SYSTEM_SCHEMAS)),
        ("users", "Alice, Bob 입력", has_all("Alice", "Bob")),
        ("check-data", "check(\"data\"): testdb.users에 Alice와 Bob",
         check_passed("data", "mysql-0의 testdb.users에 'Alice' 행이 있습니다", "mysql-0의 testdb.users에 'Bob' 행이 있습니다")),
        ("services", "헤드리스 서비스: mysql의 CLUSTER-IP가 None", headless_service),
        (("pods-wide", "getent-before"), "mysql-1에서 mysql-0.mysql이 mysql-0의 파드 IP로 풀린다",
         name_resolves_to_pod_ip),
        ("mysql-by-name", "mysql-1에서 이름 mysql-0.mysql로 mysql-0의 DB에 접속 (Alice, Bob)", has_all("Alice", "Bob")),
        ("check-dns", "check(\"dns\"): 다른 파드에서 mysql-0.mysql이 mysql-0의 IP로 풀린다",
         lambda t: check_passed("dns")(t) and re.search(r"✅ mysql-\d에서 mysql-0\.mysql이 " + IPV4 + r"로 풀립니다", t) is not None
         and "✅ 그 IP는 mysql-0의 파드 IP" in t),
        ("recreate", "재생성: 이름은 mysql-0 그대로, UID는 새것", new_uid_same_name),
        ("after-recreate", "mysql-0 재생성 후에도 Alice, Bob", has_all("Alice", "Bob")),
        ("check-survive", "check(\"survive\"): mysql-0이 새 UID로 다시 만들어졌고 Alice, Bob이 남아 있다",
         check_passed("survive", "mysql-0 파드가 다시 만들어졌습니다 (UID", "mysql-0의 testdb.users에 'Bob' 행이 있습니다")),
        (("pods-wide", "getent-service"), "Service 이름 mysql은 Ready인 파드 세 개의 IP로 풀린다",
         resolves_to_all_pod_ips),
        (("getent-before", "getent-after", "recreate"), "재생성 후 IP가 바뀌고 mysql-0.mysql은 새 IP로 풀린다",
         name_follows_new_ip),
        ("mysql-1-independent", "mysql-1은 별개의 데이터베이스 (testdb 없음)", schemas_without_testdb),
        ("restart-pods", "mysqladmin shutdown → 같은 파드에서 컨테이너 재시작, RESTARTS ≥ 1", restarted_in_place),
        ("restart-rows", "컨테이너 재시작 후에도 Alice, Bob", has_all("Alice", "Bob")),
        ("check-restart", "check(\"restart\"): 같은 파드에서 재시작, Alice와 Bob이 남아 있다",
         check_passed("restart", "mysql-0 컨테이너가 같은 파드 안에서 재시작되었습니다 (RESTARTS 1",
                      "mysql-0의 testdb.users에 'Bob' 행이 있습니다")),
    ],
    "02-scaling-and-cleanup.ipynb": [
        ("row-written", "mysql-2에 행 기록", has_all("Carol")),
        ("events-after-scale-down", "3 → 1 축소: mysql-2를 mysql-1보다 먼저 지운다", deleted_highest_first),
        ("pods-after-scale-down", "3 → 1 축소 후 mysql-0만 남는다", only_mysql_0),
        ("pvcs-after-scale-down", "축소 후에도 mysql-1, mysql-2의 PVC가 남는다", has_all("mysql-1", "mysql-2", "Bound")),
        ("check-scale-down", "check(\"scale\") 3 → 1: mysql-0만 Ready, PVC는 남는다",
         check_passed("scale", "StatefulSet mysql READY 1/1", "파드 1개: mysql-0",
                      "축소해도 남아 있는 PVC: data-mysql-1, data-mysql-2", "PVC 3개 (레플리카 1개 이상)")),
        ("topology-after-scale-down", "topology() 3 → 1: 쓰는 파드가 없는 PVC 두 개",
         topology_shows("mysql-0", unused=("mysql-1", "mysql-2"))),
        ("scale-up", "1 → 3 확장: 앞 파드가 1/1이 된 뒤에 다음 파드가 생긴다", created_after_predecessor_ready),
        ("check-scale-up", "check(\"scale\") 1 → 3: 파드 3개 Ready, PVC 3개 Bound",
         check_passed("scale", "StatefulSet mysql READY 3/3", "파드 3개: mysql-0, mysql-1, mysql-2",
                      "PVC data-mysql-2: Bound", "PVC 3개 (레플리카 3개 이상)")),
        ("topology-after-scale-up", "topology() 1 → 3: 세 파드가 남아 있던 PVC에 다시 붙었다",
         topology_shows("mysql-0", "mysql-1", "mysql-2")),
        ("row-back", "다시 확장하면 mysql-2의 데이터가 돌아온다", has_all("Carol")),
        ("parallel-forbidden", "podManagementPolicy는 바꿀 수 없다 (Forbidden)", has_all("Forbidden", "updates to statefulset spec for fields other than")),
        ("orphans", "--cascade=orphan: StatefulSet만 지워지고 세 파드는 1/1 Running으로 남는다",
         both(has_all('statefulset.apps "mysql" deleted'), pod_status_is("mysql-0", "1/1", "Running"),
              pod_status_is("mysql-1", "1/1", "Running"), pod_status_is("mysql-2", "1/1", "Running"))),
        ("parallel-apply", "Parallel로 다시 만든 StatefulSet: 남은 파드를 입양해 곧바로 세 파드 1/1",
         lambda t: all(re.search(rf"^mysql-{n}\s+1/1\s+Running", t, re.MULTILINE) for n in range(3))),
        ("adopted", "입양: mysql-0의 ownerReferences가 새 StatefulSet의 UID", has_all("mysql-0의 주인이 새 StatefulSet인가? true")),
        ("parallel-scale", "Parallel로 1 → 3: mysql-2가 mysql-1의 Ready를 기다리지 않고 만들어진다",
         lambda t: "mysql-2" in t and not created_after_predecessor_ready(t.split("--replicas=3", 1)[-1])),
        ("check-parallel-scale", "Parallel로 1 → 3: check(\"scale\")", check_passed("scale", "StatefulSet mysql READY 3/3")),
        ("pvcs-after-sts-delete", "StatefulSet 삭제 후에도 PVC가 남는다", has_all("mysql-0", "mysql-1", "mysql-2")),
    ],
    "03-troubleshooting.ipynb": [
        ("image-pods", "이미지 오류: mysql-0이 0/1 ErrImagePull/ImagePullBackOff, mysql-1은 만들어지지 않는다",
         both(pod_status_is("mysql-0", "0/1", "ErrImagePull", "ImagePullBackOff"), no_pod("mysql-1"))),
        ("image-describe", "describe: Waiting, Reason ImagePullBackOff/ErrImagePull, 이벤트 Failed to pull image",
         lambda t: re.search(r"Reason:\s+(ImagePullBackOff|ErrImagePull)", t) is not None and "Failed to pull image" in t),
        ("image-events", "kubectl get events: mysql-0의 이미지 이벤트", has_all("$ kubectl get events", "mysql-0", "myslq")),
        ("image-fix-apply", "템플릿만 고치면 멈춘 mysql-0은 그대로다 (강제 롤백 문제)",
         pod_status_is("mysql-0", "0/1", "ErrImagePull", "ImagePullBackOff")),
        ("image-fix", "멈춘 파드를 지우면 0 → 1 → 2 순서로 모두 Ready", created_after_predecessor_ready),
        ("image-check", "check(\"deploy\"): 고친 뒤 3/3, PVC 3개 Bound",
         check_passed("deploy", "mysql-2 파드가 Ready입니다", "PVC data-mysql-2: Bound")),
        ("probe-pods", "프로브 실패: mysql-0 Running 0/1, mysql-1은 만들어지지 않는다",
         both(pod_status_is("mysql-0", "0/1", "Running"), no_pod("mysql-1"))),
        ("probe-describe", "describe: Readiness probe failed 이벤트와 -P 3307",
         has_all("Readiness probe failed", "3307", "Ready:")),
        ("probe-check", "check(\"deploy\"): 고친 뒤 3/3", check_passed("deploy", "mysql-2 파드가 Ready입니다")),
        ("crash-pods", "서버 옵션 이름 오타: mysql-c-0이 Error/CrashLoopBackOff, RESTARTS ≥ 1", crash_looping("mysql-c-0")),
        ("crash-describe", "describe: Restart Count와 BackOff 이벤트",
         lambda t: re.search(r"Restart Count:\s+[1-9]", t) is not None and "Back-off restarting failed container" in t),
        ("crash-logs", "kubectl logs --previous: mysqld가 모르는 옵션 이름을 쓰고 끝났다",
         has_all("unknown variable 'collation-sever=utf8mb4_unicode_ci'")),
        ("crash-fix", "고친 템플릿 + 멈춘 파드 삭제 → mysql-c-0 Ready", pod_status_is("mysql-c-0", "1/1", "Running")),
        ("check-crash", "check(\"crash\"): 고친 템플릿, mysql-c-0 Ready (RESTARTS 0)",
         check_passed("crash", "StatefulSet mysql-c의 템플릿 args에 mysqld가 모르는 옵션이 없습니다",
                      "mysql-c-0 파드가 Ready이고 RESTARTS 0입니다")),
        ("class-pvcs", "없는 StorageClass: data-mysql-fast-0 Pending",
         lambda t: re.search(r"^\s*data-mysql-fast-0\s+Pending\s", t, re.MULTILINE) is not None),
        ("class-describe-pvc", "describe pvc: storageclass.storage.k8s.io \"fast\" not found",
         has_all('storageclass.storage.k8s.io "fast" not found', "ProvisioningFailed")),
        ("class-describe-pod", "describe pod: Pending, unbound immediate PersistentVolumeClaims",
         has_all("Pending", "unbound immediate PersistentVolumeClaims")),
        ("class-healthy", "StorageClass fast를 만들면 PVC가 Bound",
         lambda t: re.search(r"^\s*data-mysql-fast-0\s+Bound\s.*\bfast\b", t, re.MULTILINE) is not None),
        ("password-check-before", "check(\"data\"): 고장 내기 전 Alice, Bob",
         check_passed("data", "mysql-0의 testdb.users에 'Alice' 행이 있습니다")),
        ("password-denied", "Secret만 바꾸면 Access denied (ERROR 1045)", has_all("ERROR 1045", "Access denied")),
        ("password-exec", "파드 안에서도 새 비밀번호는 Access denied", has_all("Access denied")),
        ("password-logs", "다시 만든 mysql-0의 로그에 Initializing database files가 없다", has_all("Initializing database files 가 있나? false")),
        ("password-after", "Secret을 되돌리면 다시 접속된다", has_all("CURRENT_USER()", "root@")),
        ("password-check", "check(\"data\"): Secret을 되돌린 뒤 새 세션으로 Alice, Bob",
         check_passed("data", "mysql-0의 testdb.users에 'Bob' 행이 있습니다")),
        ("node-stop", "노드를 멈추면 NotReady (Ready=Unknown)", has_all("condition met", "NotReady")),
        ("node-pods", "멈춘 노드의 파드는 톨러레이션 30초 뒤 Terminating", has_all("Terminating")),
        ("node-describe", "StatefulSet은 대신할 파드를 만들지 않는다 (2/3), 파드는 Terminating, 톨러레이션 30s",
         both(sts_ready("mysql", "2/3"), has_all("Terminating", '"key":"node.kubernetes.io/unreachable"', '"tolerationSeconds":30'))),
        ("node-force", "강제 삭제 후 같은 이름의 파드가 다른 노드에서 Ready", has_all("force deleted", "1/1")),
        ("node-start", "노드를 되살리면 노드 3개 Ready", check_passed("cluster", "노드 minikube-m03: Ready", "노드 minikube-m02: Ready")),
        ("node-check", "노드 장애 뒤 check(\"deploy\")", check_passed("deploy", "mysql-2 파드가 Ready입니다")),
        ("drain-write", "드레인 전: 워커 노드의 파드에 행을 쓴다", has_all("keyboard")),
        ("drain", "드레인: node cordoned, 파드 축출", has_all("cordoned", "evicted")),
        ("drain-lost", "hostPath 함정: 다른 노드로 옮긴 파드에는 shop 데이터베이스가 없다", has_all("ERROR 1146", "Table 'shop.orders' doesn't exist")),
        ("addon", "애드온: StorageClass local-path (rancher.io/local-path, WaitForFirstConsumer)",
         has_all("local-path", "rancher.io/local-path", "WaitForFirstConsumer")),
        ("local-pending", "local-path: 드레인한 노드의 파드는 Pending, didn't match PersistentVolume's node affinity",
         has_all("Pending", "didn't match PersistentVolume's node affinity")),
        ("local-uncordon", "uncordon 하면 원래 노드에서 데이터와 함께 Ready", has_all("keyboard")),
        ("check-local-path", "check(\"local-path\"): 파드마다 볼륨이 묶인 노드에서 Ready",
         check_passed("local-path", "StatefulSet mysql의 PVC 템플릿이 StorageClass local-path를 씁니다", "mysql-2: 볼륨이 묶인 노드")),
        ("leftovers-end", "정리 후 깨끗한 클러스터", has_all("깨끗한 클러스터")),
    ],
    "04-updates.ipynb": [
        ("rolling-update", "롤링 업데이트: mysql-2 → mysql-1 → mysql-0 순서로 교체",
         replaced_order("mysql-2", "mysql-1", "mysql-0")),
        ("rolling-update", "kubectl rollout status의 완료 줄", has_all("roll out complete: 3 new pods have been updated")),
        ("check-rollout", "check(\"rollout\"): 롤링 업데이트 완료", check_passed("rollout", "업데이트가 끝났습니다")),
        ("canary", "partition: 2 → mysql-2만 교체", replaced_order("mysql-2")),
        ("canary-revisions", "partition: 2 → mysql-2만 새 리비전", only_updated("mysql-2")),
        ("check-partition-2", "check(\"partition\"): partition 2",
         check_passed("partition", "updateStrategy RollingUpdate, partition 2", "mysql-1: 예전 리비전")),
        ("canary-1", "partition: 1 → mysql-1만 교체", replaced_order("mysql-1")),
        ("check-partition-1", "check(\"partition\"): partition 1",
         check_passed("partition", "updateStrategy RollingUpdate, partition 1", "mysql-0: 예전 리비전")),
        ("canary-1", "partition: 1 → 2 new pods have been updated", has_all("2 new pods have been updated")),
        ("canary-rest", "partition: 0 → mysql-0만 교체", replaced_order("mysql-0")),
        ("check-partition-0", "check(\"rollout\"): partition 0 → 업데이트 완료", check_passed("rollout", "업데이트가 끝났습니다")),
        ("min-ready", "minReadySeconds 10: 2 → 1 → 0 순서, 파드 사이마다 10초씩 기다려 20초 넘게 걸린다",
         both(replaced_order("mysql-2", "mysql-1", "mysql-0"),
              lambda t: (m := re.search(r"걸린 시간: (\d+)초", t)) is not None and int(m.group(1)) >= 20)),
        ("check-min-ready", "check(\"rollout\"): minReadySeconds 업데이트 완료", check_passed("rollout", "업데이트가 끝났습니다")),
        ("image-update", "mysql:8.4.4로 롤링 업데이트 (2 → 1 → 0)", replaced_order("mysql-2", "mysql-1", "mysql-0")),
        ("history", "kubectl rollout history", has_all("REVISION")),
        ("undo", "rollout undo: 다시 2 → 1 → 0, 이미지 8.4.3", both(replaced_order("mysql-2", "mysql-1", "mysql-0"), has_all("mysql:8.4.3"))),
        ("check-undo", "check(\"rollout\"): undo 뒤 업데이트 완료", check_passed("rollout", "업데이트가 끝났습니다")),
        ("ondelete-apply", "OnDelete: 적용해도 아무 파드도 바뀌지 않는다", only_updated()),
        ("ondelete-status", "OnDelete: rollout status는 쓸 수 없다", has_all("only available for RollingUpdate")),
        ("ondelete-delete", "OnDelete: 지운 mysql-1만 새 리비전", only_updated("mysql-1")),
        ("check-ondelete", "check(\"ondelete\"): mysql-1만 새 리비전",
         check_passed("ondelete", "updateStrategy OnDelete", "mysql-0: 예전 리비전")),
        ("retention-default", "기본 보존 정책은 Retain", has_all("whenScaled: Retain")),
        ("retention-pvcs", "whenScaled: Delete → 3 → 1 축소 후 PVC는 data-mysql-0 하나", lambda t: pvc_names(t) == {"data-mysql-0"}),
        ("check-retention", "check(\"retention\"): data-mysql-0만 남았다",
         check_passed("retention", "whenScaled: Delete, whenDeleted: Retain", "PVC data-mysql-2: 지워졌습니다")),
    ],
}


# --- 05-replication (the replicated-MySQL tutorial) ---

def server_ids_spread(text: str) -> bool:
    """The `SELECT @@server_id` loop through mysql-read: at least two different servers answered."""
    return len(set(re.findall(r"^(10[0-4])\s*$", text, re.MULTILINE))) >= 2


def same_count_everywhere(count: str) -> Callable[[str], bool]:
    """`SELECT @@server_id, COUNT(*)` through mysql-read: every server answered with `count` rows."""
    def check(text: str) -> bool:
        rows = re.findall(r"^(10[0-4])\s+(\d+)\s*$", text, re.MULTILINE)
        return bool(rows) and all(c == count for _, c in rows)
    return check


CHECKS["05-replication.ipynb"] = [
    ("wipe-wait", "노드마다의 정리 파드가 끝나고 지워졌다", has_all('"wipe-minikube-m02" deleted', "condition met")),
    ("services", "Service mysql은 헤드리스, mysql-read는 ClusterIP",
     both(headless_service, lambda t: re.search(rf"^mysql-read\s+ClusterIP\s+{IPV4}\s", t, re.MULTILINE) is not None)),
    ("watch", "세 파드가 2/2 Running", both(*(lambda t, p=p: re.search(rf"^{p}\s+2/2\s+Running", t, re.MULTILINE) is not None
                                          for p in ("mysql-0", "mysql-1", "mysql-2")))),
    ("check-repl-deploy", "check(\"repl-deploy\")",
     check_passed("repl-deploy", "ConfigMap mysql에 primary.cnf와 secondary.cnf가 있습니다", "StatefulSet mysql READY 3/3")),
    ("init-logs-0", "init-mysql: mysql-0은 server-id=100, primary.cnf", has_all("server-id=100", "primary.cnf")),
    ("init-logs-1", "init-mysql: mysql-1은 server-id=101, secondary.cnf", has_all("server-id=101", "secondary.cnf")),
    ("ex-server-id", "연습 1: mysql-2의 server-id.cnf", has_all("server-id=102")),
    ("check-repl-config", "check(\"repl-config\"): server_id, 주 서버, 복제",
     check_passed("repl-config", "mysql-0: 주 서버입니다 (log_bin ON, read_only OFF, primary.cnf)",
                  "mysql-2: @@server_id 102 (100 + 서수 2, init-mysql이 만든 server-id.cnf)",
                  "mysql-1: mysql-0.mysql에서 복제 중입니다 (Slave_IO_Running Yes, Slave_SQL_Running Yes)")),
    ("clone-logs-2", "mysql-2는 mysql-1에서 클론했다", has_all("ncat --recv-only mysql-1.mysql 3307")),
    ("sidecar-logs-1", "사이드카가 클론 위치에서 복제를 시작했다", has_all("Initializing replication from clone position")),
    ("ex-clone-source", "연습 2: mysql-1은 mysql-0에서 클론했다", has_all("ncat --recv-only mysql-0.mysql 3307")),
    ("write", "kubectl run -i --rm: 주 서버에 쓰고 파드를 지웠다", has_all('pod "mysql-client" deleted')),
    ("check-repl-data", "check(\"repl-data\"): hello가 보조 서버까지",
     check_passed("repl-data", "mysql-2의 test.messages에 'hello'가 있습니다 (1행)")),
    ("read", "mysql-read로 읽은 hello", has_all("hello")),
    ("server-ids", "mysql-read: 두 서버 이상이 답했다", server_ids_spread),
    ("ex-read-mysql-2", "연습 3: mysql-2.mysql은 102, hello", has_all("102", "hello")),
    ("write-secondary", "보조 서버에 쓰면 ERROR 1290", has_all("ERROR 1290")),
    ("ping-denied", "mysqladmin ping은 Access denied에도 0", has_all("Access denied", "mysqladmin ping 종료 코드: 0")),
    ("query-denied", "SELECT 1은 Access denied에 1", has_all("Access denied", "mysql SELECT 1 종료 코드: 1")),
    ("delete-secondary", "다시 만든 mysql-2는 클론을 건너뛴다", has_all("+ exit 0")),
    ("check-repl-data-again", "check(\"repl-data\"): 다시 만든 mysql-2도",
     check_passed("repl-data", "mysql-2의 test.messages에 'hello'가 있습니다 (1행)")),
    ("clone-logs-3", "mysql-3은 mysql-2에서 클론했다", has_all("ncat --recv-only mysql-2.mysql 3307")),
    ("clone-logs-4", "mysql-4는 mysql-3에서 클론했다", has_all("ncat --recv-only mysql-3.mysql 3307")),
    ("check-repl-scale", "check(\"repl-scale\"): 다섯 서버",
     check_passed("repl-scale", "StatefulSet mysql READY 5/5",
                  "mysql-4: @@server_id 104 (100 + 서수 4, init-mysql이 만든 server-id.cnf)",
                  "mysql-4의 test.messages에 'hello'가 있습니다 (1행)")),
    ("drain", "kubectl drain이 끝났다", has_all("drained")),
    ("after-drain", "드레인한 노드는 SchedulingDisabled", has_all("SchedulingDisabled")),
    ("write-after-drain", "드레인 뒤의 쓰기가 모든 서버에 (2행)", same_count_everywhere("2")),
    ("check-repl-drain", "check(\"repl-drain\"): uncordon, 복제 유지",
     check_passed("repl-drain", "mysql-4의 test.messages에 'hello'가 있습니다 (2행)")),
    ("scale-down", "축소해도 PVC 5개", lambda t: pvc_names(t) == {f"data-mysql-{i}" for i in range(5)}),
    ("wipe-end", "정리 후 깨끗한 클러스터", has_all("깨끗한 클러스터")),
]


def apply_check(tag: str | tuple[str, ...], check: Callable[..., bool], tagged_text: dict[str, str]) -> tuple[bool, str]:
    """Run one CHECKS entry on the texts of the tagged cells: (passed, what to show when it failed)."""
    tags = tag if isinstance(tag, tuple) else (tag,)
    missing = [t for t in tags if t not in tagged_text]
    if missing:
        return False, f"태그 {missing} 셀이 실행되지 않았거나 없습니다"
    texts = [tagged_text[t] for t in tags]
    return check(*texts), "\n--- 다음 셀 ---\n".join(texts)


@dataclass
class Result:
    passed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def check(self, ok: bool, name: str, detail: str = "") -> None:
        (self.passed if ok else self.failed).append(name)
        print(f"  {'PASS' if ok else 'FAIL'} {name}" + (f"\n{indent(detail)}" if detail and not ok else ""), flush=True)


def indent(text: str, n: int = 8, limit: int = 3000) -> str:
    text = text if len(text) <= limit else text[:limit] + "\n…"
    return "\n".join(" " * n + line for line in text.splitlines())


def output_text(cell) -> tuple[str, list[str]]:
    """All text a cell showed, and the problems found in it (errors, stderr, panic text)."""
    parts, problems = [], []
    for out in cell.get("outputs", []):
        kind = out.get("output_type")
        if kind == "error":
            problems.append(f"error output: {out.get('ename')}: {out.get('evalue')}\n" + "\n".join(out.get("traceback", [])))
        elif kind == "stream":
            parts.append(out.get("text", ""))
            if out.get("name") == "stderr":
                problems.append("stderr: " + out.get("text", ""))
        elif kind in ("display_data", "execute_result"):
            data = out.get("data", {})
            if "text/html" not in data and DEBUG_RESULT.match(data.get("text/plain", "")):
                problems.append("result shown as Rust Debug, not as a table: " + data["text/plain"][:200])
            if "text/plain" in data:
                parts.append(data["text/plain"])
            if "text/html" in data:
                parts.append(html.unescape(re.sub(r"<[^>]+>", " ", data["text/html"])))
    text = "\n".join(parts)
    bad = BAD_TEXT_BUT_ERROR_LINE if PROGRAM_ERROR_LINE & set(cell.get("metadata", {}).get("tags", [])) else BAD_TEXT
    if bad.search(text) and not any(p.startswith("stderr") for p in problems):
        problems.append("panic/error text: " + bad.search(text).group(0))
    return text, problems


# 01 run again on the cluster its first run left: it finds the old data and starts fresh.
AGAIN_CHECKS = [
    ("leftovers", "다시 실행: 이전 실습이 남아 있다고 알려 준다", has_all("이전 실습이 남아 있습니다", "pvc data-mysql-0")),
    ("start-fresh", "다시 실행: start_fresh()가 지우고 기다린다", has_all("지웠습니다", "처음부터 시작할 수 있습니다")),
]


def run_notebook(path: Path, out_dir: Path, result: Result, args, again: bool = False) -> dict:
    nb = nbformat.read(path, as_version=4)
    name = path.name + (" (다시)" if again else "")
    print(f"\n=== {name} ===", flush=True)
    client = NotebookClient(
        nb,
        kernel_name=args.kernel,
        timeout=args.cell_timeout,
        startup_timeout=args.startup_timeout,
        allow_errors=True,  # we inspect every output ourselves, and stop at the first bad cell
        resources={"metadata": {"path": str(path.parent)}},
    )
    timings: list[float] = []
    started = time.monotonic()
    kernel_start = None
    failed_at = None
    tagged_text: dict[str, str] = {}
    try:
        with client.setup_kernel():
            kernel_start = time.monotonic() - started
            print(f"  커널 시작 {kernel_start:.1f}s", flush=True)
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                t0 = time.monotonic()
                try:
                    client.execute_cell(cell, index)
                    crash = ""
                except (CellExecutionError, CellTimeoutError, DeadKernelError) as exc:
                    crash = f"{type(exc).__name__}: {exc}"
                dt = time.monotonic() - t0
                timings.append(dt)
                text, problems = output_text(cell)
                if crash:
                    problems.append(crash)
                first_line = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
                print(f"  [{index:2d}] {dt:6.2f}s  {first_line[:70]}", flush=True)
                for tag in cell.metadata.get("tags", []):
                    tagged_text[tag] = text
                if problems:
                    failed_at = (index, first_line, "\n".join(problems), text)
                    break
    except Exception as exc:  # kernel failed to start or died: the notebook fails, the run goes on
        failed_at = (-1, "(kernel)", f"{type(exc).__name__}: {exc}", "")
    total = time.monotonic() - started
    out_dir.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out_dir / name.replace(" (다시)", ".again"))

    if failed_at:
        index, line, problems, text = failed_at
        result.check(False, f"{name}: 모든 셀이 오류 없이 실행된다", f"셀 [{index}] {line}\n{problems}\n--- 출력 ---\n{text}")
    else:
        result.check(True, f"{name}: 모든 셀이 오류 없이 실행된다")
    # only 01 begins by reporting what an earlier run left; the others end clean and start so
    checks = CHECKS.get(path.name, []) + (AGAIN_CHECKS if again and path.name == "01-statefulset-mysql.ipynb" else [])
    if not again and path.name == "01-statefulset-mysql.ipynb":
        checks = checks + [("leftovers", "처음 실행: 깨끗한 클러스터라고 알려 준다", has_all("깨끗한 클러스터"))]
    for tag, what, check in checks:
        ok, detail = apply_check(tag, check, tagged_text)
        result.check(ok, f"{name}: {what}", detail)
    median = statistics.median(timings) if timings else 0.0
    print(f"  시간: 커널 시작 {kernel_start or 0:.1f}s, 셀 {len(timings)}개 중앙값 {median:.2f}s, 노트북 전체 {total:.1f}s", flush=True)
    return {"name": name, "kernel_start": kernel_start, "median": median, "total": total}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("notebooks", type=Path, help="notebook dir (or files)", nargs="+")
    ap.add_argument("--kernel", default=KERNEL, help="kernelspec name (default kubelab)")
    ap.add_argument("--labsim", default=os.environ.get("KUBELAB_LABSIM", "labsim"))
    ap.add_argument("--out", type=Path, default=Path("tests/notebooks/out"))
    ap.add_argument("--startup-timeout", type=int, default=900, help="kernel start (cold build) seconds")
    ap.add_argument("--cell-timeout", type=int, default=600)
    ap.add_argument("--current-cluster", action="store_true",
                    help="use the cluster KUBECONFIG points at instead of a fresh labsim")
    ap.add_argument("--keep-state", action="store_true", help="keep the labsim state dir")
    ap.add_argument("--again", action="append", default=[],
                    help="run this notebook (file name) a second time right after the first")
    args = ap.parse_args()

    paths: list[Path] = []
    for p in args.notebooks:
        paths += sorted(p.glob("*.ipynb")) if p.is_dir() else [p]
    paths = [p.resolve() for p in paths]
    result = Result()
    if not paths:
        print("노트북이 없습니다", file=sys.stderr)
        return 1

    if args.current_cluster:  # e.g. a running minikube: the notebooks change it like a learner would
        stats = [run_notebook(path, args.out.resolve(), result, args) for path in paths]
        return summary(stats, result, args)

    state = Path(tempfile.mkdtemp(prefix="kubelab-nbtest-"))
    print(f"labsim up --state-dir {state}", flush=True)
    up = subprocess.run([args.labsim, "up", "--state-dir", str(state), "--timeout", "60"], text=True,
                        capture_output=True, timeout=120)
    stats = []
    try:
        if up.returncode != 0 or not (state / "kubeconfig").exists():
            log = state / "labsim.log"
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:]) if log.exists() else ""
            result.check(False, "labsim up", f"exit {up.returncode}\n{up.stdout}\n{up.stderr}\n--- labsim.log ---\n{tail}")
        else:
            print(up.stdout.strip(), flush=True)
            os.environ["KUBECONFIG"] = str(state / "kubeconfig")
            os.environ["KUBELAB_LABSIM"] = args.labsim
            for path in paths:
                stats.append(run_notebook(path, args.out.resolve(), result, args))
                if path.name in args.again:
                    stats.append(run_notebook(path, args.out.resolve(), result, args, again=True))
    finally:
        down = subprocess.run([args.labsim, "down", "--state-dir", str(state)], text=True,
                              capture_output=True, timeout=120)
        if down.returncode != 0:
            result.check(False, "labsim down", down.stdout + down.stderr)
        if not args.keep_state:
            shutil.rmtree(state, ignore_errors=True)

    return summary(stats, result, args)


def summary(stats: list[dict], result: Result, args) -> int:
    print("\n=== 요약 ===")
    for s in stats:
        print(f"  {s['name']}: 커널 시작 {s['kernel_start'] or 0:.1f}s, 셀 중앙값 {s['median']:.2f}s, 전체 {s['total']:.1f}s")
    print(f"  실행된 노트북: {args.out.resolve()}")
    for name in result.failed:
        print(f"  FAILED: {name}")
    print(f"{len(result.passed)} passed, {len(result.failed)} failed")
    return 1 if result.failed else 0


if __name__ == "__main__":
    sys.exit(main())
