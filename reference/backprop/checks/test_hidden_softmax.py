"""Section 2, hidden checks."""
import numpy as np
import pytest

from grader.checks import assert_close, assert_gradient, fail

pytestmark = pytest.mark.hidden

RNG = np.random.default_rng(22)


@pytest.mark.check("softmax: one row, and scores shifted by a constant", points=1)
def test_softmax_variants(student, reference):
    for t in (RNG.normal(size=(1, 6)), RNG.normal(size=(4, 3)) + 250.0):
        assert_close(student.run("softmax", {"t": t}), reference.run("softmax", {"t": t}), "softmax(t)")


@pytest.mark.check("softmax_forward: float32 inputs, other shapes", points=1)
def test_softmax_forward_float32(student, reference):
    args = {"W": RNG.normal(size=(3, 7)).astype(np.float32), "b": RNG.normal(size=3).astype(np.float32),
            "x": RNG.normal(size=(5, 7)).astype(np.float32)}
    assert_close(student.run("softmax_forward", args), reference.run("softmax_forward", args), "Q")


@pytest.mark.check("softmax_loss: other shapes", points=1)
def test_softmax_loss_other(student, reference):
    Q = RNG.dirichlet(np.ones(5), size=9)
    args = {"Y": np.eye(5)[RNG.integers(0, 5, size=9)], "Q": Q}
    assert_close(student.run("softmax_loss", args), reference.run("softmax_loss", args), "loss")


@pytest.mark.check("softmax_backward: other shapes", points=1)
def test_softmax_backward_other(student, reference, check_gradient):
    W, b, x = RNG.normal(size=(5, 3)), RNG.normal(size=5), RNG.normal(size=(9, 3))
    Y = np.eye(5)[RNG.integers(0, 5, size=9)]
    Q = reference.run("softmax_forward", {"W": W, "b": b, "x": x})
    got = student.run("softmax_backward", {"Y": Y, "Q": Q, "x": x})
    numeric = reference.run("softmax_loss_gradient", {"W": W, "b": b, "x": x, "Y": Y})
    check_gradient(got["W"], numeric["W"], "weight gradient")
    check_gradient(got["b"], numeric["b"], "bias gradient")


@pytest.mark.check("softmax_backward: agrees with the numeric gradient of your own loss and forward", points=1)
def test_own_gradient_check(student):
    args = {"W": RNG.normal(size=(3, 4)), "b": RNG.normal(size=3), "x": RNG.normal(size=(6, 4)),
            "Y": np.eye(3)[RNG.integers(0, 3, size=6)]}
    got = student.run("softmax_gradient_check", args)
    for name in ("W", "b"):
        tolerance = 1e-2 if got["single_precision"] else 1e-4   # float32 losses need a coarse difference step
        assert_gradient(got["analytic"][name], got["numeric"][name], f"{name} gradient (your own gradient check)",
                        tolerance)


@pytest.mark.check("train_softmax: test accuracy on another split of the ten digits", points=2, timeout=30)
def test_train_softmax_other_split(student, thresholds, digits):
    X_train, X_test, labels_train, labels_test = digits(seed=5)
    got = student.run("train_softmax", {"X_train": X_train, "Y_train": np.eye(10)[labels_train],
                                        "X_test": X_test, "epochs": 150, "rho": 1.0}, seed=4)
    Q_test = np.asarray(got["Q_test"])
    accuracy = float(np.mean(Q_test.argmax(axis=-1) == labels_test)) if Q_test.ndim == 2 else 0.0
    if not accuracy >= thresholds["softmax_accuracy"]:
        fail(f"test accuracy {accuracy:.3f} on another split; at least {thresholds['softmax_accuracy']:.2f} "
             "is expected")
