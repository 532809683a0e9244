"""Sections 2 and 3: softmax regression with raw tensors, and as an nn.Module (public checks)."""
import numpy as np
import pytest

from grader.checks import assert_close, fail, fresh_seed, rng_for, training_record

RNG = rng_for(31)
K, D, M = 6, 5, 4
X = RNG.normal(size=(K, D)).astype(np.float32)
W = RNG.normal(size=(D, M)).astype(np.float32)
B = RNG.normal(size=M).astype(np.float32)
Y = np.eye(M, dtype=np.float32)[[0, 3, 1, 1, 2, 0]]
Q = (np.eye(M, dtype=np.float32)[[0, 2, 1, 3, 2, 1]] * 0.55 + 0.1125).astype(np.float32)
SCORES = (RNG.normal(size=(5, 4)) * 3).astype(np.float32)


@pytest.mark.check("softmax: values", points=1)
def test_softmax(student, reference):
    assert_close(student.run("softmax", {"t": SCORES}), reference.run("softmax", {"t": SCORES}), "softmax(t)")


@pytest.mark.check("softmax: numerically stable for large scores", points=1)
def test_softmax_stable(student, reference):
    t = np.array([[1000.0, 1001.0, 999.0], [-1000.0, -1002.0, -1001.0]], dtype=np.float32)
    assert_close(student.run("softmax", {"t": t}), reference.run("softmax", {"t": t}), "softmax of scores near ±1000")


@pytest.mark.check("softmax_model: class probabilities softmax(x W + b)", points=1)
def test_softmax_model(student, reference):
    args = {"W": W, "b": B, "x": X}
    assert_close(student.run("softmax_model", args), reference.run("softmax_model", args), "Q")


@pytest.mark.check("nll: average cross-entropy", points=1)
def test_nll(student, reference):
    args = {"Y": Y, "Q": Q}
    assert_close(student.run("nll", args), reference.run("nll", args), "nll")


@pytest.mark.check("accuracy: fraction of rows with the right most probable class", points=1)
def test_accuracy(student, reference):
    args = {"Y": Y, "Q": Q}
    assert_close(student.run("accuracy", args), reference.run("accuracy", args), "accuracy")


@pytest.mark.check("train_softmax_autograd: test accuracy on the ten digits", points=3, timeout=60)
def test_train_softmax_autograd(student, thresholds, digits, artifacts):
    X_train, X_test, y_train, y_test = digits()
    got = student.run("train_softmax_autograd", {"X_train": X_train, "Y_train": np.eye(10, dtype=np.float32)[y_train],
                                                 "X_test": X_test, "epochs": 100, "rho": 0.5, "seed": fresh_seed(0)})
    history = got["history"]
    artifacts["training"] = training_record("train_softmax_autograd on the ten digits", history,
                                            thresholds["autograd_accuracy"])
    accuracy = float(np.mean(got["predictions"] == y_test))
    artifacts["training"]["final"] = accuracy
    if not np.all(np.isfinite(history)):
        fail("the training loss became nan or inf: are the gradients reset to zero after each update?")
    if not accuracy >= thresholds["autograd_accuracy"]:
        fail(f"test accuracy {accuracy:.3f} after 100 epochs with rho=0.5; at least "
             f"{thresholds['autograd_accuracy']:.2f} is expected")


@pytest.mark.check("SoftmaxRegression: an nn.Module with one linear layer's weights and biases", points=1)
def test_module_parameters(student, reference):
    args = {"n_in": 7, "n_out": 3}
    got = student.run("module_parameters", args)
    if not got["is_module"]:
        fail("SoftmaxRegression(7, 3) is not an nn.Module (class SoftmaxRegression(nn.Module), and call "
             "super().__init__())")
    want = reference.run("module_parameters", args)["shapes"]
    if sorted(map(sorted, got["shapes"])) != sorted(map(sorted, want)):
        fail(f"SoftmaxRegression(7, 3) has parameters of shapes {got['shapes']}; expected a 7 x 3 weight matrix "
             "and 3 biases")


@pytest.mark.check("SoftmaxRegression.forward: class scores (logits) on given weights", points=2)
def test_module_forward(student, reference):
    args = {"W": W.T.copy(), "b": B, "x": X}
    assert_close(student.run("module_forward", args), reference.run("module_forward", args), "scores")
