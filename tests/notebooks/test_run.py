"""tests/notebooks/test_run.py: unit tests of the notebook runner's own checks (run by `make test`
before the notebooks), so a check that could never fail, or never pass, is caught here."""

import sys
import unittest
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).parent))
import run  # noqa: E402


def cell(*outputs):
    c = nbformat.v4.new_code_cell("x")
    c.outputs = [nbformat.from_dict(o) for o in outputs]
    return c


class OutputProblems(unittest.TestCase):
    def test_clean_stdout_and_html_are_text_without_problems(self):
        c = cell({"output_type": "stream", "name": "stdout", "text": "$ kubectl get pods\n"},
                 {"output_type": "display_data", "metadata": {},
                  "data": {"text/html": "<table><tr><td>mysql-0</td><td>Running</td></tr></table>"}})
        text, problems = run.output_text(c)
        self.assertEqual(problems, [])
        self.assertIn("mysql-0", text)
        self.assertIn("$ kubectl get pods", text)

    def test_stderr_is_a_problem(self):
        # evcxr reports a `?` error as stderr with reply status "ok".
        c = cell({"output_type": "stream", "name": "stderr", "text": "클러스터에 연결할 수 없습니다"})
        _, problems = run.output_text(c)
        self.assertEqual(len(problems), 1)

    def test_error_output_is_a_problem(self):
        c = cell({"output_type": "error", "ename": "E0425", "evalue": "cannot find value", "traceback": []})
        _, problems = run.output_text(c)
        self.assertTrue(problems and "E0425" in problems[0])

    def test_panic_text_on_stdout_is_a_problem(self):
        c = cell({"output_type": "stream", "name": "stdout",
                  "text": "thread '<unnamed>' panicked at src/lib.rs:1:1:\nboom\n"})
        _, problems = run.output_text(c)
        self.assertTrue(problems)


    def test_a_result_shown_as_debug_is_a_problem_but_a_table_is_not(self):
        debug = cell({"output_type": "execute_result", "metadata": {}, "execution_count": 1,
                      "data": {"text/plain": 'Table { columns: ["NAME", "STATUS"], rows: [] }'}})
        _, problems = run.output_text(debug)
        self.assertTrue(problems and "Debug" in problems[0])
        table = cell({"output_type": "execute_result", "metadata": {}, "execution_count": 1,
                      "data": {"text/plain": "NAME   STATUS\nminikube   Ready",
                               "text/html": "<table></table>"}})
        self.assertEqual(run.output_text(table)[1], [])
        number = cell({"output_type": "execute_result", "metadata": {}, "execution_count": 1,
                       "data": {"text/plain": "3"}})
        self.assertEqual(run.output_text(number)[1], [])


class Checks(unittest.TestCase):
    def test_ready_order(self):
        ok = 'x\n관찰된 Ready 순서: ["mysql-0", "mysql-1", "mysql-2"] → 0,1,2 순서인가? true\n'
        self.assertTrue(run.ready_order_0_1_2(ok))
        self.assertTrue(run.ready_order_0_1_2("관찰된 Ready 순서: [0, 1, 2] → 0,1,2 순서인가? true"))
        self.assertFalse(run.ready_order_0_1_2(ok.replace("true", "false")))
        self.assertFalse(run.ready_order_0_1_2(
            '관찰된 Ready 순서: ["mysql-1", "mysql-0", "mysql-2"] → 0,1,2 순서인가? true'))
        self.assertFalse(run.ready_order_0_1_2("mysql-0 mysql-1 mysql-2"))

    def test_schemas_without_testdb(self):
        base = "mysql> SHOW DATABASES;\ninformation_schema\nmysql\nperformance_schema\nsys\n"
        self.assertTrue(run.schemas_without_testdb(base))
        self.assertFalse(run.schemas_without_testdb(base + "testdb\n"))
        self.assertFalse(run.schemas_without_testdb("mysql> SHOW DATABASES;\nmysql\n"))

    WATCH = """$ kubectl get pods -l app=mysql -w
NAME      READY   STATUS              RESTARTS    AGE
mysql-0   0/1     Running             0           6s
mysql-0   1/1     Running             0           6s
mysql-1   0/1     Pending             0           0s
mysql-1   0/1     ContainerCreating   0           0s
mysql-1   1/1     Running             0           2s
mysql-2   0/1     Pending             0           0s
mysql-2   1/1     Running             0           1s
"""

    def test_created_after_predecessor_ready(self):
        self.assertTrue(run.created_after_predecessor_ready(self.WATCH))
        # Parallel: mysql-1 exists before mysql-0 is Ready
        parallel = self.WATCH.replace("mysql-1   0/1     Pending             0           0s\n", "")
        parallel = parallel.replace("mysql-0   0/1     Running", "mysql-1   0/1     Pending             0           0s\nmysql-0   0/1     Running")
        self.assertFalse(run.created_after_predecessor_ready(parallel))
        # an old pod's Terminating line before the new mysql-0 is Ready does not count as creation
        terminating = "mysql-1   1/1     Terminating         0           5m\n" + self.WATCH
        self.assertTrue(run.created_after_predecessor_ready(terminating))
        # mysql-2 before mysql-1 is Ready
        early2 = self.WATCH.replace("mysql-1   1/1     Running", "mysql-2   0/1     Pending   0  0s\nmysql-1   1/1     Running")
        self.assertFalse(run.created_after_predecessor_ready(early2))
        self.assertFalse(run.created_after_predecessor_ready("mysql-0   1/1     Running   0   1s\n"))

    def test_headless_service(self):
        svc = ("NAME         TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)    AGE\n"
               "kubernetes   ClusterIP   10.96.0.1    <none>        443/TCP    5m\n"
               "mysql        ClusterIP   None         <none>        3306/TCP   1m\n")
        self.assertTrue(run.headless_service(svc))
        self.assertFalse(run.headless_service(svc.replace("None     ", "10.96.1.7")))

    PODS_WIDE = ("NAME      READY   STATUS    RESTARTS   AGE   IP           NODE           NOMINATED NODE   READINESS GATES\n"
                 "mysql-0   1/1     Running   0          9s    10.244.0.4   minikube       <none>           <none>\n"
                 "mysql-1   1/1     Running   0          8s    10.244.1.3   minikube-m02   <none>           <none>\n")

    def test_name_resolves_to_pod_ip(self):
        getent = "10.244.0.4      mysql-0.mysql.default.svc.cluster.local mysql-0.mysql\n"
        self.assertEqual(run.pod_ip(self.PODS_WIDE, "mysql-1"), "10.244.1.3")
        self.assertTrue(run.name_resolves_to_pod_ip(self.PODS_WIDE, getent))
        self.assertFalse(run.name_resolves_to_pod_ip(self.PODS_WIDE, getent.replace("0.4 ", "1.3 ")))
        self.assertFalse(run.name_resolves_to_pod_ip(self.PODS_WIDE, "command terminated with exit code 2"))

    RECREATE = ("      NAME     UID                                    IP              NODE\n"
                "이전  mysql-0  0b7c9a4e-1111-4ddf-bd06-812410a3500d   10.244.0.4      minikube\n"
                "이후  mysql-0  f659646a-6b7f-4ddf-bd06-812410a3500d   10.244.0.9      minikube-m03\n")

    def test_recreated_pod_has_a_new_uid_and_the_name_follows_its_new_ip(self):
        self.assertTrue(run.new_uid_same_name(self.RECREATE))
        same_uid = self.RECREATE.replace("f659646a-6b7f", "0b7c9a4e-1111")
        self.assertFalse(run.new_uid_same_name(same_uid))
        before = "10.244.0.4      mysql-0.mysql.default.svc.cluster.local\n"
        after = "10.244.0.9      mysql-0.mysql.default.svc.cluster.local\n"
        self.assertTrue(run.name_follows_new_ip(before, after, self.RECREATE))
        self.assertFalse(run.name_follows_new_ip(before, before, self.RECREATE))  # DNS kept the old IP
        self.assertFalse(run.name_follows_new_ip(before, after, self.RECREATE.replace("10.244.0.9", "10.244.0.4")))

    def test_scale_down_deletes_the_highest_ordinal_first(self):
        ev = ("2s   Normal   SuccessfulDelete   statefulset/mysql   delete Pod mysql-2 in StatefulSet mysql successful\n"
              "1s   Normal   SuccessfulDelete   statefulset/mysql   delete Pod mysql-1 in StatefulSet mysql successful\n")
        self.assertTrue(run.deleted_highest_first(ev))
        self.assertFalse(run.deleted_highest_first("\n".join(reversed(ev.splitlines()))))
        self.assertFalse(run.deleted_highest_first(ev.splitlines()[0]))

    def test_service_name_resolves_to_every_ready_pod(self):
        wide = self.PODS_WIDE + ("mysql-2   1/1     Running   0          7s    10.244.2.3   minikube-m03   <none>           <none>\n")
        getent = ("10.244.1.3      mysql.default.svc.cluster.local\n"
                  "10.244.0.4      mysql.default.svc.cluster.local\n"
                  "10.244.2.3      mysql.default.svc.cluster.local\n")
        self.assertTrue(run.resolves_to_all_pod_ips(wide, getent))
        self.assertFalse(run.resolves_to_all_pod_ips(wide, "\n".join(getent.splitlines()[:2])))
        self.assertFalse(run.resolves_to_all_pod_ips(self.PODS_WIDE, getent))  # mysql-2 not in the table

    def test_container_restarted_in_the_same_pod(self):
        text = ("pod/mysql-0 condition met\n"
                "NAME      READY   STATUS    RESTARTS     AGE\nmysql-0   1/1     Running   1 (5s ago)   40s\n")
        self.assertTrue(run.restarted_in_place(text))
        self.assertFalse(run.restarted_in_place(text.replace("Running   1 (5s ago)", "Running   0")))
        self.assertFalse(run.restarted_in_place(text.replace("condition met", "timed out")))

    def test_crash_looping(self):
        check = run.crash_looping("mysql-c-0")
        self.assertTrue(check("mysql-c-0   0/1     CrashLoopBackOff   2 (10s ago)   30s\n"))
        self.assertTrue(check("mysql-c-0   0/1     Error              1 (1s ago)    12s\n"))
        self.assertFalse(check("mysql-c-0   0/1     Running            0             12s\n"))
        self.assertFalse(check("mysql-c-0   0/1     CrashLoopBackOff   0             12s\n"))

    def test_only_mysql_0(self):
        self.assertTrue(run.only_mysql_0("NAME      READY\nmysql-0   1/1     Running   0   3m\n"))
        self.assertFalse(run.only_mysql_0("mysql-0   1/1     Running\nmysql-1   1/1     Running\n"))

    def test_apply_check_passes_the_tagged_texts_in_order_and_reports_missing_tags(self):
        tagged = {"a": "1", "b": "2"}
        self.assertEqual(run.apply_check("a", lambda x: x == "1", tagged)[0], True)
        self.assertEqual(run.apply_check(("b", "a"), lambda x, y: (x, y) == ("2", "1"), tagged)[0], True)
        ok, detail = run.apply_check(("a", "c"), lambda x, y: True, tagged)
        self.assertFalse(ok)
        self.assertIn("c", detail)

    def test_every_check_tag_exists_in_its_notebook(self):
        nbdir = Path(__file__).resolve().parents[2] / "notebooks"
        for name, checks in run.CHECKS.items():
            nb = nbformat.read(nbdir / name, as_version=4)
            tags = {t for c in nb.cells for t in c.metadata.get("tags", [])}
            for tag, _, _ in checks:
                for t in tag if isinstance(tag, tuple) else (tag,):
                    self.assertIn(t, tags, f"{name}: tag {t}")

    def test_notebooks_are_committed_without_outputs_and_use_the_kubelab_kernel(self):
        nbdir = Path(__file__).resolve().parents[2] / "notebooks"
        for path in nbdir.glob("*.ipynb"):
            nb = nbformat.read(path, as_version=4)
            nbformat.validate(nb)
            self.assertEqual(nb.metadata.kernelspec.name, "kubelab", path.name)
            for c in nb.cells:
                if c.cell_type == "code":
                    self.assertEqual(c.outputs, [], f"{path.name}: outputs not cleared")
                    self.assertIsNone(c.execution_count, path.name)


class LearnerChecks(unittest.TestCase):
    def test_a_check_cell_passes_only_with_its_lines_and_no_cross(self):
        ok = "확인 'deploy': ...\n✅ StatefulSet mysql READY 3/3\n확인 'deploy' 통과 (1/1)"
        self.assertTrue(run.check_passed("deploy", "StatefulSet mysql READY 3/3")(ok))
        self.assertFalse(run.check_passed("deploy", "Service mysql은 헤드리스입니다 (CLUSTER-IP None)")(ok))
        failed = "❌ mysql-2 파드가 아직 Ready가 아닙니다 → watch_pods(\"app=mysql\")? 셀을 실행하세요"
        self.assertFalse(run.check_passed("deploy")(failed))

    def test_dns_check_line_is_matched(self):
        text = ("확인 'dns': ...\n✅ mysql-1에서 mysql-0.mysql이 10.244.1.5로 풀립니다\n"
                "✅ 그 IP는 mysql-0의 파드 IP(10.244.1.5)입니다\n확인 'dns' 통과 (2/2)")
        check = dict((t, c) for t, _, c in run.CHECKS["01-statefulset-mysql.ipynb"] if t == "check-dns")["check-dns"]
        self.assertTrue(check(text))


class Replication(unittest.TestCase):
    """Notebook 05: its output checks, and its manifests being the tutorial's own."""

    def test_server_id_spread_needs_two_servers(self):
        self.assertTrue(run.server_ids_spread("100\n102\n100\n"))
        self.assertFalse(run.server_ids_spread("101\n101\n101\n"))
        self.assertFalse(run.server_ids_spread(""))

    def test_every_server_must_count_the_rows(self):
        self.assertTrue(run.same_count_everywhere("2")("100\t2\n104\t2\n"))
        self.assertFalse(run.same_count_everywhere("2")("100\t2\n103\t1\n"))
        self.assertFalse(run.same_count_everywhere("2")("no rows"))

    def test_a_programs_own_error_line_passes_only_in_its_cell(self):
        text = "mysqladmin: connect to server at 'localhost' failed\nerror: 'Access denied'\n"
        cell = lambda tags, t=text: nbformat.v4.new_code_cell(
            "x", metadata={"tags": tags}, outputs=[nbformat.v4.new_output("stream", name="stdout", text=t)])
        self.assertEqual(run.output_text(cell(["ping-denied"]))[1], [])
        self.assertTrue(run.output_text(cell(["other"]))[1])
        self.assertTrue(run.output_text(cell(["ping-denied"], "error[E0425]: cannot find value"))[1])

    def test_manifests_are_the_tutorials_byte_for_byte(self):
        # kubernetes/website content/en/examples/application/mysql/mysql-{configmap,services,statefulset}.yaml
        # (statefulset and configmap at 044d11de32c8, services at 16a985010c3d): the notebook says they are
        # unchanged, so any edit here must be an upstream update.
        import hashlib
        want = {
            "5-mysql-configmap.yaml": "0832d81030647fde3ccc02955a9b40a400a5513bd07b776da5a3151790ed3c4c",
            "5-mysql-services.yaml": "74bd471c98c832a3678752959333e8fdd8f6b954ac530e21918ea5cb367c8c27",
            "5-mysql-statefulset.yaml": "e8bf51f2c3c357764decbaf46908204d20510a8a0c43fed9256d99553c2d2faa",
        }
        mdir = Path(__file__).resolve().parents[2] / "manifests"
        for name, sha in want.items():
            self.assertEqual(hashlib.sha256((mdir / name).read_bytes()).hexdigest(), sha, name)


if __name__ == "__main__":
    unittest.main()
