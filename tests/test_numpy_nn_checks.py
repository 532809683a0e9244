"""The numpy_nn checks judge the hand-written sample submissions in samples/numpy_nn as a teacher would.

Correct solutions written another way (float32, einsum, He or Xavier init, a
summed loss, ReLU'(0) = 1, a mask-only Dropout backward, one single file) get
full marks; buggy ones lose points exactly in the checks of the classes they
got wrong, with the catalogued mistakes named; broken files cost only what
depends on them, with a message that names the file, the line or the missing name.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader.core.assignment import find_assignment as load
from grader.core.types import check_class
from grader.engine.grade import grade

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples" / "numpy_nn"


@pytest.fixture(scope="module")
def assignment():
    return load("numpy_nn")


@pytest.fixture(scope="module")
def graded(assignment):
    """Each sample graded once for the whole module: {student: results}."""
    cache: dict[str, dict] = {}

    def get(student: str) -> dict:
        if student not in cache:
            entry = next(p for p in SAMPLES.iterdir() if p.stem == student)
            cache[student] = grade(assignment, entry)
        return cache[student]

    return get


def _class(test: dict) -> str:
    return check_class(test["name"])


def _failed(results: dict) -> list[dict]:
    return [t for t in results["tests"] if t["status"] != "passed"]


def _named(results: dict) -> dict[str, set[str]]:
    named: dict[str, set[str]] = {}
    for entry in results["extra_data"]["misconceptions"]:
        named.setdefault(entry["id"], set()).update(entry["checks"])
    return named


@pytest.mark.parametrize("student", ["alice", "dave"])
def test_correct_variants_get_full_marks(graded, student):
    results = graded(student)
    assert [t["name"] for t in _failed(results)] == [], [t["output"] for t in _failed(results)]
    assert results["score"] == results["extra_data"]["max_score"] > 100
    assert results["extra_data"]["misconceptions"] == []


def test_training_checks_report_accuracy_and_learning_curve(graded):
    checks = graded("alice")["extra_data"]["checks"]
    training = [c["artifacts"] for c in checks if c["artifacts"]]
    assert len(training) == 4
    for artifacts in training:
        assert artifacts["accuracy"] >= artifacts["threshold"]
        curve = artifacts["training"]["loss"]
        assert len(curve) > 5 and curve[-1] < curve[0] and artifacts["training"]["final"] == artifacts["accuracy"]


def test_bob_loses_points_where_his_mistakes_are_and_they_are_named(graded):
    results = graded("bob")
    failed = _failed(results)
    assert {_class(t) for t in failed} == {"DenseLayer", "MeanSquaredError", "NeuralNetwork"}
    named = _named(results)
    for mistake, check in [
        ("dense-weight-gradient-transposed", "DenseLayer.backward_propagation: weight gradient handed to the optimizer"),
        ("mse-derivative-missing-1-over-n", "MeanSquaredError.derivative: the derivative of your loss (central differences)"),
        ("nn-no-reshuffle", "NeuralNetwork.get_mini_batches: a new random order on every call"),
    ]:
        assert check in named.get(mistake, set()), (mistake, named)
    assert set(named) == {"dense-weight-gradient-transposed", "mse-derivative-missing-1-over-n", "nn-no-reshuffle"}
    weight = next(t for t in failed if t["name"].startswith("DenseLayer.backward_propagation: weight gradient"))
    assert "transpose" in weight["output"] and weight["score"] == 0



def test_bob_pays_for_each_mistake_once(graded):
    """One mistake, charged once: the training checks his transposed weight gradient used to crash pass with
    the grader's stand-in DenseLayer (and MeanSquaredError), and say where the mistake was charged."""
    results = graded("bob")
    by_number = {t["number"]: t for t in results["tests"]}
    blobs = next(t for t in results["tests"] if "two blobs" in t["name"])
    assert blobs["status"] == "passed" and blobs["score"] == blobs["max_score"]
    weight = next(t for t in results["tests"] if t["name"].startswith("DenseLayer.backward_propagation: weight"))
    assert f"passes once DenseLayer and MeanSquaredError are fixed: charged in checks {weight['number']}" \
        in blobs["output"]
    assert "charged-elsewhere" in blobs["tags"]
    rerun = {c["number"]: c["cascade"] for c in results["extra_data"]["checks"] if "cascade" in c}
    assert {by_number[n]["name"].split(":")[0] for n in rerun} == {"NeuralNetwork.fit",
                                                                    "NeuralNetwork.backward_propagation"}
    assert all(c["rerun"] and c["passed"] for c in rerun.values())
    costs = {m["id"]: m for m in results["extra_data"]["misconceptions"]}
    assert len(results["extra_data"]["misconceptions"]) == 3            # each mistake listed once
    own = {mistake: sum(by_number[t["number"]]["max_score"] for t in results["tests"] if t["name"] in m["checks"])
           for mistake, m in costs.items()}
    assert {m: c["points_lost"] for m, c in costs.items()} == own
    assert costs["dense-weight-gradient-transposed"]["points_lost"] == 11
    lost = results["extra_data"]["max_score"] - results["score"]
    assert lost == sum(c["points_lost"] for c in costs.values()) == 21
    causes = {c["part"]: c for c in results["extra_data"]["root_causes"]}
    assert causes["DenseLayer"]["points_lost"] == 11 and blobs["number"] in causes["DenseLayer"]["spared"]


def test_erin_nested_package_is_graded_and_her_two_mistakes_named(graded):
    results = graded("erin")
    failed = _failed(results)
    assert {_class(t) for t in failed} <= {"Adam", "SoftmaxActivation", "NeuralNetwork"}
    assert {"Adam", "SoftmaxActivation"} <= {_class(t) for t in failed}
    named = _named(results)
    assert "SoftmaxActivation.activation_function: numerical stability on large scores" in named["softmax-no-max-shift"]
    assert "Adam.update: moments with bias correction over several steps" in named["adam-no-bias-correction"]
    assert set(named) == {"softmax-no-max-shift", "adam-no-bias-correction"}


def test_carol_syntax_error_costs_only_what_depends_on_the_file(graded):
    results = graded("carol")
    message = "activations.py has a syntax error at line 38"
    assert any(message in note for note in results["extra_data"]["notes"])
    failed = _failed(results)
    assert all(message in t["output"] for t in failed)
    activations = {"ActivationLayer", "SigmoidActivation", "ReLUActivation", "TanhActivation", "SoftmaxActivation"}
    assert {_class(t) for t in failed} == activations      # the network checks pass with stand-in activations
    own = [t for t in results["tests"] if _class(t) in activations]
    assert results["extra_data"]["max_score"] - results["score"] == sum(t["max_score"] for t in own)


def test_frank_earns_the_layer_points_and_the_todos_say_what_is_left(graded):
    results = graded("frank")
    for test in results["tests"]:
        if _class(test) in ("Layer", "DenseLayer", "Dropout"):
            assert test["status"] == "passed", (test["name"], test["output"])
    sgd = next(t for t in results["tests"] if t["name"].startswith("SGD.update: plain"))
    assert sgd["status"] == "failed" and "NotImplementedError: SGD.update" in sgd["output"]


def _submission_with(tmp_path: Path, edits: dict[str, tuple[str, str]]) -> Path:
    folder = tmp_path / "submission"
    shutil.copytree(ROOT / "reference" / "numpy_nn" / "numpy_nn", folder)
    for name, (find, replace) in edits.items():
        text = (folder / name).read_text()
        assert text.count(find) == 1
        (folder / name).write_text(text.replace(find, replace))
    return folder


def test_a_missing_class_is_named_with_what_the_file_defines(assignment, tmp_path):
    folder = _submission_with(tmp_path, {"layers.py": ("class DenseLayer(Layer):", "class Dense(Layer):")})
    results = grade(assignment, folder, public_only=True, diagnose=False)
    dense = [t for t in results["tests"] if _class(t) == "DenseLayer"]
    assert dense and all(t["status"] == "failed" for t in dense)
    assert "layers.py does not define DenseLayer (it defines: Dense, Dropout, Layer)" in dense[0]["output"]
    assert all(t["status"] == "passed" for t in results["tests"] if _class(t) in ("Dropout", "SGD", "accuracy"))


def test_a_renamed_method_is_named_with_the_methods_the_class_has(assignment, tmp_path):
    find = '    def backward_propagation(self, output_error):\n        """Back-propagate dE/d output and take one'
    folder = _submission_with(tmp_path, {"layers.py": (find, find.replace("backward_propagation", "backward"))})
    results = grade(assignment, folder, public_only=True, diagnose=False)
    weight = next(t for t in results["tests"] if t["name"].startswith("DenseLayer.backward_propagation: weight"))
    assert weight["status"] == "failed"
    assert "DenseLayer does not define backward_propagation" in weight["output"]
    assert "(methods it has: backward, forward_propagation, initialize" in weight["output"]
    forward = next(t for t in results["tests"] if t["name"].startswith("DenseLayer.forward_propagation"))
    assert forward["status"] == "passed"


def test_a_crash_in_training_is_charged_to_the_part_that_handed_over_the_bad_value():
    """bob's transposed weight gradient crashes inside his (correct) optimizer: the likely cause is DenseLayer,
    with where it raised, and his other broken classes (not on the crash's path) are not named."""
    assignment = load("numpy_nn")
    assignment.config["cascade"] = "charge-all"   # keep the first run's message (no re-run with stand-ins)
    results = grade(assignment, SAMPLES / "bob")
    blobs = next(t for t in results["tests"] if t["name"].startswith("NeuralNetwork.fit: classifies two blobs"))
    raised, _, cause = blobs["output"].partition("\nThis check trains")
    assert "ValueError" in raised and "(in SGD.update, optimizer.py line" in raised
    assert "Likely cause: DenseLayer. The crash is in SGD.update" in cause
    assert "SGD passes its quick tests" in cause and "DenseLayer.backward_propagation (layers.py line" in cause
    assert "MeanSquaredError" not in cause.split("\n", 1)[1] and "get_mini_batches" not in cause
