"""Red team, held-out data in the notebook assignments: the digits a worker can load are not the ones it is graded on.

backprop and torch_basics notebooks import scikit-learn (their students call
``load_digits`` themselves), so every sandbox level lets the worker read the
very digits the accuracy checks split. The attacks here are what a notebook
function that sees the test rows (``forward``, ``softmax_forward``, a model's
``forward``) would do with them: load the digits, scale them as the notebook
does, and take the label of the row that equals each test row (exact lookup)
or lies nearest to it (nearest neighbour). They run on the rows the checks'
own ``digits`` fixture hands the worker. At grading seed 0 (the student's
self-check) they recover every label, so the attacks are real; at a final
grading they recover no more than chance, while an honest classifier trained
on the same handed rows still clears the assignment's threshold.
"""
from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

from grader.checks.inputs import drawing_inputs
from grader.core.assignment import Assignment
from grader.core.paths import PACKAGE_PARENT as PROJECT_ROOT

FINAL_SEEDS = (7, 1234, 2**31 - 5)

#: (assignment, the classes the fixture is asked for, how its notebook scales the digits, the threshold's name)
CASES = {
    "backprop-binary": ("backprop", (3, 8), lambda d: d / 16 - 0.5, "binary_accuracy"),
    "backprop-ten": ("backprop", None, lambda d: d / 16 - 0.5, "softmax_accuracy"),
    "torch_basics": ("torch_basics", None, lambda d: (d / 16).astype(np.float32), "sgd_accuracy"),
}


def _digits_fixture(assignment: str):
    """The ``digits`` fixture of the assignment's real conftest.py, as a plain function."""
    path = PROJECT_ROOT / "reference" / assignment / "checks" / "conftest.py"
    spec = importlib.util.spec_from_file_location(f"heldout_conftest_{assignment}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    fixture = module.digits
    wrapped = getattr(fixture, "__wrapped__", None) or fixture.__pytest_wrapped__.obj
    return wrapped()


def _library_digits(classes, scale):
    """The installed digits as the notebook scales them, with the labels the check uses (1.0 for classes[1])."""
    data = load_digits()
    if classes is None:
        return scale(data.data).astype(float), data.target
    keep = np.isin(data.target, classes)
    return scale(data.data[keep]).astype(float), (data.target[keep] == classes[1]).astype(float)


def exact_lookup(X_test, classes, scale):
    """The label of the library row equal to each test row (rounded as the library's 17 grey levels allow)."""
    rows, labels = _library_digits(classes, scale)
    table = {row.round(4).tobytes(): value for row, value in zip(rows, labels)}
    found = [table.get(np.asarray(row, float).round(4).tobytes()) for row in X_test]
    return np.array([-1 if value is None else value for value in found]), sum(v is not None for v in found)


def nearest_lookup(X_test, classes, scale):
    """The label of the library row nearest to each test row."""
    rows, labels = _library_digits(classes, scale)
    X_test = np.asarray(X_test, float)
    distances = (X_test ** 2).sum(1)[:, None] - 2 * X_test @ rows.T + (rows ** 2).sum(1)[None, :]
    return labels[distances.argmin(axis=1)]


def _split(case, seed):
    assignment, classes, *_ = CASES[case]
    with drawing_inputs(seed):
        return _digits_fixture(assignment)(*(() if classes is None else (classes,)))


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_lookups_are_real_at_the_self_check(case):
    """Positive control: at grading seed 0 the handed rows are the library's, and both lookups find every label."""
    _, classes, scale, _ = CASES[case]
    _, X_test, _, y_test = _split(case, 0)
    labels, found = exact_lookup(X_test, classes, scale)
    assert found == len(X_test) and np.mean(labels == y_test) == 1.0
    assert np.mean(nearest_lookup(X_test, classes, scale) == y_test) == 1.0


@pytest.mark.parametrize("seed", FINAL_SEEDS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_a_final_grading_hands_rows_no_lookup_can_label(case, seed):
    assignment, classes, scale, threshold_name = CASES[case]
    X_train, X_test, y_train, y_test = _split(case, seed)
    labels, found = exact_lookup(X_test, classes, scale)
    assert found == 0, f"{found} of {len(X_test)} test rows are in scikit-learn's digits"
    chance = np.max(np.bincount(y_test.astype(int))) / len(y_test)
    nearest = np.mean(nearest_lookup(X_test, classes, scale) == y_test)
    threshold = Assignment.from_dir(PROJECT_ROOT / "reference" / assignment, assignment).thresholds[threshold_name]
    assert nearest <= chance + 0.15, f"nearest-neighbour lookup recovered {nearest:.2f} (chance {chance:.2f})"
    assert nearest < threshold - 0.2
    # The disguise costs an honest learner nothing: a plain classifier on the handed rows clears the threshold.
    honest = LogisticRegression(max_iter=500).fit(X_train, y_train).score(X_test, y_test)
    assert honest >= threshold, f"an honest classifier reached only {honest:.3f} on the disguised rows"
