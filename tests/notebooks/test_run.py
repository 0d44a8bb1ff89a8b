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

    def test_every_check_tag_exists_in_its_notebook(self):
        nbdir = Path(__file__).resolve().parents[2] / "notebooks"
        for name, checks in run.CHECKS.items():
            nb = nbformat.read(nbdir / name, as_version=4)
            tags = {t for c in nb.cells for t in c.metadata.get("tags", [])}
            for tag, _, _ in checks:
                self.assertIn(tag, tags, f"{name}: tag {tag}")

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


if __name__ == "__main__":
    unittest.main()
