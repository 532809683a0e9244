"""Sections 4 to 6: training loops with torch.optim and mini-batches, Adam with a scheduler, nn.Sequential."""
import math

import numpy as np
import pytest

from grader.checks import assert_close, fail, fresh_seed, rng_for, training_record

EPOCHS, BATCH = 4, 32


def _train_model(student, digits):
    X_train, X_test, y_train, y_test = digits()
    got = student.run("train_model", {"X_train": X_train, "y_train": y_train, "X_test": X_test, "epochs": EPOCHS,
                                      "lr": 0.1, "batch_size": BATCH, "seed": fresh_seed(0)}, timeout=60)
    return got, X_train, y_test


@pytest.mark.check("train_model: one optimizer step per mini-batch", points=2)
def test_train_model_steps(student, digits):
    got, X_train, _ = _train_model(student, digits)
    expected = EPOCHS * math.ceil(len(X_train) / BATCH)
    if got["backward_passes"] != expected:
        fail(f"{got['backward_passes']} backward passes for {EPOCHS} epochs of {len(X_train)} samples in batches of "
             f"{BATCH}; expected {expected}, one per mini-batch (DataLoader(TensorDataset(X, y), batch_size=...))")
    if len(got["batch_sizes"]) and got["batch_sizes"].max() > BATCH:
        fail(f"a mini-batch held {got['batch_sizes'].max()} samples; batch_size is {BATCH}")


@pytest.mark.check("train_model: every sample once per epoch, reshuffled every epoch", points=2)
def test_train_model_epochs(student, digits):
    got, X_train, _ = _train_model(student, digits)
    rows, n = got["batch_row_sums"], len(X_train)
    if len(rows) != EPOCHS * n:
        fail(f"{len(rows)} samples were back-propagated in {EPOCHS} epochs of {n} samples")
    epochs = rows.reshape(EPOCHS, n)
    expected = np.sort(X_train.sum(axis=1))
    if not all(np.allclose(np.sort(epoch), expected, atol=1e-4) for epoch in epochs):
        fail("an epoch did not visit each training sample exactly once")
    if any(np.allclose(epochs[0], other) for other in epochs[1:]):
        fail("the mini-batches came in the same order in two epochs: shuffle the data every epoch "
             "(DataLoader(..., shuffle=True))")


@pytest.mark.check("train_model: gradients reset before each backward pass", points=1)
def test_train_model_zero_grad(student, digits):
    got, _, _ = _train_model(student, digits)
    if got["stale_gradients"]:
        fail(f"in {got['stale_gradients']} of {got['backward_passes']} backward passes the new gradient was added to "
             "the previous one: call optimizer.zero_grad() before each loss.backward()")


@pytest.mark.check("train_model: test accuracy with a linear model", points=2)
def test_train_model_accuracy(student, digits, thresholds, artifacts):
    got, _, y_test = _train_model(student, digits)
    artifacts["training"] = training_record("train_model (SGD) on the ten digits", got["history"],
                                            thresholds["sgd_accuracy"])
    accuracy = artifacts["training"]["final"] = float(np.mean(got["predictions"] == y_test))
    if not accuracy >= thresholds["sgd_accuracy"]:
        fail(f"test accuracy {accuracy:.3f} after {EPOCHS} epochs of SGD (lr=0.1, batches of {BATCH}); at least "
             f"{thresholds['sgd_accuracy']:.2f} is expected")


def _train_adam(student, digits, gamma=0.8):
    X_train, X_test, y_train, y_test = digits()
    got = student.run("train_adam", {"X_train": X_train, "y_train": y_train, "X_test": X_test, "epochs": EPOCHS,
                                     "lr": 0.01, "gamma": gamma, "batch_size": BATCH, "seed": fresh_seed(0)}, timeout=60)
    return got, y_test


@pytest.mark.check("train_adam: uses torch.optim.Adam on the model's parameters", points=1)
def test_train_adam_optimizer(student, digits):
    got, _ = _train_adam(student, digits)
    if not got["adam_used"]:
        fail("no torch.optim.Adam optimizer was created for the model's parameters")


@pytest.mark.check("train_adam: the learning rate decays by gamma once per epoch", points=2)
def test_train_adam_schedule(student, digits):
    got, _ = _train_adam(student, digits)
    expected = 0.01 * 0.8 ** np.arange(EPOCHS)
    assert_close(got["lr_history"], expected, "lr_history (the learning rate of each epoch)")
    if got["adam_used"] and not math.isclose(got["final_lr"], 0.01 * 0.8 ** EPOCHS, rel_tol=1e-6):
        fail(f"after {EPOCHS} epochs the optimizer's learning rate is {got['final_lr']:.3g}, expected "
             f"{0.01 * 0.8 ** EPOCHS:.3g}: call scheduler.step() once per epoch, not once per mini-batch")


@pytest.mark.check("train_adam: test accuracy with a linear model", points=2)
def test_train_adam_accuracy(student, digits, thresholds, artifacts):
    got, y_test = _train_adam(student, digits)
    artifacts["training"] = training_record("train_adam on the ten digits", got["history"],
                                            thresholds["adam_accuracy"])
    accuracy = artifacts["training"]["final"] = float(np.mean(got["predictions"] == y_test))
    if not accuracy >= thresholds["adam_accuracy"]:
        fail(f"test accuracy {accuracy:.3f} after {EPOCHS} epochs of Adam; at least "
             f"{thresholds['adam_accuracy']:.2f} is expected")


@pytest.mark.check("make_mlp: Linear and ReLU layers in order, no activation after the last", points=2)
def test_make_mlp_structure(student, reference):
    args = {"n_in": 64, "hidden": [64, 32], "n_out": 10}
    got, want = student.run("mlp_structure", args), reference.run("mlp_structure", args)
    if got["type"] != "Sequential":
        fail(f"make_mlp returned a {got['type']}, not an nn.Sequential")
    shown = lambda layers: ", ".join(l["type"] + (f"({l['in']}, {l['out']})" if "in" in l else "") for l in layers)
    if got["layers"] != want["layers"]:
        fail(f"make_mlp(64, [64, 32], 10) is {shown(got['layers'])}; expected {shown(want['layers'])}")


@pytest.mark.check("make_mlp: output on given weights", points=2)
def test_make_mlp_forward(student, reference):
    rng = rng_for(32)
    sizes = [6, 5, 4, 3]
    args = {"n_in": 6, "hidden": [5, 4], "n_out": 3, "x": rng.normal(size=(7, 6)).astype(np.float32),
            "weights": [rng.normal(size=(o, i)).astype(np.float32) for i, o in zip(sizes, sizes[1:])],
            "biases": [rng.normal(size=o).astype(np.float32) for o in sizes[1:]]}
    assert_close(student.run("mlp_forward", args), reference.run("mlp_forward", args), "output")


@pytest.mark.check("make_mlp: reaches the expected test accuracy when trained", points=2, timeout=60)
def test_make_mlp_trained(student, digits, thresholds):
    X_train, X_test, y_train, y_test = digits()
    predictions = student.run("mlp_trained", {"X_train": X_train, "y_train": y_train, "X_test": X_test,
                                              "hidden": [64, 32], "epochs": 10, "seed": fresh_seed(0)})
    accuracy = float(np.mean(predictions == y_test))
    if not accuracy >= thresholds["mlp_accuracy"]:
        fail(f"make_mlp(64, [64, 32], 10) trained with Adam for 10 epochs reaches {accuracy:.3f} test accuracy; "
             f"at least {thresholds['mlp_accuracy']:.2f} is expected")
