"""Results dicts shaped like the runner's, for report tests and the rendering benchmark.

Messages come from grader.checks.compare on real arrays, and misconception lines from
grader.core.schema.misconception_lines, so the samples read exactly like graded output.
"""
from __future__ import annotations

import numpy as np

from grader.checks import compare
from grader.core.schema import (
    HIDDEN_OUTPUTS,
    STUDENT_SAFE,
    hidden_check_lines,
    misconception_lines,
)

TRANSPOSED = {"id": "dense-weight-gradient-transposed", "title": "Weight gradient transposed",
              "explanation": "The weight gradient is input.T @ output_error, with the shape of the weights.",
              "hint": "Compare the shape of your gradient with weights.shape."}
SECRET_INPUT = "hidden-probe-input-0.123456"


def _test(number, name, points, passed, output="", kind="", hidden=False):
    return {"name": name, "number": str(number), "score": points if passed else 0.0, "max_score": points,
            "status": "passed" if passed else "failed", "output": output,
            "visibility": "after_published" if hidden else "visible",
            "tags": [name.split(".")[0].split(":")[0]] + ([kind] if kind else [])}


def _student_safe(tests: list[dict], checks: list[dict]) -> None:
    """What grader.engine.results writes: a failed hidden check's output says only what students may see; its
    whole message goes to extra_data.checks[i].instructor_output."""
    for test, check in zip(tests, checks):
        kind = test["tags"][1] if len(test["tags"]) > 1 else ""
        if test["visibility"] != "visible" and test["status"] != "passed" and kind not in ("import", "grader"):
            check["instructor_output"] = test["output"]
            kept = [line for line in test["output"].split("\n") if line.startswith(("Likely mistake: ", "Hint: "))]
            test["output"] = "\n".join(kept + hidden_check_lines(test["name"], kind))


def sample_results(seed: int = 0, fail_dense: bool = True, timeout: bool = True, hidden_fails: bool = True,
                   curves: bool = True, seconds: float = 3.0, student_safe: bool = True) -> dict:
    """One submission's results: some checks pass, some fail (a misconception, a timeout, a hidden failure).
    ``student_safe=False``: as written before hidden checks' outputs were cut to what students may see."""
    rng = np.random.default_rng(seed)
    weights = rng.normal(size=(4, 3))
    transposed = compare(weights.T, weights, "weight gradient")
    dense_output = "\n".join([transposed] + misconception_lines(TRANSPOSED["title"], TRANSPOSED["explanation"],
                                                                 TRANSPOSED["hint"]))
    forward = rng.normal(size=(5, 3))
    off_by_bias = forward.copy()
    off_by_bias[:, 2] += 0.5
    tests = [
        _test(1, "DenseLayer.forward_propagation: output on given weights", 2, True),
        _test(2, "DenseLayer.backward_propagation: weight gradient", 3, not fail_dense,
              "" if not fail_dense else dense_output, "" if not fail_dense else "failed"),
        _test(3, "DenseLayer.backward_propagation: input error", 2, True),
        _test(4, "SigmoidActivation.derivative: values", 1, seed % 3 != 0,
              compare(off_by_bias, forward, "derivative") if seed % 3 == 0 else "", "failed" if seed % 3 == 0 else ""),
        _test(5, "MeanSquaredError.loss: value", 1, True),
        _test(6, "SGD.update: momentum", 2, not timeout,
              "timed out after 10 s (an endless loop?)" if timeout else "", "timeout" if timeout else ""),
        _test(7, "NeuralNetwork.fit: reaches 90% accuracy on two blobs", 4, seed % 2 == 0,
              "" if seed % 2 == 0 else "accuracy 0.62 on the held-out set, expected at least 0.9", ""
              if seed % 2 == 0 else "failed", hidden=True),
        _test(8, "NeuralNetwork.predict: held-out batch", 2, not hidden_fails,
              f"output: got 0.5 at input {SECRET_INPUT}" if hidden_fails else "",
              "failed" if hidden_fails else "", hidden=True),
    ]
    epochs = 12
    loss = (1.0 / np.arange(1, epochs + 1) + 0.05 * rng.random(epochs)).tolist()
    metric = np.minimum(0.5 + 0.04 * np.arange(epochs) + 0.02 * rng.random(epochs), 1).tolist()
    grid_x, grid_y = np.meshgrid(np.linspace(-3, 3, 60), np.linspace(-3, 3, 60))
    regions = (grid_x + 0.3 * seed * grid_y > 0).astype(int).tolist()
    points = rng.normal(size=(40, 2)).round(3).tolist()
    artifacts = {
        "history": {str(e + 1): {"loss": loss[e], "metric": metric[e]} for e in range(epochs)},
        "accuracy": metric[-1], "threshold": 0.9,
        "confusion": [[18, 2], [3 + seed % 4, 17]],
        "grid": regions, "extent": [-3, 3, -3, 3], "points": points,
        "point_labels": [int(p[0] > 0) for p in points], "student_visible": True,
    } if curves else {}
    checks = [{"number": t["number"], "nodeid": f"test_x.py::test_{t['number']}",
               "kind": t["tags"][1] if len(t["tags"]) > 1 else "", "seconds": 0.1,
               "hidden": t["visibility"] != "visible",
               "artifacts": artifacts if t["number"] == "7" else {}} for t in tests]
    if student_safe:
        _student_safe(tests, checks)
    score = sum(t["score"] for t in tests)
    max_score = sum(t["max_score"] for t in tests)
    misconceptions = ([dict(TRANSPOSED, checks=[tests[1]["name"]], points_lost=tests[1]["max_score"])]
                      if fail_dense else [])
    return {
        "score": score, "execution_time": seconds, "output": f"numpy_nn: {score:g} / {max_score:g} points.",
        "tests": tests,
        "extra_data": {"assignment": "numpy_nn", "title": "numpy_nn: a neural-network library in numpy",
                       "max_score": max_score, "misconceptions": misconceptions, "notes": [],
                       "checks": checks, "timings": {"total_seconds": seconds}, "device": "cpu",
                       "student_output": f"debug print {SECRET_INPUT}", "grader_log": "",
                       "nngrade_version": "0.1.0", "python": "3.11",
                       **({HIDDEN_OUTPUTS: STUDENT_SAFE} if student_safe else {})},
    }


SYNTAX_ERROR = "activations.py has a syntax error at line 38: expected ':'"
SHUFFLE = {"id": "nn-no-reshuffle", "title": "Examples shuffled once, not every epoch",
           "explanation": "The permutation is computed once and reused, so every epoch sees the same batches.",
           "hint": "Draw the permutation inside get_mini_batches, on every call."}
SOFTMAX = {"id": "softmax-no-max-shift", "title": "softmax without subtracting the maximum score",
           "explanation": "exp(1000) overflows to inf and inf / inf is nan.",
           "hint": "Subtract each row's maximum first."}


def ranked_results() -> dict:
    """A submission with what a student report must put in order: a cheap mistake seen first (check 1), a
    costly one in two visible checks and a hidden one, a crash no mistake explains, a syntax error that fails
    six checks (two hidden) with one message, and a notebook cell the messages point to."""
    cell = "softmax is defined in cell 19 of your notebook (see notebook.html#cell-19)"
    rows = [(1, "softmax: numerically stable", 1, False, "softmax of scores near ±1000: contains nan",
             SOFTMAX, "failed", False, cell),
            (2, "NeuralNetwork.get_mini_batches: a new order on every call", 2, False,
             "3 calls of get_mini_batches gave the same order", SHUFFLE, "failed", False, ""),
            (3, "NeuralNetwork.fit: reshuffled each epoch", 2, False,
             "all 4 epochs visited the examples in the same order", SHUFFLE, "failed", False, ""),
            (4, "NeuralNetwork.fit: other sizes", 2, False, f"all 3 epochs in the same order {SECRET_INPUT}",
             SHUFFLE, "failed", True, ""),
            (5, "SGD.update: momentum", 3, False,
             "your code raised ZeroDivisionError (optimizer.py line 23, in update)", None, "error", False, ""),
            (6, "DenseLayer.forward_propagation: output", 2, True, "", None, "", False, "")]
    rows += [(7 + i, f"{cls}.activation_function: values", 1, False, SYNTAX_ERROR, None, "import", i >= 4, "")
             for i, cls in enumerate(["Sigmoid", "ReLU", "Tanh", "Softmax", "SigmoidH", "ReLUH"])]
    tests, mistakes = [], {}
    for number, name, points, passed, message, mistake, kind, hidden, where in rows:
        lines = [message] if message else []
        if mistake:
            lines += misconception_lines(mistake["title"], mistake["explanation"], mistake["hint"])
            entry = mistakes.setdefault(mistake["id"], dict(mistake, checks=[], points_lost=0.0))
            entry["checks"].append(name)
            entry["points_lost"] += points
        tests.append(_test(number, name, points, passed, "\n".join(lines + ([where] if where else [])), kind,
                           hidden))
    checks = [{"number": t["number"], "nodeid": f"test_x.py::test_{t['number']}", "seconds": 0.1,
               "kind": t["tags"][1] if len(t["tags"]) > 1 else "", "hidden": t["visibility"] != "visible",
               "artifacts": {}} for t in tests]
    _student_safe(tests, checks)
    score = sum(t["score"] for t in tests)
    max_score = sum(t["max_score"] for t in tests)
    return {"score": score, "execution_time": 1.0, "output": f"ranked: {score:g} / {max_score:g} points.",
            "tests": tests,
            "extra_data": {"assignment": "ranked", "title": "ranked", "max_score": max_score,
                           "misconceptions": list(mistakes.values()), "notes": [SYNTAX_ERROR], "checks": checks,
                           "timings": {"total_seconds": 1.0}, "student_output": "", "grader_log": "",
                           "nngrade_version": "0.1.0", HIDDEN_OUTPUTS: STUDENT_SAFE}}


# --- whole-class situations, for the summary and gradebook tests (built on sample_results) ---------------------

def _fail_every_check(results: dict, kind: str, message: str) -> dict:
    for test, check in zip(results["tests"], results["extra_data"]["checks"]):
        test.update(status="failed", score=0.0, output=message, tags=[test["tags"][0], kind])
        check["kind"] = kind
    results["score"] = 0.0
    results["extra_data"]["misconceptions"] = []
    return results


def skeleton_results(seed: int = 0) -> dict:
    """The released skeleton, untouched: every check fails because its placeholder raises NotImplementedError."""
    results = sample_results(seed=seed, curves=False)
    return _fail_every_check(results, "error", "your code raised NotImplementedError: write this method "
                                               "(layers.py line 12, in forward_propagation)")


def nothing_results(seed: int = 0) -> dict:
    """A submission without any of the expected files: every check fails to import the student's code."""
    results = sample_results(seed=seed, curves=False)
    note = "none of the expected files (layers.py) was found in the submission (found: no Python files)"
    results["extra_data"]["notes"] = [note]
    return _fail_every_check(results, "import", note)


def import_error_results(seed: int = 0) -> dict:
    """One module has a syntax error: the checks of its class fail to import, the others are graded."""
    results = sample_results(seed=seed, fail_dense=False, timeout=False, hidden_fails=False, curves=False)
    test, check = results["tests"][3], results["extra_data"]["checks"][3]
    test.update(status="failed", score=0.0, output="activations.py has a syntax error at line 3: expected ':'",
                tags=[test["tags"][0], "import"])
    check["kind"] = "import"
    results["score"] = sum(t["score"] for t in results["tests"])
    return results


def grader_error_results(seed: int = 0) -> dict:
    """The harness grading this submission died: every check failed with kind grader."""
    return _fail_every_check(sample_results(seed=seed, curves=False), "grader",
                             "the grader failed on this submission; this is not a verdict on your code")


def cascade_results(seed: int = 0) -> dict:
    """Check 7 (NeuralNetwork.fit) failed only through DenseLayer (charged in check 2): re-run with the grader's
    stand-in it passed, so it scores and is tagged charged-elsewhere."""
    results = sample_results(seed=seed, fail_dense=True, curves=False)
    test, check = results["tests"][6], results["extra_data"]["checks"][6]
    test.update(status="passed", score=test["max_score"], tags=[test["tags"][0], "charged-elsewhere"],
                output="passes once DenseLayer is fixed: charged in check 2.")
    check.update(kind="", cascade={"parts": ["DenseLayer"], "rerun": True, "passed": True, "charged_in": [2]})
    results["score"] = sum(t["score"] for t in results["tests"])
    return results


def with_mistakes(results: dict, mistakes: list[tuple[str, float]]) -> dict:
    """``results`` whose recognised mistakes are ``mistakes`` ((id, points lost) each, charged once)."""
    results["extra_data"]["misconceptions"] = [
        {"id": mistake_id, "title": f"Title of {mistake_id}", "checks": [results["tests"][1]["name"]],
         "points_lost": points, "explanation": f"Why {mistake_id} is wrong. More detail.", "hint": "A hint."}
        for mistake_id, points in mistakes]
    return results
