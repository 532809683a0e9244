"""Section 3, hidden checks."""
import numpy as np
import pytest

from grader.checks import assert_close, assert_gradient, fail

pytestmark = pytest.mark.hidden

RNG = np.random.default_rng(23)


def _params(h, d, b2=0.15):
    return {"W1": RNG.normal(size=(h, d)), "b1": RNG.normal(size=h), "w2": RNG.normal(size=h), "b2": b2}


@pytest.mark.check("two_layer_forward: other shapes, output bias given as a number", points=1)
def test_forward_other(student, reference):
    args = {**_params(5, 3), "x": RNG.normal(size=(10, 3))}
    got, want = student.run("two_layer_forward", args), reference.run("two_layer_forward", args)
    assert_close(got["h"], want["h"], "h")
    assert_close(got["q"], want["q"], "q")


@pytest.mark.check("two_layer_backward: other shapes, and a single sample", points=2)
def test_backward_other(student, reference, check_gradient):
    for k in (11, 1):
        params, x = _params(4, 3, np.array([0.3])), RNG.normal(size=(k, 3))
        y = RNG.integers(0, 2, size=k).astype(float)
        ref = reference.run("two_layer_forward", {**params, "x": x})
        got = student.run("two_layer_backward", {"y": y, "q": ref["q"], "h": ref["h"], "x": x, "w2": params["w2"]})
        numeric = reference.run("two_layer_loss_gradient", {**params, "x": x, "y": y})
        for name in ("w2", "b2", "W1", "b1"):
            check_gradient(got[name], numeric[name], f"{name}_grad ({k} samples)")


@pytest.mark.check("two_layer_backward: agrees with the numeric gradient of your own loss and forward", points=1)
def test_own_gradient_check(student):
    params, x = _params(3, 4, np.array([-0.1])), RNG.normal(size=(7, 4))
    got = student.run("two_layer_gradient_check", {**params, "x": x, "y": RNG.integers(0, 2, size=7).astype(float)})
    for name in ("w2", "b2", "W1", "b1"):
        tolerance = 1e-2 if got["single_precision"] else 1e-4   # float32 losses need a coarse difference step
        assert_gradient(got["analytic"][name], got["numeric"][name], f"{name}_grad (your own gradient check)",
                        tolerance)


@pytest.mark.check("train_two_layer: test accuracy on digits 2 vs 3", points=2, timeout=30)
def test_train_two_layer_other_pair(student, thresholds, digits):
    X_train, X_test, y_train, y_test = digits((2, 3), seed=2)
    got = student.run("train_two_layer", {"X_train": X_train, "y_train": y_train, "X_test": X_test,
                                          "n_h": 6, "epochs": 300, "rho": 0.5}, seed=5)
    accuracy = float(np.mean((np.asarray(got["q_test"]) >= 0.5) == y_test))
    if not accuracy >= thresholds["binary_accuracy"]:
        fail(f"test accuracy {accuracy:.3f} with 6 hidden units on another pair of digits; at least "
             f"{thresholds['binary_accuracy']:.2f} is expected")
