"""Notebook assignments: the cell executor's rules, release, and grading notebooks end to end (backprop).

The full ``validate`` of each notebook assignment runs in ``.ci/run``.
"""
from __future__ import annotations

import ast
import dataclasses
import json
import re
import time
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from grader.authoring.notebook_release import blank_fill_ins, student_notebook
from grader.authoring.release import release
from grader.authoring.solutions import ReleaseError
from grader.core import assignment as assignments
from grader.core.schema import ATTACHMENTS
from grader.engine.grade import grade
from grader.engine.kinds import NotebookKind
from grader.feedback.files import write_reports
from grader.sandbox.ipython_shell import to_python
from grader.sandbox.modules import ModuleLoadError
from grader.sandbox.notebook_worker import NotebookExecutor
from grader.submissions.notebooks import read_notebook

ROOT = Path(__file__).resolve().parents[1]


def reference_notebook(assignment):
    return NotebookKind(assignment).reference_notebook


SAMPLES = ROOT / "samples"


def run_cells(*sources: str, **options) -> NotebookExecutor:
    executor = NotebookExecutor([{"cell": n, "source": s} for n, s in enumerate(sources, start=1)],
                                module_name=f"test_notebook_{time.monotonic_ns()}", **options)
    executor.run()
    return executor


def statuses(executor: NotebookExecutor) -> dict[int, str]:
    return {run.cell: run.status for run in executor.runs}


@pytest.fixture(scope="module")
def backprop():
    return assignments.find_assignment("backprop")


def write_notebook(path: Path, cells, kernel: dict | None = None) -> Path:
    notebook = new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = kernel or {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, path)
    return path


# -- the executor's rules (in this process, no worker) -------------------------------------------------
def test_last_def_is_graded_and_plain_rebinding_is_ignored():
    executor = run_cells("def forward(x):\n    return 1\n",
                         "def forward(x):\n    return 2\n\nforward = None\n",
                         "def loss(y):\n    return 4\n\nloss = loss(0)\nx_value = 5\n")
    assert executor.resolve("forward")(0) == 2
    assert executor.resolve("loss")(0) == 4
    assert executor.resolve("x_value") == 5           # a named result: its value after the run
    assert executor.definitions["forward"] == [1, 2]
    executor.restore(["forward", "loss"])
    assert executor.namespace["loss"](0) == 4         # graded functions calling loss see the definition
    with pytest.raises(ModuleLoadError, match="does not define backward"):
        executor.resolve("backward")


def test_failing_statement_keeps_the_definitions_after_it():
    executor = run_cells("import math\n1 / 0\ndef after():\n    return math.pi\nvalue = compute()\n",
                         "def later():\n    return 3\n",
                         "def broken(:\n    pass\n")
    assert statuses(executor) == {1: "error", 2: "ok", 3: "syntax"}
    assert "ZeroDivisionError" in executor.runs[0].error and "(line 2)" in executor.runs[0].error
    assert executor.resolve("after")() == pytest.approx(3.14159, abs=1e-4)
    assert "value" not in executor.namespace          # not a definition: skipped after the error
    assert executor.resolve("later")() == 3
    with pytest.raises(ModuleLoadError, match="cell 3.*SyntaxError"):
        executor.resolve("broken")


def test_a_cell_past_its_time_limit_is_stopped_and_the_rest_runs():
    started = time.monotonic()
    executor = run_cells("import time\nwhile True:\n    try:\n        time.sleep(0.05)\n    except Exception:\n"
                         "        pass\ndef inside():\n    return 1\n",
                         "def after():\n    return 2\n", cell_seconds=1)
    assert time.monotonic() - started < 10
    assert statuses(executor) == {1: "timeout", 2: "ok"}
    assert executor.resolve("inside")() == 1 and executor.resolve("after")() == 2


def test_magics_and_shell_escapes():
    executor = run_cells("%matplotlib inline\n%time x = 2 + 3\n%timeit -n 3 -r 1 y = 4\n!pip install torch\n"
                         "files = !ls\n",
                         "%%time\ndef timed():\n    return 'ok'\n",
                         "%load_ext autoreload\n%unknownmagic now\n")
    assert set(statuses(executor).values()) == {"ok"}
    assert executor.namespace["x"] == 5 and executor.namespace["y"] == 4 and executor.namespace["files"] == []
    assert executor.resolve("timed")() == "ok"
    assert any("!pip install torch was not run" in note for note in executor.notes)
    assert any("%unknownmagic is not run" in note for note in executor.notes)


def test_stderr_warnings_and_plots_are_not_errors():
    executor = run_cells("import sys, warnings\nprint('careful', file=sys.stderr)\nwarnings.warn('deprecated')\n",
                         "import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.show()\n")
    assert statuses(executor) == {1: "ok", 2: "ok"}


# -- release --------------------------------------------------------------------------------------------
def test_released_notebook_is_valid_and_holds_no_solution(backprop):
    reference = read_notebook(reference_notebook(backprop))
    released = student_notebook(reference, "backprop.ipynb")
    nbformat.validate(released)
    instructor = [c for c in reference.cells if "instructor" in c.metadata.get("tags", [])]
    assert instructor and len(released.cells) == len(reference.cells) - len(instructor)
    assert [c.source for c in released.cells if c.cell_type == "markdown"] == \
           [c.source for c in reference.cells if c.cell_type == "markdown" and c not in instructor]
    code = [c for c in released.cells if c.cell_type == "code"]
    for cell in code:
        assert "<SOL>" not in cell.source and cell.outputs == [] and cell.execution_count is None
        ast.parse(to_python(cell.source))
    fill_ins = [line for c in code for line in c.source.splitlines() if "<FILL IN>" in line]
    assert fill_ins and all(line.rstrip().endswith("...  # <FILL IN>") for line in fill_ins)
    assert "raise NotImplementedError('backward: gradients of the average cross-entropy')" in \
           "".join(c.source for c in code)


def test_fill_in_must_end_an_assignment_or_return():
    assert blank_fill_ins("    y = torch.sqrt(x)  # <FILL IN>", "nb") == "    y = ...  # <FILL IN>"
    assert blank_fill_ins("return a @ b  # <FILL IN>", "nb") == "return ...  # <FILL IN>"
    with pytest.raises(ReleaseError, match="cell 4 line 1"):
        blank_fill_ins("print(x)  # <FILL IN>", "nb cell 4")


def test_release_bundle(backprop, tmp_path):
    bundle = release(backprop, tmp_path / "bundle")
    notebook = nbformat.read(bundle / "backprop" / "backprop.ipynb", as_version=4)
    nbformat.validate(notebook)
    checks = sorted(p.name for p in (bundle / "checks").iterdir())
    assert "test_public_binary.py" in checks and not any(name.startswith("test_hidden") for name in checks)
    assert json.loads((bundle / "checks" / "expected.json").read_text())
    assert "solution" not in (bundle / "assignment.toml").read_text()


# -- grading notebooks in the sandbox ---------------------------------------------------------------------
def test_reference_gets_full_marks_and_a_notebook_report(backprop, tmp_path):
    results = grade(backprop, reference_notebook(backprop))
    assert results["score"] == results["extra_data"]["max_score"] > 50
    info = results["extra_data"]["notebook"]
    assert info["definitions"]["forward"] == 6 and info["failed_cells"] == [] and info["html"] == "notebook.html"
    write_reports(results, tmp_path)
    html = (tmp_path / "notebook.html").read_text()
    assert 'id="cell-6"' in html and "Content-Security-Policy" in html and "<script src" not in html
    assert ATTACHMENTS not in json.loads((tmp_path / "results.json").read_text())


def test_skeleton_scores_almost_nothing(backprop, tmp_path):
    skeleton = tmp_path / "backprop.ipynb"
    nbformat.write(student_notebook(read_notebook(reference_notebook(backprop)), "backprop.ipynb"), skeleton)
    results = grade(backprop, skeleton, diagnose=False)
    assert results["score"] <= 0.05 * results["extra_data"]["max_score"]
    failed_cells = {c["cell"] for c in results["extra_data"]["notebook"]["failed_cells"]}
    assert 13 in failed_cells   # the gradient-check demo calls the unwritten backward


def test_buggy_sample_mistakes_are_named_with_their_cells(backprop):
    results = grade(backprop, SAMPLES / "backprop" / "buggy.ipynb", seed=0)   # near its threshold
    named = {m["id"] for m in results["extra_data"]["misconceptions"]}
    assert {"tanh-derivative-squared", "softmax-no-max-shift"} <= named
    stable = next(t for t in results["tests"] if t["name"].startswith("softmax: numerically stable"))
    assert stable["status"] == "failed" and "defined in cell 19" in stable["output"]
    training = next(t for t in results["tests"] if t["name"].startswith("train_two_layer: test accuracy on digits 3"))
    backward = next(t for t in results["tests"] if t["name"].startswith("two_layer_backward: hidden weight"))
    # one mistake, charged once: the training loop re-ran with the grader's two_layer_backward ([notebook.depends])
    assert training["status"] == "passed", training["output"]
    assert f"passes once two_layer_backward is fixed: charged in check {backward['number']}" in training["output"]
    assert results["extra_data"]["notebook"]["checks"][stable["number"]]["anchor"] == "cell-19"
    page = BeautifulSoup(results[ATTACHMENTS]["notebook.html"], "html.parser")
    for anchor in set(re.findall(r"notebook\.html#(cell-\d+)", " ".join(t["output"] for t in results["tests"]))):
        assert page.find(id=anchor) is not None, anchor  # every mention in the report lands on its cell
    note = page.find(id=f"cell-19-check-{stable['number']}").get_text(" ", strip=True)
    assert "contains nan or inf" in note and "Hint:" in note  # the message, mistake and hint at the cell


def test_correct_different_sample_gets_full_marks(backprop):
    results = grade(backprop, SAMPLES / "backprop" / "correct_different.ipynb", diagnose=False)
    assert results["score"] == results["extra_data"]["max_score"], [
        (t["name"], t["output"]) for t in results["tests"] if t["status"] != "passed"]
    assert any("!pip install" in note for note in results["extra_data"]["notes"])


@pytest.mark.parametrize("content, kernel, message", [
    ('{"cells": [{"cell_type": "code", "source": "x = 1"', None, "is not valid notebook JSON (line 1"),
    (None, {"name": "ir", "display_name": "R", "language": "R"}, "is a notebook for R (kernel 'R')"),
    ("no-code", None, "has no code in its code cells"),
])
def test_mangled_notebook_is_a_clear_message_and_a_zero(backprop, tmp_path, content, kernel, message):
    path = tmp_path / "backprop.ipynb"
    if content is None or content == "no-code":
        cells = [new_markdown_cell("# my answers")] + ([] if content == "no-code" else [new_code_cell("x <- 1")])
        write_notebook(path, cells, kernel)
    else:
        path.write_text(content)
    results = grade(backprop, path, public_only=True, diagnose=False)
    assert results["score"] == 0
    assert message in results["extra_data"]["notes"][0]
    assert all(message in t["output"] for t in results["tests"])


def test_a_py_file_instead_of_the_notebook(backprop, tmp_path):
    (tmp_path / "backprop.py").write_text("def forward(w, b, x):\n    return x\n")
    results = grade(backprop, tmp_path, public_only=True, diagnose=False)
    assert results["score"] == 0 and "no Jupyter notebook (.ipynb)" in results["extra_data"]["notes"][0]


def test_hangs_crashes_warnings_and_rebinding_cost_only_their_own_checks(backprop, tmp_path):
    """One notebook with everything students do to a grader; only softmax_accuracy (an infinite loop) loses points."""
    notebook = read_notebook(reference_notebook(backprop))
    for cell in notebook.cells:
        cell.source = cell.source.replace(
            "def softmax_accuracy(Y, Q):\n", "def softmax_accuracy(Y, Q):\n    while True:\n        pass\n").replace(
            "def logistic(t):\n", "def logistic(t):\n    import sys, warnings\n    warnings.warn('logistic called')\n"
                                  "    print('debug: logistic', file=sys.stderr)\n")
    notebook.cells[2:2] = [new_code_cell("!pip install numpy\n%timeit -n 1 -r 1 sum(range(10))"),
                           new_code_cell("while True:\n    pass"),
                           new_code_cell("import os\nos._exit(3)"),
                           new_code_cell("1 / 0")]
    notebook.cells.append(new_code_cell("forward = None\nloss = loss(np.array([1.0]), np.array([0.5]))"))
    path = tmp_path / "backprop.ipynb"
    nbformat.write(notebook, path)
    quick = dataclasses.replace(backprop, limits=dataclasses.replace(backprop.limits, probe_seconds=4),
                                config={**backprop.config, "notebook": {**backprop.config["notebook"], "cell_seconds": 2}})
    started = time.monotonic()
    results = grade(quick, path, diagnose=False)
    failed = {t["name"]: t for t in results["tests"] if t["status"] != "passed"}
    assert list(failed) == ["softmax_accuracy: fraction of correct classes"]
    assert "timeout" in failed["softmax_accuracy: fraction of correct classes"]["tags"]
    cells = {c["cell"]: c for c in results["extra_data"]["notebook"]["failed_cells"]}
    assert cells[4]["status"] == "timeout" and cells[6]["status"] == "error"
    assert cells[5]["status"] == "not-run" and "stopped the process running your notebook" in cells[5]["error"]
    assert any("!pip install numpy was not run" in note for note in results["extra_data"]["notes"])
    assert time.monotonic() - started < 120


# -- torch_basics (torch in the worker and in the harness) ---------------------------------------------
def test_torch_basics_reference_and_samples():
    torch_basics = assignments.find_assignment("torch_basics")
    reference = grade(torch_basics, reference_notebook(torch_basics))
    assert reference["score"] == reference["extra_data"]["max_score"]
    different = grade(torch_basics, SAMPLES / "torch_basics" / "correct_different.ipynb", diagnose=False)
    assert different["score"] == different["extra_data"]["max_score"]
    buggy = grade(torch_basics, SAMPLES / "torch_basics" / "buggy.ipynb")
    assert {"scheduler-stepped-per-batch", "softmax-before-cross-entropy"} <= \
           {m["id"] for m in buggy["extra_data"]["misconceptions"]}
