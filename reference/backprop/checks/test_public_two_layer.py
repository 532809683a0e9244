"""Section 3: the network with one hidden layer (public checks)."""
import numpy as np
import pytest

from grader.checks import assert_close, fail, rng_for, training_record

RNG = rng_for(13)
K, D, H = 6, 4, 3
X = RNG.normal(size=(K, D))
PARAMS = {"W1": RNG.normal(size=(H, D)), "b1": RNG.normal(size=H), "w2": RNG.normal(size=H), "b2": np.array([-0.3])}
Y = np.array([1, 0, 1, 1, 0, 0], dtype=float)


@pytest.mark.check("two_layer_forward: hidden activations h", points=1)
def test_forward_hidden(student, reference):
    args = {**PARAMS, "x": X}
    assert_close(student.run("two_layer_forward", args)["h"], reference.run("two_layer_forward", args)["h"], "h")


@pytest.mark.check("two_layer_forward: soft predictions q", points=1)
def test_forward_output(student, reference):
    args = {**PARAMS, "x": X}
    assert_close(student.run("two_layer_forward", args)["q"], reference.run("two_layer_forward", args)["q"], "q")


def _backward(student, reference, check_gradient, name, what):
    ref = reference.run("two_layer_forward", {**PARAMS, "x": X})
    got = student.run("two_layer_backward", {"y": Y, "q": ref["q"], "h": ref["h"], "x": X, "w2": PARAMS["w2"]})
    numeric = reference.run("two_layer_loss_gradient", {**PARAMS, "x": X, "y": Y})
    check_gradient(got[name], numeric[name], what,
                   own_numeric=lambda: student.run("two_layer_loss_gradient", {**PARAMS, "x": X, "y": Y})[name])


@pytest.mark.check("two_layer_backward: output weight gradient (w2_grad)", points=1)
def test_backward_w2(student, reference, check_gradient):
    _backward(student, reference, check_gradient, "w2", "w2_grad")


@pytest.mark.check("two_layer_backward: output bias gradient (b2_grad)", points=1)
def test_backward_b2(student, reference, check_gradient):
    _backward(student, reference, check_gradient, "b2", "b2_grad")


@pytest.mark.check("two_layer_backward: hidden weight gradient (W1_grad)", points=2)
def test_backward_W1(student, reference, check_gradient):
    _backward(student, reference, check_gradient, "W1", "W1_grad")


@pytest.mark.check("two_layer_backward: hidden bias gradient (b1_grad)", points=1)
def test_backward_b1(student, reference, check_gradient):
    _backward(student, reference, check_gradient, "b1", "b1_grad")


@pytest.mark.check("train_two_layer: test accuracy on digits 3 vs 8", points=3, timeout=30)
def test_train_two_layer(student, thresholds, digits, artifacts):
    X_train, X_test, y_train, y_test = digits((3, 8))
    got = student.run("train_two_layer", {"X_train": X_train, "y_train": y_train, "X_test": X_test,
                                          "n_h": 8, "epochs": 300, "rho": 0.5})
    history = got["history"]
    artifacts["training"] = training_record("train_two_layer on digits 3 vs 8", history,
                                            thresholds["two_layer_accuracy"])
    accuracy = float(np.mean((np.asarray(got["q_test"]) >= 0.5) == y_test))
    artifacts["training"]["final"] = accuracy
    if not history[-1] < history[0]:
        fail(f"the training loss did not go down (first epoch {history[0]:.4g}, last {history[-1]:.4g})")
    if not accuracy >= thresholds["two_layer_accuracy"]:
        fail(f"test accuracy {accuracy:.3f} with 8 hidden units after 300 epochs with rho=0.5; at least "
             f"{thresholds['two_layer_accuracy']:.2f} is expected")
