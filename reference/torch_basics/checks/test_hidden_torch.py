"""torch_basics, hidden checks: other inputs and sizes, another split, other batch sizes and schedules."""
import math

import numpy as np
import pytest

from grader.checks import assert_close, fail

pytestmark = pytest.mark.hidden

RNG = np.random.default_rng(41)


@pytest.mark.check("make_leaf: a float32 matrix keeps its dtype", points=1)
def test_make_leaf_float32(student):
    array = RNG.uniform(0.5, 2.0, size=(3, 4)).astype(np.float32)
    facts = student.run("make_leaf", {"array": array})
    if not facts["is_tensor"] or facts["dtype"] != "float32" or not facts["requires_grad"]:
        fail("make_leaf of a float32 array must be a float32 tensor that requires gradients")
    assert_close(facts["values"], array, "values")


@pytest.mark.check("autograd_gradient: other inputs", points=1)
def test_autograd_gradient_other(student, reference):
    args = {"array": RNG.uniform(0.1, 5.0, size=7)}
    assert_close(student.run("autograd_gradient", args), reference.run("autograd_gradient", args), "gradient")


@pytest.mark.check("accumulated_gradients: four backward calls", points=1)
def test_accumulated_four(student, reference):
    args = {"function": "accumulated_gradients", "array": RNG.uniform(0.1, 3.0, size=(2, 2)), "n": 4}
    got = student.run("gradient_list", args)
    assert_close(got["gradients"], reference.run("gradient_list", args)["gradients"], "gradients")


@pytest.mark.check("fresh_gradients: two backward calls", points=1)
def test_fresh_two(student, reference):
    args = {"function": "fresh_gradients", "array": RNG.uniform(0.1, 3.0, size=5), "n": 2}
    got = student.run("gradient_list", args)
    assert_close(got["gradients"], reference.run("gradient_list", args)["gradients"], "gradients")


@pytest.mark.check("softmax: one row, and scores shifted by a constant", points=1)
def test_softmax_variants(student, reference):
    for t in (RNG.normal(size=(1, 6)).astype(np.float32), (RNG.normal(size=(3, 5)) + 80).astype(np.float32)):
        assert_close(student.run("softmax", {"t": t}), reference.run("softmax", {"t": t}), "softmax(t)")


@pytest.mark.check("nll: other sizes", points=1)
def test_nll_other(student, reference):
    args = {"Y": np.eye(6, dtype=np.float32)[RNG.integers(0, 6, size=9)],
            "Q": RNG.dirichlet(np.ones(6), size=9).astype(np.float32)}
    assert_close(student.run("nll", args), reference.run("nll", args), "nll")


@pytest.mark.check("train_softmax_autograd: test accuracy on another split", points=2, timeout=60)
def test_train_softmax_autograd_other(student, digits, thresholds):
    X_train, X_test, y_train, y_test = digits(seed=3)
    got = student.run("train_softmax_autograd", {"X_train": X_train, "Y_train": np.eye(10, dtype=np.float32)[y_train],
                                                 "X_test": X_test, "epochs": 100, "rho": 0.5, "seed": 1})
    accuracy = float(np.mean(got["predictions"] == y_test))
    if not accuracy >= thresholds["autograd_accuracy"]:
        fail(f"test accuracy {accuracy:.3f} on another split; at least {thresholds['autograd_accuracy']:.2f} "
             "is expected")


@pytest.mark.check("SoftmaxRegression.forward: other sizes", points=1)
def test_module_forward_other(student, reference):
    args = {"W": RNG.normal(size=(2, 9)).astype(np.float32), "b": RNG.normal(size=2).astype(np.float32),
            "x": RNG.normal(size=(4, 9)).astype(np.float32)}
    assert_close(student.run("module_forward", args), reference.run("module_forward", args), "scores")


@pytest.mark.check("train_model: batches of 50 (the last one smaller), another split", points=2, timeout=60)
def test_train_model_other(student, digits, thresholds):
    X_train, X_test, y_train, y_test = digits(seed=4)
    got = student.run("train_model", {"X_train": X_train, "y_train": y_train, "X_test": X_test, "epochs": 3,
                                      "lr": 0.1, "batch_size": 50, "seed": 2})
    expected = 3 * math.ceil(len(X_train) / 50)
    if got["backward_passes"] != expected:
        fail(f"{got['backward_passes']} backward passes; expected {expected}, one per mini-batch")
    accuracy = float(np.mean(got["predictions"] == y_test))
    if not accuracy >= thresholds["sgd_accuracy"] - 0.03:
        fail(f"test accuracy {accuracy:.3f} after 3 epochs; at least {thresholds['sgd_accuracy'] - 0.03:.2f} "
             "is expected")


@pytest.mark.check("train_adam: another decay rate", points=1, timeout=60)
def test_train_adam_gamma(student, digits):
    X_train, X_test, y_train, y_test = digits(seed=4)
    got = student.run("train_adam", {"X_train": X_train, "y_train": y_train, "X_test": X_test, "epochs": 3,
                                     "lr": 0.02, "gamma": 0.5, "batch_size": 64, "seed": 2})
    assert_close(got["lr_history"], 0.02 * 0.5 ** np.arange(3), "lr_history")


@pytest.mark.check("make_mlp: one hidden layer, and three", points=2)
def test_make_mlp_other(student, reference):
    for hidden in ([16], [12, 8, 6]):
        args = {"n_in": 10, "hidden": hidden, "n_out": 4}
        got, want = student.run("mlp_structure", args), reference.run("mlp_structure", args)
        if got["layers"] != want["layers"]:
            fail(f"make_mlp(10, {hidden}, 4) does not have the expected layers")
        sizes = [10, *hidden, 4]
        forward = {**args, "x": RNG.normal(size=(3, 10)).astype(np.float32),
                   "weights": [RNG.normal(size=(o, i)).astype(np.float32) for i, o in zip(sizes, sizes[1:])],
                   "biases": [RNG.normal(size=o).astype(np.float32) for o in sizes[1:]]}
        assert_close(student.run("mlp_forward", forward), reference.run("mlp_forward", forward), "output")
