"""Releasing: solution regions become TODOs, and the committed bundles match their reference."""
import filecmp
import json
import sys
from pathlib import Path

import pytest

from grader.authoring.release import PUBLIC_MISTAKE_KEYS, release
from grader.authoring.solutions import ReleaseError, strip_solutions
from grader.checks import compare
from grader.checks.mistakes import Catalogue
from grader.core import assignment as assignments
from grader.core.assignment import Assignment
from grader.core.paths import course_root
from grader.sandbox import wire

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SOURCE = '''class DenseLayer:
    def forward_propagation(self, input, training):
        """Docstring stays."""
        # <SOL> return input @ weights + biases
        self.input = input
        return input @ self.weights + self.biases
        # </SOL>

def accuracy(y_true, y_pred):
    # <SOL>
    return 1.0
    # </SOL>
'''


def test_regions_become_todos_that_raise():
    out = strip_solutions(SOURCE)
    assert "self.input = input" not in out and '"""Docstring stays."""' in out
    assert "        # TODO: return input @ weights + biases" in out
    assert "raise NotImplementedError('DenseLayer.forward_propagation: return input @ weights + biases')" in out
    assert "raise NotImplementedError('accuracy: implement this part')" in out
    namespace = {}
    exec(out, namespace)
    with pytest.raises(NotImplementedError, match="DenseLayer.forward_propagation"):
        namespace["DenseLayer"]().forward_propagation(None, True)


@pytest.mark.parametrize("broken, message", [
    ("def f():\n    # <SOL>\n    return 1\n", "never closed"),
    ("def f():\n    return 1\n    # </SOL>\n", "without an opening"),
    ("def f():\n    # <SOL>\n    # <SOL>\n    return 1\n    # </SOL>\n", "inside the region"),
    ("def f():\n    # <SOL>\n    if x:\n    # </SOL>\n        y = 1\n", "whole statements"),
])
def test_malformed_regions_name_the_line(broken, message):
    with pytest.raises(ReleaseError, match=message):
        strip_solutions(broken, "ref.py")


def _same_answers(fresh_dir: str, committed_dir: str) -> bool:
    """Recorded answers equal up to floating-point noise (another BLAS or CPU changes the last bits)."""
    fresh, committed = (json.loads((Path(d) / "expected.json").read_text()) for d in (fresh_dir, committed_dir))
    return fresh.keys() == committed.keys() and all(
        compare(wire.decode(fresh[k].encode()), wire.decode(committed[k].encode()), "", rtol=1e-6, atol=1e-9) is None
        for k in fresh)


@pytest.mark.parametrize("name", [n for n in assignments.available()
                                  if (course_root() / "reference" / n).is_dir()])
def test_committed_bundle_is_in_sync(name, tmp_path):
    assignment = assignments.find_assignment(name)
    fresh = release(assignment, tmp_path / name)
    committed = course_root() / "assignments" / name
    assert committed.is_dir(), f"run `nngrade release {name}` and commit assignments/{name}"
    comparison = filecmp.dircmp(fresh, committed, ignore=["__pycache__"])

    def differences(cmp, prefix=""):
        changed = [n for n in cmp.diff_files if not (n == "expected.json" and _same_answers(cmp.left, cmp.right))]
        found = [f"{prefix}{n}" for n in cmp.left_only + cmp.right_only + changed]
        for sub, child in cmp.subdirs.items():
            found += differences(child, f"{prefix}{sub}/")
        return found

    assert differences(comparison) == [], f"assignments/{name} is stale: run `nngrade release {name}`"


def test_hidden_checks_stay_behind(tmp_path):
    assignment = assignments.find_assignment("numpy_nn")
    bundle = release(assignment, tmp_path / "bundle")
    released = {p.name for p in (bundle / "checks").glob("test_*.py")}
    hidden = {p.name for p in assignment.checks_dir.glob("test_hidden_*.py")}
    assert released and not (released & hidden)
    assert not (bundle / assignment.solution).exists() or assignment.solution == assignment.package
    assert "solution" not in (bundle / "assignment.toml").read_text()


@pytest.mark.parametrize("name", [n for n in assignments.available()
                                  if (course_root() / "reference" / n).is_dir()])
def test_released_catalogue_has_titles_and_hints_but_no_explanations(name):
    """Explanations tend to quote the solution: the student meets them in the final grading's report only.
    The student's own `nngrade check` still reads the released catalogue (ids, classes, titles, hints)."""
    bundle = course_root() / "assignments" / name
    released = tomllib.loads((bundle / "mistakes.toml").read_text(encoding="utf-8"))["mistake"]
    assert released and all(set(entry) == set(PUBLIC_MISTAKE_KEYS) for entry in released)
    reference = Catalogue(assignments.find_assignment(name))
    student_side = Catalogue(Assignment.from_dir(bundle, name))
    assert [(m.id, m.title, m.hint, m.explanation) for m in student_side] == \
        [(m.id, m.title, m.hint, "") for m in reference]
