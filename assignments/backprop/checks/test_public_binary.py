"""Section 1: the single-layer network for two classes (public checks)."""
import numpy as np
import pytest

from grader.checks import assert_close, fail, rng_for, training_record

RNG = rng_for(11)
K, D = 7, 5
X = RNG.normal(size=(K, D))
W = RNG.normal(size=D)
B = np.array([0.4])
Y = np.array([1, 0, 0, 1, 1, 0, 1], dtype=float)
Q = np.array([0.9, 0.2, 0.5, 0.5, 0.7, 0.35, 0.05])   # two ties at 1/2: decided as class 1
THETA = RNG.normal(size=(2, 3))


@pytest.mark.check("logistic: values", points=1)
def test_logistic(student, reference):
    t = np.array([-30.0, -2.0, -0.5, 0.0, 0.5, 2.0, 30.0])
    assert_close(student.run("logistic", {"t": t}), reference.run("logistic", {"t": t}), "logistic(t)")


@pytest.mark.check("forward: soft predictions on given parameters", points=2)
def test_forward(student, reference):
    args = {"w": W, "b": B, "x": X}
    assert_close(student.run("forward", args), reference.run("forward", args), "q")


@pytest.mark.check("accuracy: fraction of correct decisions, ties at 1/2 decided as class 1", points=1)
def test_accuracy(student, reference):
    args = {"y": Y, "q": Q}
    assert_close(student.run("accuracy", args), reference.run("accuracy", args), "accuracy")


@pytest.mark.check("loss: average cross-entropy", points=2)
def test_loss(student, reference):
    args = {"y": Y, "q": Q}
    assert_close(student.run("loss", args), reference.run("loss", args), "loss")


def _backward(student, reference, check_gradient, name, what):
    q = reference.run("forward", {"w": W, "b": B, "x": X})   # the reference's q: this check grades backward alone
    got = student.run("backward", {"y": Y, "q": q, "x": X})
    numeric = reference.run("binary_loss_gradient", {"w": W, "b": B, "x": X, "y": Y})
    check_gradient(got[name], numeric[name], what,
                   own_numeric=lambda: student.run("binary_loss_gradient", {"w": W, "b": B, "x": X, "y": Y})[name])


@pytest.mark.check("backward: weight gradient against the numeric gradient of the loss", points=2)
def test_backward_weights(student, reference, check_gradient):
    _backward(student, reference, check_gradient, "w", "weight gradient")


@pytest.mark.check("backward: bias gradient against the numeric gradient of the loss", points=1)
def test_backward_bias(student, reference, check_gradient):
    _backward(student, reference, check_gradient, "b", "bias gradient")


@pytest.mark.check("numeric_gradient: central differences", points=2)
def test_numeric_gradient(student, reference):
    args = {"theta": THETA, "eps": 1e-3}
    got = student.run("numeric_gradient", args)
    assert_close(got["gradient"], reference.run("numeric_gradient", args)["gradient"], "gradient", rtol=1e-7)
    if not got["theta_unchanged"]:
        fail("numeric_gradient changed the array theta it was given; perturb a copy")


@pytest.mark.check("train_logistic: test accuracy on digits 3 vs 8", points=3, timeout=30)
def test_train_logistic(student, thresholds, digits, artifacts):
    X_train, X_test, y_train, y_test = digits((3, 8))
    got = student.run("train_logistic", {"X_train": X_train, "y_train": y_train, "X_test": X_test,
                                         "epochs": 200, "rho": 0.5})
    history = got["history"]
    artifacts["training"] = training_record("train_logistic on digits 3 vs 8", history, thresholds["binary_accuracy"])
    accuracy = float(np.mean((np.asarray(got["q_test"]) >= 0.5) == y_test))
    artifacts["training"]["final"] = accuracy
    if len(history) != 200:
        fail(f"loss_history has {len(history)} entries for 200 epochs (one loss per epoch)")
    if not history[-1] < history[0]:
        fail(f"the training loss did not go down (first epoch {history[0]:.4g}, last {history[-1]:.4g}): "
             "is the update w - rho * gradient?")
    if not accuracy >= thresholds["binary_accuracy"]:
        fail(f"test accuracy {accuracy:.3f} after 200 epochs with rho=0.5; at least "
             f"{thresholds['binary_accuracy']:.2f} is expected")
