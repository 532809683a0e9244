"""regularization_penalty, train_epoch, evaluate and predict, observed through instrumented stand-ins."""
import numpy as np
import pytest

from grader.checks import assert_close, compare, fail, fresh_seed, rng_for

RNG = rng_for(21)
#: The device the probes pass to the student's functions (see probes.py).
DEVICE = "cpu:0"

# ---------------------------------------------------------------------------
# regularization_penalty
# ---------------------------------------------------------------------------

PENALTY_PARAMETERS = {"conv_weight": RNG.normal(size=(2, 1, 2, 2)), "conv_bias": RNG.normal(size=2),
                      "linear_weight": RNG.normal(size=(3, 18)) * 0.3, "linear_bias": RNG.normal(size=3)}
PENALTY_CASES = [{**PENALTY_PARAMETERS, "l1_lambda": 0.01, "l2_lambda": 0.0},
                 {**PENALTY_PARAMETERS, "l1_lambda": 0.0, "l2_lambda": 0.02},
                 {**PENALTY_PARAMETERS, "l1_lambda": 0.003, "l2_lambda": 0.005}]


def _expected_penalty(case, with_biases):
    """Value and gradients of l1 * sum|p| + l2 * sum p^2 over the weights (and the biases when asked)."""
    params = [case["conv_weight"], case["conv_bias"], case["linear_weight"], case["linear_bias"]]
    penalised = [p.ndim > 1 or with_biases for p in params]
    value = sum(case["l1_lambda"] * np.abs(p).sum() + case["l2_lambda"] * (p ** 2).sum()
                for p, on in zip(params, penalised) if on)
    grads = [(case["l1_lambda"] * np.sign(p) + 2 * case["l2_lambda"] * p) if on else np.zeros_like(p)
             for p, on in zip(params, penalised)]
    return value, grads


@pytest.mark.check("regularization_penalty: value and gradient of the L1 and L2 terms", points=2)
def test_penalty(student):
    for case in PENALTY_CASES:
        what = f"regularization_penalty(model, l1_lambda={case['l1_lambda']}, l2_lambda={case['l2_lambda']})"
        got = student.run("penalty", case)
        returned = got["returned"]
        if returned["kind"] != "tensor" or not returned["requires_grad"]:
            fail(f"{what} returned a {returned['kind']} that is not part of the autograd graph: return a tensor "
                 "computed from the parameters (no .item(), no torch.no_grad()) so that backward sees it")
        # Biases are left out by the course's convention; penalising them too is also accepted.
        messages = []
        for with_biases in (False, True):
            value, grads = _expected_penalty(case, with_biases)
            message = compare(returned["value"], value, f"{what}: value", rtol=1e-4, atol=1e-6) or \
                compare(got["gradients"], grads, f"{what}: gradient", rtol=1e-4, atol=1e-6)
            if message is None:
                break
            messages.append(message)
        else:
            fail(messages[0] + "\nexpected l1_lambda * sum(|w|) + l2_lambda * sum(w ** 2) over the weights")


# ---------------------------------------------------------------------------
# train_epoch, observed
# ---------------------------------------------------------------------------

OBSERVED = {"n": 24, "batch_size": 8, "seed": fresh_seed(4)}


def _observe(student):
    return student.run("train_epoch_observed", OBSERVED)


def _trace(got) -> str:
    return "\n".join(f"batch {i + 1}: {events}" for i, events in enumerate(got["events"][:3]))


@pytest.mark.check("train_epoch: one optimizer step per batch, after backward", points=2)
def test_train_epoch_step_order(student):
    got = _observe(student)
    steps, batches = got["steps"], got["batches"]
    if len(steps) != batches:
        fail(f"optimizer.step() was called {len(steps)} times for {batches} batches: step once per batch\n"
             f"what your loop did:\n{_trace(got)}")
    late = [i + 1 for i, s in enumerate(steps) if not s["after_backward"]]
    if late:
        fail(f"optimizer.step() ran before loss.backward() at batch {late[0]}: the step then applies no gradient "
             f"(or the previous batch's); call backward first\nwhat your loop did:\n{_trace(got)}",
             misconception="step-before-backward")


@pytest.mark.check("train_epoch: gradients zeroed before every backward", points=2)
def test_train_epoch_zero_grad(student):
    got = _observe(student)
    states = [s["gradients"] for s in got["steps"]]
    if "accumulated" in states:
        first = states.index("accumulated") + 1
        fail(f"at step {first} the gradients held more than this batch's own: .grad accumulates until zeroed; "
             f"call optimizer.zero_grad() once per batch, before backward\nwhat your loop did:\n{_trace(got)}",
             misconception="zero-grad-missing")
    emptied = [i + 1 for i, s in enumerate(got["steps"]) if s["after_backward"] and s["gradients"] == "none"]
    if emptied:
        fail(f"at step {emptied[0]} the gradients of the backward pass were gone: zero them before backward, "
             f"not between backward and step\nwhat your loop did:\n{_trace(got)}")


@pytest.mark.check("train_epoch: model in training mode", points=1)
def test_train_epoch_train_mode(student):
    got = _observe(student)
    if not got["forwards"]:
        fail("train_epoch never called the model")
    if not all(f["training"] for f in got["forwards"]):
        fail("the model ran in eval mode during training (it was left in eval mode before the call): "
             "call model.train() at the start of train_epoch, or dropout stays off for the rest of training",
             misconception="train-mode-not-set")


@pytest.mark.check("train_epoch: batches moved to the device", points=1)
def test_train_epoch_device(student):
    got = _observe(student)
    images = {f["moved_to"] for f in got["forwards"]}
    labels = {loss["targets_moved_to"] for loss in got["losses"]}
    if "not moved" in images:
        fail("the images reached the model without .to(device): move every batch to the device the model is on "
             "(on a GPU the forward pass fails with 'Expected all tensors to be on the same device')",
             misconception="batch-not-on-device")
    if "not moved" in labels:
        fail("the labels reached the loss without .to(device): move the labels of every batch to the device too",
             misconception="batch-not-on-device")
    _check_given_device(images | labels, "train_epoch")


def _check_given_device(seen, function):
    """Batches must go to the device passed in (the probes pass 'cpu:0'), not to one chosen again."""
    other = sorted(seen - {DEVICE, "not moved"})
    if other:
        fail(f"{function} moved the batches to {other[0]!r}, not to the device it was given ({DEVICE!r}): use the "
             "device argument (calling get_device() again ignores the caller's choice)", misconception="device-ignored")


@pytest.mark.check("train_epoch: logits and class-index labels go to the loss", points=2)
def test_train_epoch_loss_inputs(student):
    got = _observe(student)
    if any(loss["outputs_are_probabilities"] for loss in got["losses"]):
        fail("the loss received probabilities (rows summing to 1): nn.CrossEntropyLoss applies log-softmax "
             "itself; give it the model's raw outputs", misconception="softmax-in-train-epoch")
    targets = {(loss["target_dtype"], len(loss["target_shape"])) for loss in got["losses"]}
    if targets != {("torch.int64", 1)}:
        dtype, ndim = sorted(targets)[0]
        fail(f"the loss received labels of dtype {dtype} with {ndim} dimension(s): nn.CrossEntropyLoss expects "
             "class indices, int64 of shape (batch,), not one-hot vectors", misconception="labels-one-hot")


@pytest.mark.check("train_epoch: returns the mean batch loss as a float", points=1)
def test_train_epoch_return(student):
    got = _observe(student)
    returned = got["returned"]
    if returned["kind"] == "tensor":
        fail("train_epoch returned a tensor: return a Python float (sum loss.item() over the batches)",
             misconception="loss-accumulated-with-graph" if returned["requires_grad"] else None)
    if returned["kind"] != "number":
        fail(f"train_epoch returned a {returned['kind']}, expected a float")
    losses = [loss["value"] for loss in got["losses"]]
    if not losses:
        fail("train_epoch never called the loss function")
    assert_close(returned["value"], float(np.mean(losses)), "mean of the batch losses", rtol=1e-4, atol=1e-6)


@pytest.mark.check("train_epoch: batch losses summed as numbers, no graph kept", points=1)
def test_train_epoch_no_graph_kept(student):
    got = _observe(student)
    if got["graph_across_batches"] or (got["returned"]["kind"] == "tensor" and got["returned"]["requires_grad"]):
        fail("the loss was accumulated as a tensor (total += loss): the sum holds every batch's autograd graph "
             "in memory until the epoch ends; accumulate loss.item() instead",
             misconception="loss-accumulated-with-graph")


def _updates(penalties):
    images = RNG.normal(size=(32, 1, 4, 4))
    labels = RNG.integers(0, 3, size=32)
    return {"images": images, "labels": labels, "batch_size": 8, "learning_rate": 0.2, "epochs": 4, **penalties}


UPDATES = _updates({"l1_lambda": 0.0, "l2_lambda": 0.0})
UPDATES_PENALISED = _updates({"l1_lambda": 0.002, "l2_lambda": 0.01})


@pytest.mark.check("train_epoch: parameter updates match the reference; the loss goes down", points=2)
def test_train_epoch_updates(student, reference):
    got, want = student.run("train_epoch_updates", UPDATES), reference.run("train_epoch_updates", UPDATES)
    assert_close(got["weights"], want["weights"], "weights after 4 epochs of SGD", rtol=1e-4, atol=1e-6)
    values = [loss.get("value") for loss in got["losses"]]
    if not all(isinstance(v, float) for v in values) or not values[-1] < values[0]:
        fail(f"the mean loss over 4 epochs on the same data did not go down: {values}")


@pytest.mark.check("train_epoch: L1 and L2 penalties in the update", points=2)
def test_train_epoch_penalties(student, reference):
    got = student.run("train_epoch_updates", UPDATES_PENALISED)
    want = reference.run("train_epoch_updates", UPDATES_PENALISED)
    message = compare(got["weights"], want["weights"], "weights after 4 epochs with l1_lambda=0.002, l2_lambda=0.01",
                      rtol=1e-4, atol=1e-6)
    if not message:
        return
    plain = compare(student.run("train_epoch_updates", UPDATES)["weights"],
                    reference.run("train_epoch_updates", UPDATES)["weights"], "weights", rtol=1e-4, atol=1e-6)
    if plain:   # the updates are wrong without penalties too: the penalty is not (only) what differs
        fail(message + "\nthe updates differ without penalties too (l1_lambda = l2_lambda = 0), so the cause is in the "
                       "update itself (see the check \"train_epoch: parameter updates match the reference\"), not "
                       "only in the penalty")
    fail(message + "\nwithout penalties your updates match, so the penalty is what differs: each step minimises "
                   "loss + regularization_penalty(model, l1_lambda, l2_lambda): add the penalty to the loss, once")


# ---------------------------------------------------------------------------
# evaluate and predict
# ---------------------------------------------------------------------------

EVALUATE_MODE = {"n": 24, "batch_size": 8, "seed": fresh_seed(6), "dropout": 0.5}
EVALUATE_VALUES = {"n": 24, "batch_size": 8, "seed": fresh_seed(7), "dropout": 0.0}


@pytest.mark.check("evaluate: eval mode, without gradients", points=2)
def test_evaluate_mode(student):
    got = student.run("evaluate_observed", EVALUATE_MODE)
    forwards = got["forwards"]
    if not forwards:
        fail("evaluate never called the model")
    if any(f["training"] for f in forwards):
        fail("evaluate ran the model in training mode: call model.eval() first, or dropout stays active and "
             "the scores are noisy and too low", misconception="evaluate-without-eval-mode")
    if any(f["grad_enabled"] for f in forwards):
        fail("evaluate built the autograd graph: wrap the loop in torch.no_grad() (no gradients are needed, "
             "and the graph costs memory and time)", misconception="evaluate-without-no-grad")
    if any(f["moved_to"] == "not moved" for f in forwards):
        fail("evaluate gave the model batches without .to(device)")
    _check_given_device({f["moved_to"] for f in forwards}, "evaluate")
    if not got["parameters_unchanged"]:
        fail("evaluate changed the model's parameters")


@pytest.mark.check("evaluate: mean loss and accuracy", points=2)
def test_evaluate_values(student, reference):
    got = student.run("evaluate_observed", EVALUATE_VALUES)["returned"]
    want = reference.run("evaluate_observed", EVALUATE_VALUES)["returned"]
    if not isinstance(got, list) or len(got) != 2 or any(g.get("kind") != "number" for g in got):
        kinds = [g.get("kind") for g in got] if isinstance(got, list) else got.get("kind")
        fail(f"evaluate returned {kinds}, expected a (loss, accuracy) pair of floats")
    assert_close(got[0]["value"], want[0]["value"], "mean loss", rtol=1e-4, atol=1e-6)
    assert_close(got[1]["value"], want[1]["value"], "accuracy (a fraction between 0 and 1)", rtol=1e-6, atol=1e-9)


PREDICT = {"n": 10, "batch_size": 4, "seed": fresh_seed(8), "dropout": 0.5}


@pytest.mark.check("predict: class indices as a numpy array, in eval mode without gradients", points=2)
def test_predict(student, reference):
    got, want = student.run("predict_observed", PREDICT), reference.run("predict_observed", PREDICT)
    forwards = got["forwards"]
    if any(f["training"] for f in forwards):
        fail("predict ran the model in training mode: call model.eval() first, or dropout stays active at "
             "test time", misconception="predict-without-eval-mode")
    if any(f["grad_enabled"] for f in forwards):
        fail("predict built the autograd graph: wrap it in torch.no_grad()", misconception="evaluate-without-no-grad")
    if any(f["moved_to"] == "not moved" for f in forwards):
        fail("predict gave the model images without .to(device)")
    _check_given_device({f["moved_to"] for f in forwards}, "predict")
    returned = got["returned"]
    if returned["kind"] != "ndarray":
        fail(f"predict returned a {returned['kind']}, expected a numpy array (.cpu().numpy())")
    if returned["dtype_kind"] not in "iu":
        fail("predict returned non-integer values: return class indices (argmax over the classes)")
    assert_close(returned["value"], want["returned"]["value"], "predicted classes")
    if len(forwards) != 3:
        fail(f"predict called the model {len(forwards)} times for 10 images with batch_size=4, expected 3 batches")
