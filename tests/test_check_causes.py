"""The likely cause a failed whole-pipeline check names (grader.checks.causes): only where the evidence points."""
from __future__ import annotations

import importlib.util
import sys
from types import SimpleNamespace

import numpy as np

from grader.checks.causes import crash_cause, crash_frames, evidence_from_checks, failing_parts
from grader.core.types import CheckResult
from grader.sandbox.worker import describe_exception

#: A crash in SGD.update, called by DenseLayer.backward_propagation, called by NeuralNetwork.fit.
CRASH = {"type": "ValueError", "message": "operands could not be broadcast together",
         "frames": [["neuralnet.py", 90, "NeuralNetwork.fit", ""],
                    ["neuralnet.py", 60, "NeuralNetwork.backward_propagation", ""],
                    ["layers.py", 66, "DenseLayer.backward_propagation", ""],
                    ["optimizer.py", 23, "SGD.update", ""]]}


def _result(name: str, passed: bool, points: float = 2.0) -> CheckResult:
    return CheckResult(f"test_x.py::{name}", name, name, points, hidden=False, passed=passed)


def test_a_crash_in_a_passing_part_is_charged_to_the_failing_caller_that_handed_it_the_value():
    evidence = {"DenseLayer": "weight gradient has shape (2, 3), expected (3, 2)", "SGD": "",
                "MeanSquaredError": "derivative off by 1/N", "NeuralNetwork": "same order every epoch"}
    text = crash_cause(CRASH, evidence)
    assert text.startswith("Likely cause: DenseLayer. The crash is in SGD.update (optimizer.py line 23), but SGD "
                           "passes its own checks")
    assert "DenseLayer.backward_propagation (layers.py line 66)" in text and "shape (2, 3)" in text
    # Parts the evidence does not point to are not named.
    assert "MeanSquaredError" not in text and "same order" not in text


def test_a_crash_in_a_failing_part_is_charged_to_that_part():
    text = crash_cause(CRASH, {"DenseLayer": "wrong shape", "SGD": "momentum ignored"})
    assert text.startswith("Likely cause: SGD. The crash is in its own code, SGD.update (optimizer.py line 23)")
    assert "DenseLayer" not in text


def test_without_evidence_on_the_path_no_part_is_accused_and_other_failing_parts_are_only_possible_sources():
    text = crash_cause(CRASH, {"DenseLayer": "", "SGD": "", "MeanSquaredError": "derivative off by 1/N"},
                       tests="quick tests")
    assert "Likely cause" not in text
    assert "SGD passes its quick tests" in text and "DenseLayer passes its quick tests too" in text
    assert "may have reached it:\n  - MeanSquaredError: derivative off by 1/N" in text


def test_no_student_frame_means_no_claim():
    assert crash_cause({"type": "ValueError", "frames": []}, {"SGD": "broken"}) == ""
    assert crash_frames({"frames": [["a.py", "x", "f", ""]]}) == []


def test_failing_parts_are_listed_costliest_first_with_their_counts_and_parts_not_run_are_left_out():
    checks = [_result("make_loaders: shuffles", False), _result("train_epoch: zero_grad", False),
              _result("train_epoch: updates", False), _result("evaluate: eval mode", True),
              _result("conv_output_size: stride", False)]
    lines = failing_parts(checks, ["make_loaders", "train_epoch", "evaluate"]).splitlines()
    assert lines == ['  - train_epoch: 2 failed checks (4 points), first "train_epoch: zero_grad"',
                     '  - make_loaders: 1 failed check (2 points), "make_loaders: shuffles"']
    assert failing_parts(checks, ["evaluate"]) == ""


def test_evidence_from_checks_names_the_first_failed_check_and_clears_passing_parts():
    evidence = evidence_from_checks([_result("fit: a", True), _result("train_epoch: a", False),
                                     _result("train_epoch: b", False)])
    assert evidence == {"fit": "", "train_epoch": 'check "train_epoch: a" (and 1 more)'}


def test_the_worker_records_the_students_frames_by_qualified_name_and_skips_numpy_and_tracebacklimit(tmp_path,
                                                                                                  monkeypatch):
    source = tmp_path / "optimizer.py"
    source.write_text("import numpy as np\n\nclass SGD:\n    def update(self, w, grad):\n"
                      "        return w - np.ones((2, 4)) * grad\n")
    spec = importlib.util.spec_from_file_location("student_optimizer", source)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(sys, "tracebacklimit", 0, raising=False)   # a student's setting hides nothing
    try:
        module.SGD().update(0.0, np.ones((4, 2)))
    except ValueError as exc:
        error = describe_exception(exc, SimpleNamespace(files={"optimizer": source},
                                                        display_names={"optimizer": "optimizer.py"}))
    assert error["type"] == "ValueError"
    assert error["frames"] == [["optimizer.py", 5, "SGD.update", "return w - np.ones((2, 4)) * grad"]]
