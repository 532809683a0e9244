"""Section 1, hidden checks: other shapes and values, the student's own gradient check, another digit pair."""
import numpy as np
import pytest

from grader.checks import assert_close, assert_gradient, fail

pytestmark = pytest.mark.hidden

RNG = np.random.default_rng(21)


@pytest.mark.check("logistic: no overflow trouble for large inputs", points=1)
def test_logistic_extremes(student, reference):
    t = np.array([[-700.0, -50.0], [50.0, 700.0]])
    assert_close(student.run("logistic", {"t": t}), reference.run("logistic", {"t": t}), "logistic(t)")


@pytest.mark.check("forward: one sample, bias given as a number, float32 inputs", points=1)
def test_forward_variants(student, reference):
    for args in ({"w": RNG.normal(size=3), "b": 0.25, "x": RNG.normal(size=(1, 3))},
                 {"w": RNG.normal(size=6).astype(np.float32), "b": np.array([-0.5], dtype=np.float32),
                  "x": RNG.normal(size=(9, 6)).astype(np.float32)}):
        assert_close(student.run("forward", args), reference.run("forward", args), "q")


@pytest.mark.check("loss: predictions close to 0 and 1", points=1)
def test_loss_extremes(student, reference):
    args = {"y": np.array([1.0, 0.0, 1.0, 0.0]), "q": np.array([1 - 1e-6, 1e-6, 1e-3, 0.999])}
    assert_close(student.run("loss", args), reference.run("loss", args), "loss")


@pytest.mark.check("accuracy: integer labels", points=1)
def test_accuracy_int_labels(student, reference):
    args = {"y": np.array([0, 1, 1, 0, 1]), "q": np.array([0.1, 0.8, 0.3, 0.6, 0.5])}
    assert_close(student.run("accuracy", args), reference.run("accuracy", args), "accuracy")


@pytest.mark.check("backward: gradients for a single sample", points=1)
def test_backward_one_sample(student, reference, check_gradient):
    w, b, x, y = RNG.normal(size=3), np.array([0.1]), RNG.normal(size=(1, 3)), np.array([1.0])
    q = reference.run("forward", {"w": w, "b": b, "x": x})
    got = student.run("backward", {"y": y, "q": q, "x": x})
    numeric = reference.run("binary_loss_gradient", {"w": w, "b": b, "x": x, "y": y})
    check_gradient(got["w"], numeric["w"], "weight gradient")
    check_gradient(got["b"], numeric["b"], "bias gradient")


@pytest.mark.check("backward: agrees with the numeric gradient of your own loss and forward", points=1)
def test_own_gradient_check(student):
    args = {"w": RNG.normal(size=4), "b": np.array([0.2]), "x": RNG.normal(size=(8, 4)),
            "y": RNG.integers(0, 2, size=8).astype(float)}
    got = student.run("binary_gradient_check", args)
    for name in ("w", "b"):
        tolerance = 1e-2 if got["single_precision"] else 1e-4   # float32 losses need a coarse difference step
        assert_gradient(got["analytic"][name], got["numeric"][name], f"{name} gradient (your own gradient check)",
                        tolerance)


@pytest.mark.check("train_logistic: test accuracy on digits 2 vs 3", points=2, timeout=30)
def test_train_logistic_other_pair(student, thresholds, digits):
    X_train, X_test, y_train, y_test = digits((2, 3), seed=1)
    got = student.run("train_logistic", {"X_train": X_train, "y_train": y_train, "X_test": X_test,
                                         "epochs": 150, "rho": 0.5}, seed=3)
    accuracy = float(np.mean((np.asarray(got["q_test"]) >= 0.5) == y_test))
    if not accuracy >= thresholds["binary_accuracy"]:
        fail(f"test accuracy {accuracy:.3f} on another pair of digits; at least "
             f"{thresholds['binary_accuracy']:.2f} is expected")
