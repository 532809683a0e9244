"""Section 2: the softmax network (public checks)."""
import numpy as np
import pytest

from grader.checks import assert_close, fail, rng_for, training_record

RNG = rng_for(12)
K, D, M = 6, 5, 4
X = RNG.normal(size=(K, D))
W = RNG.normal(size=(M, D))
B = RNG.normal(size=M)
Y = np.eye(M)[[0, 3, 1, 1, 2, 0]]
Q = np.eye(M)[[0, 2, 1, 3, 2, 1]] * 0.55 + 0.15
SCORES = RNG.normal(size=(5, 4)) * 3


@pytest.mark.check("softmax: values", points=1)
def test_softmax(student, reference):
    assert_close(student.run("softmax", {"t": SCORES}), reference.run("softmax", {"t": SCORES}), "softmax(t)")


@pytest.mark.check("softmax: numerically stable for large scores", points=1)
def test_softmax_stable(student, reference):
    t = np.array([[1000.0, 1001.0, 999.0], [-1000.0, -1002.0, -1001.0]])
    assert_close(student.run("softmax", {"t": t}), reference.run("softmax", {"t": t}),
                 "softmax of scores near ±1000")


@pytest.mark.check("softmax_forward: class probabilities on given parameters", points=2)
def test_softmax_forward(student, reference):
    args = {"W": W, "b": B, "x": X}
    assert_close(student.run("softmax_forward", args), reference.run("softmax_forward", args), "Q")


@pytest.mark.check("softmax_loss: average cross-entropy", points=1)
def test_softmax_loss(student, reference):
    args = {"Y": Y, "Q": Q}
    assert_close(student.run("softmax_loss", args), reference.run("softmax_loss", args), "loss")


@pytest.mark.check("softmax_accuracy: fraction of correct classes", points=1)
def test_softmax_accuracy(student, reference):
    args = {"Y": Y, "Q": Q}
    assert_close(student.run("softmax_accuracy", args), reference.run("softmax_accuracy", args), "accuracy")


def _backward(student, reference, check_gradient, name, what):
    Q_ref = reference.run("softmax_forward", {"W": W, "b": B, "x": X})
    got = student.run("softmax_backward", {"Y": Y, "Q": Q_ref, "x": X})
    numeric = reference.run("softmax_loss_gradient", {"W": W, "b": B, "x": X, "Y": Y})
    check_gradient(got[name], numeric[name], what,
                   own_numeric=lambda: student.run("softmax_loss_gradient", {"W": W, "b": B, "x": X, "Y": Y})[name])


@pytest.mark.check("softmax_backward: weight gradient against the numeric gradient of the loss", points=2)
def test_softmax_backward_weights(student, reference, check_gradient):
    _backward(student, reference, check_gradient, "W", "weight gradient")


@pytest.mark.check("softmax_backward: bias gradient against the numeric gradient of the loss", points=1)
def test_softmax_backward_bias(student, reference, check_gradient):
    _backward(student, reference, check_gradient, "b", "bias gradient")


@pytest.mark.check("train_softmax: test accuracy on the ten digits", points=3, timeout=30)
def test_train_softmax(student, thresholds, digits, artifacts):
    X_train, X_test, labels_train, labels_test = digits()
    got = student.run("train_softmax", {"X_train": X_train, "Y_train": np.eye(10)[labels_train],
                                        "X_test": X_test, "epochs": 150, "rho": 1.0})
    history = got["history"]
    artifacts["training"] = training_record("train_softmax on the ten digits", history, thresholds["softmax_accuracy"])
    Q_test = np.asarray(got["Q_test"])
    if Q_test.shape != (len(X_test), 10):
        fail(f"softmax_forward on the trained parameters gave shape {Q_test.shape}, expected {(len(X_test), 10)}")
    accuracy = float(np.mean(Q_test.argmax(axis=1) == labels_test))
    artifacts["training"]["final"] = accuracy
    if not history[-1] < history[0]:
        fail(f"the training loss did not go down (first epoch {history[0]:.4g}, last {history[-1]:.4g})")
    if not accuracy >= thresholds["softmax_accuracy"]:
        fail(f"test accuracy {accuracy:.3f} after 150 epochs with rho=1.0; at least "
             f"{thresholds['softmax_accuracy']:.2f} is expected")
