"""What the numpy_nn checks share: input cases, verdicts on probe answers, training tasks, likely causes.

Runs in the trusted harness only. Each ``verify_*`` function takes the
student's answer to a probe, the reference's answer (``want``, ``None`` where
a verdict needs none) and the probe's inputs, and raises
:class:`grader.checks.CheckFailure` with a message the student can act on,
naming the catalogued mistake when the answer shows one. Public and hidden
check files call the same verdicts on different inputs.

Every documented variant of the course is accepted here: a loss returned as
a sum or a mean with its matching derivative, ReLU'(0) as 0 or 1, Dropout's
backward with or without the 1/(1-p) scale, a softmax derivative as the
Jacobian diagonal or a backward through the full Jacobian, mini-batches that
keep or drop the last, incomplete batch, float32 arithmetic. Each is listed in
``reference/numpy_nn/variants.toml``, where ``nngrade validate`` proves it
earns full marks.
"""
from __future__ import annotations

import functools
import math

import numpy as np

from grader.checks.inputs import fresh_seed, rng_for  # noqa: F401 (rng_for: the check files' import)
from grader.checks import (CheckFailure, ProbeFailure, assert_close, assert_gradient, compare, fail, relative_error,
                           training_record)
from grader.checks.causes import crash_cause, describe_failed_checks, failed_checks_by_part

#: Relative error tolerated between analytic and central-difference gradients.
GRADIENT_TOLERANCE = 1e-4
#: The same for a submission computing in float32 (its central differences are far noisier).
GRADIENT_TOLERANCE_FLOAT32 = 2e-2
#: Dropout's kept fraction may stray this many binomial standard deviations from 1 - p.
DROPOUT_SIGMAS = 5.0


def away_from_zero(rng: np.random.Generator, shape, low=-3.0, high=3.0, gap=0.05) -> np.ndarray:
    """Uniform values that keep clear of 0 (where ReLU has a kink) by at least ``gap``."""
    values = rng.uniform(low, high, shape)
    return np.where(np.abs(values) < gap, np.sign(values + 1e-12) * (gap + np.abs(values)), values)


def numbers(value, what: str) -> np.ndarray:
    """What the student's code returned, as a float array, or a failure that says what came instead."""
    if value is None:
        fail(f"{what}: your code returned None (a missing return statement?)")
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        fail(f"{what}: your code returned {value!r:.80}, expected numbers")


def check_gradient(analytic, numeric, what: str, tolerance: float) -> None:
    """assert_gradient, after making sure the student's side is numbers at all."""
    assert_gradient(numbers(analytic, what), numeric, what, tolerance)


def first_line(message: str) -> str:
    return message.splitlines()[0] if message else message


# -- cases ---------------------------------------------------------------------------------------------

def dense_case(seed: int, n_in: int, n_units: int, batch: int, learning_rate: float = 0.1) -> dict:
    rng = rng_for(seed)
    return dict(weights=rng.normal(size=(n_in, n_units)), biases=rng.normal(size=(1, n_units)),
                x=rng.normal(size=(batch, n_in)), output_error=rng.normal(size=(batch, n_units)),
                learning_rate=learning_rate)


def without(args: dict, *keys) -> dict:
    return {k: v for k, v in args.items() if k not in keys}


def loss_case(name: str, seed: int, rows: int, columns: int) -> dict:
    rng = rng_for(seed)
    if name == "MeanSquaredError":
        return dict(name=name, y_true=rng.normal(size=(rows, columns)), y_pred=rng.normal(size=(rows, columns)))
    if name == "BinaryCrossEntropy":
        return dict(name=name, y_true=rng.integers(0, 2, (rows, columns)).astype(float),
                    y_pred=rng.uniform(0.05, 0.95, (rows, columns)))
    y_pred = rng.uniform(0.2, 1.0, (rows, columns))
    return dict(name=name, y_true=np.eye(columns)[rng.integers(0, columns, rows)],
                y_pred=y_pred / y_pred.sum(axis=1, keepdims=True))


def sgd(learning_rate: float, momentum: float) -> dict:
    """Every argument of SGD, by the course's names (no check grades a default)."""
    return dict(learning_rate=learning_rate, momentum=momentum)


def adam(learning_rate: float, beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-8) -> dict:
    """Every argument of Adam (the common values unless a check needs others; no check grades a default)."""
    return dict(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon)


def optimizer_case(seed: int, shape, steps: int, scale: float = 1.0) -> dict:
    rng = rng_for(seed)
    return dict(w0=rng.normal(size=shape), grads=[scale * rng.normal(size=shape) for _ in range(steps)])


def network_gradient_case(seed: int, n_in: int, n_hidden: int, n_out: int, batch: int) -> dict:
    rng = rng_for(seed)
    return dict(weights_1=rng.normal(size=(n_in, n_hidden)), biases_1=rng.normal(size=(1, n_hidden)) * 0.5,
                weights_2=rng.normal(size=(n_hidden, n_out)), biases_2=rng.normal(size=(1, n_out)) * 0.5,
                X=rng.normal(size=(batch, n_in)), y=rng.uniform(0, 1, (batch, n_out)))


# -- DenseLayer ------------------------------------------------------------------------------------------

def verify_dense_initialize(got: dict, want: dict, args: dict) -> None:
    n_in, n_units = args["n_in"], args["n_units"]
    weights, biases = numbers(got["weights"], "weights"), numbers(got["biases"], "biases")
    if weights.shape != (n_in, n_units):
        fail(f"weights have shape {weights.shape}; a layer of {n_units} units on {n_in} inputs needs "
             f"({n_in}, {n_units}) (so that input @ weights works)")
    if biases.shape != (1, n_units):
        fail(f"biases have shape {biases.shape}; expected (1, {n_units}), one per unit, broadcast over the batch")
    if not (np.all(np.isfinite(weights)) and np.all(np.isfinite(biases))):
        fail("the initial weights or biases contain nan or inf")
    if np.ptp(weights) == 0:
        fail(f"every initial weight is {weights.flat[0]:g}: all units would compute the same thing and receive "
             "the same gradient forever; start from small random values", "dense-weights-zero-init")
    if not got["returns_self"]:
        fail("initialize must return the layer itself (return self), so calls can be chained")


def verify_dense_counts(got: dict, want: dict, args: dict) -> None:
    assert_close(got["parameters"], want["parameters"], "parameters()")
    assert_close(got["output_shape"], want["output_shape"], "output_shape()")


def verify_dense_forward(got, want, args) -> None:
    assert_close(got, want, "output of input @ weights + biases")


def verify_dense_input_error(got: dict, want: dict, args: dict) -> None:
    message = compare(got["input_error"], want["input_error"], "input error (output_error @ weights.T)")
    if message is None:
        return
    with_updated = args["output_error"] @ np.asarray(want["weights_returned"]).T
    if compare(got["input_error"], with_updated, "") is None:
        fail(message + "\nit equals output_error @ weights.T computed with the weights AFTER the update",
             "dense-input-error-updated-weights")
    fail(message)


def _handed(got: dict, key: str, what: str):
    if got[key] is None:
        fail(f"no {what} reached the optimizer: update(w, grad) was called {got['updates']} time(s), never with the "
             f"layer's {'weights' if key == 'weight_grad' else 'biases'} as w")
    return got[key]


def verify_dense_weight_gradient(got: dict, want: dict, args: dict) -> None:
    assert_close(_handed(got, "weight_grad", "weight gradient"), want["weight_grad"],
                 "weight gradient handed to the optimizer (input.T @ output_error)")


def verify_dense_bias_gradient(got: dict, want: dict, args: dict) -> None:
    assert_close(_handed(got, "bias_grad", "bias gradient"), want["bias_grad"],
                 "bias gradient handed to the optimizer (column sums of output_error, shape (1, n_units))")


def verify_dense_stores_update(got: dict, want: dict, args: dict) -> None:
    for name in ("weights", "biases"):
        returned = got[f"{name}_returned"]
        if returned is None:
            fail(f"the layer never asked its optimizer to update its {name}")
        message = compare(got[f"{name}_after"], returned, f"{name} stored after backward")
        if message:
            fail(message + f"\nthe layer must keep what its optimizer's update returns (self.{name} = ...update(...))")


def verify_dense_optimizer_copies(got: dict, want: dict, args: dict) -> None:
    if got["weight_grad"] is None or got["bias_grad"] is None:
        fail(f"the layer made {got['updates']} optimizer update(s); expected one for the weights and one for the biases")
    if not got["separate_optimizers"]:
        fail("the weights and the biases are updated by the same optimizer object: an optimizer with memory "
             "(momentum, Adam) would mix their states; initialize needs its own copy for each "
             "(copy.deepcopy(optimizer))", "dense-shared-optimizer")
    if got["optimizer_passed_in_used"]:
        fail("the optimizer given to initialize is used directly: a network gives the same object to every layer, "
             "so layers would share its state; keep copies (copy.deepcopy(optimizer)) instead",
             "dense-shared-optimizer")


def verify_dense_backward(got: dict, want: dict, args: dict) -> None:
    """Everything backward does (for the training checks' quick tests of a layer)."""
    verify_dense_forward(got["output"], want["output"], args)
    verify_dense_input_error(got, want, args)
    verify_dense_weight_gradient(got, want, args)
    verify_dense_bias_gradient(got, want, args)
    verify_dense_stores_update(got, want, args)


def gradient_tolerance(got: dict) -> float:
    return GRADIENT_TOLERANCE_FLOAT32 if got.get("low_precision") else GRADIENT_TOLERANCE


def verify_dense_numeric(got: dict, want, args: dict) -> None:
    tolerance = gradient_tolerance(got)
    labels = {"input": "input error (the returned dE/d input)", "weights": "weight gradient given to the optimizer",
              "biases": "bias gradient given to the optimizer"}
    for part, label in labels.items():
        if got["analytic"][part] is None:
            fail(f"no {label.replace(' given to the optimizer', '')} reached the optimizer during backward_propagation")
        check_gradient(got["analytic"][part], got["numeric"][part],
                        f"{label} vs central differences of your forward_propagation", tolerance)


# -- Dropout ---------------------------------------------------------------------------------------------

def verify_dropout_forward(got, want, args: dict) -> None:
    x, p = np.asarray(args["x"]), args["probability"]
    out = numbers(got, "output of forward_propagation")
    if out.shape != x.shape:
        fail(f"output has shape {out.shape}; dropout keeps the input's shape {x.shape}")
    kept = out != 0
    fraction, n = float(kept.mean()), kept.size
    sigma = math.sqrt(p * (1 - p) / n)
    if abs(fraction - (1 - p)) > DROPOUT_SIGMAS * sigma:
        if abs(fraction - p) <= DROPOUT_SIGMAS * sigma:
            fail(f"with p = {p} you kept {fraction:.1%} of the units: p is the probability of DROPPING a unit, so "
                 f"about {1 - p:.0%} should be kept (np.random.binomial(1, 1 - p, ...))", "dropout-keep-drop-swapped")
        fail(f"with p = {p} you kept {fraction:.1%} of the units; expected about {1 - p:.1%} "
             f"(± {DROPOUT_SIGMAS * sigma:.2%})")
    if kept.any():
        ratio = out[kept] / x[kept]
        scale = 1 / (1 - p)
        tolerance = 1e-6 if value_is_double(got) else 1e-3
        if not np.allclose(ratio, scale, rtol=tolerance):
            typical = float(np.median(ratio))
            patterns = {1.0: ("kept units are not scaled: divide them by 1 - p so the expected output equals the "
                              "input (inverted dropout)", "dropout-not-scaled"),
                        1 - p: ("kept units are multiplied by 1 - p; inverted dropout DIVIDES them by 1 - p",
                                "dropout-multiplied-by-keep"),
                        1 / p: ("kept units are divided by p; divide by 1 - p, the probability of keeping a unit",
                                "dropout-divided-by-p")}
            for factor, (text, mistake) in patterns.items():
                if np.allclose(ratio, factor, rtol=tolerance):
                    fail(f"kept units come out {typical:.4g} times their input, expected {scale:.4g} = 1/(1-p): {text}",
                         mistake)
            fail(f"kept units come out {typical:.4g} times their input (median); expected {scale:.4g} = 1/(1 - p)")
    if 0 < p and out.ndim == 2 and out.shape[0] > 1 and np.all(kept == kept[0]):
        fail("every example has the same units dropped: draw the mask with the input's full shape "
             "(size=input.shape), not one value per column", "dropout-same-mask-per-column")


def verify_dropout_inference(got, want, args: dict) -> None:
    x, p = np.asarray(args["x"]), args["probability"]
    message = compare(got, x, "output at inference (training=False)")
    if message:
        out = numbers(got, "output at inference")
        if out.shape == x.shape and (out == 0).mean() > p / 2:
            fail(message + "\nunits are still dropped at inference: with training=False dropout must return its input "
                           "unchanged", "dropout-active-at-inference")
        fail(message + "\nat inference dropout must return its input unchanged")


def verify_dropout_backward(got: dict, want, args: dict) -> None:
    p, error = args["probability"], np.asarray(args["output_error"])
    out = numbers(got["output"], "output of forward_propagation")
    if out.shape != error.shape:
        fail(f"forward_propagation returned shape {out.shape}; expected {error.shape}")
    mask = (out != 0).astype(float)
    masked = error * mask
    for accepted in (masked / (1 - p), masked):
        if compare(got["input_error"], accepted, "") is None:
            return
    message = compare(got["input_error"], masked / (1 - p), "input error (output_error * mask / (1 - p))")
    if compare(got["input_error"], error, "") is None:
        fail(message + "\nthe error is passed through unchanged: dropped units had no effect on the output, so "
                       "their error must be 0 (multiply by the mask kept from the forward pass)",
             "dropout-backward-no-mask")
    fail(message + "\n(output_error * mask, without the 1/(1-p) scale, is accepted too)")


def verify_shapes_and_parameters(got: dict, want: dict, args: dict) -> None:
    assert_close(got["output_shape"], want["output_shape"], "output_shape()")
    assert_close(got["parameters"], want["parameters"], "parameters()")


# -- activations -----------------------------------------------------------------------------------------

def activation_case(seed: int, rows: int, columns: int, low: float = -3.0, high: float = 3.0) -> np.ndarray:
    return away_from_zero(rng_for(seed), (rows, columns), low, high)


def verify_activation_values(got, want, args: dict) -> None:
    assert_close(got, want, f"{args['name']}.activation_function(x)")


def verify_softmax_values(got, want, args: dict) -> None:
    out = numbers(got, "softmax")
    x = np.asarray(args["x"])
    if out.shape != x.shape:
        fail(f"softmax returned shape {out.shape}; expected {x.shape}")
    rows = out.sum(axis=1)
    if not np.allclose(rows, 1, rtol=1e-5, atol=1e-6):
        if np.allclose(out.sum(axis=0), 1, rtol=1e-5, atol=1e-6):
            fail("each COLUMN of your softmax sums to 1, not each row: normalise over axis=1 (one row per example), "
                 "with keepdims=True", "softmax-axis-0")
        if math.isclose(float(out.sum()), 1, rel_tol=1e-5):
            fail("the whole array sums to 1: softmax normalises each row (example) separately: "
                 "np.sum(e, axis=1, keepdims=True)", "softmax-whole-array")
        fail(f"rows of the softmax must sum to 1; yours sum to {', '.join(f'{v:.4g}' for v in rows[:4])}")
    assert_close(got, want, "SoftmaxActivation.activation_function(x)")


def verify_softmax_stability(got, want, args: dict) -> None:
    out = numbers(got, "softmax of large scores")
    if not np.all(np.isfinite(out)):
        fail("softmax of large scores (e.g. [1000, 1001, 1002]) gives nan or inf: exp overflows. Subtract each "
             "row's maximum before exp (it cancels out and keeps exp <= 1)", "softmax-no-max-shift")
    assert_close(got, want, "softmax of large scores")


def verify_activation_derivative(got: dict, want, args: dict) -> None:
    analytic = got["analytic"]
    what = f"{args['name']}.derivative vs central differences of your activation_function"
    if analytic is not None and np.ndim(analytic) == 3 and "numeric_jacobian" in got:
        check_gradient(analytic, got["numeric_jacobian"], what + " (full Jacobian)", gradient_tolerance(got))
        return
    check_gradient(analytic, got["numeric"], what, gradient_tolerance(got))


def verify_relu_at_zero(got, want, args: dict) -> None:
    values = numbers(got, "ReLUActivation.derivative(0)")
    if values.shape != (2, args["width"]) or not np.all((values == 0) | (values == 1)):
        fail(f"ReLUActivation.derivative(0) should be 0 or 1 (both accepted), got {got!r}")


def verify_activation_layer(got: dict, want: dict, args: dict) -> None:
    assert_close(got["output"], want["output"], "forward_propagation of a layer with f(x) = x**3")
    assert_close(got["input_error"], want["input_error"],
                 "backward_propagation of a layer with f(x) = x**3: output_error * derivative(input)")
    verify_shapes_and_parameters(got, want, args)


def verify_softmax_backward(got: dict, want, args: dict) -> None:
    what = ("backward_propagation vs the full Jacobian of your activation_function (the Jacobian diagonal, "
            "output_error * s * (1 - s), is accepted too)")
    error = numbers(got["input_error"], "backward_propagation")
    tolerance = gradient_tolerance(got)
    if error.shape == np.shape(got["numeric_full"]):
        for accepted in ("numeric_full", "numeric_diagonal"):
            if relative_error(error, got[accepted]) <= tolerance:
                return
    check_gradient(error, got["numeric_full"], what, tolerance)


# -- losses ----------------------------------------------------------------------------------------------

#: What the reference divides each loss's total by: the loss is sum / this.
REFERENCE_DIVISOR = {"MeanSquaredError": "size", "BinaryCrossEntropy": "size", "CategoricalCrossEntropy": "rows"}


def verify_loss_value(got, want, args: dict) -> None:
    name, y = args["name"], np.asarray(args["y_true"])
    value = numbers(got, f"{name}.loss")
    if value.size != 1:
        fail(f"{name}.loss must return one number, got an array of shape {value.shape} (reduce over every element)")
    value = float(value.reshape(()))
    divisors = {"the sum": 1.0, "the mean over the batch": float(y.shape[0]), "the mean over all elements": float(y.size)}
    reference_divisor = divisors["the mean over all elements"] if REFERENCE_DIVISOR[name] == "size" else \
        divisors["the mean over the batch"]
    total = float(want) * reference_divisor
    tolerance = 1e-5 if value_is_double(got) else 1e-4
    for divisor in divisors.values():
        if math.isclose(value, total / divisor, rel_tol=tolerance, abs_tol=1e-12):
            return
    forms = "; ".join(f"{label} {total / divisor:.6g}" for label, divisor in divisors.items())
    fail(f"{name}.loss gave {value:.6g}; expected one of ({forms})")


def value_is_double(value) -> bool:
    return not (hasattr(value, "dtype") and np.asarray(value).dtype.kind == "f" and np.asarray(value).dtype.itemsize < 8)


def verify_loss_derivative(got: dict, want, args: dict) -> None:
    shape = np.shape(args["y_pred"])
    if got["analytic"] is not None and np.shape(got["analytic"]) != shape:
        fail(f"{args['name']}.derivative has shape {np.shape(got['analytic'])}; it must have y_pred's shape {shape}")
    check_gradient(got["analytic"], got["numeric"],
                    f"{args['name']}.derivative vs central differences of your {args['name']}.loss",
                    gradient_tolerance(got))


def verify_loss_extremes(got: dict, want, args: dict) -> None:
    name = args["name"]
    if not math.isfinite(got["loss"]):
        fail(f"{name}.loss is {got['loss']} when a prediction is exactly 0 or 1: clip predictions to "
             "[1e-15, 1 - 1e-15] before the logarithm", f"{_short(name)}-no-clipping")
    if not np.all(np.isfinite(numbers(got["derivative"], f"{name}.derivative"))):
        fail(f"{name}.derivative has nan or inf when a prediction is exactly 0 or 1: clip predictions as in loss",
             f"{_short(name)}-no-clipping")


def _short(name: str) -> str:
    return {"BinaryCrossEntropy": "bce", "CategoricalCrossEntropy": "cce", "MeanSquaredError": "mse"}[name]


# -- optimizers ------------------------------------------------------------------------------------------

def verify_trajectory(got, want, args: dict) -> None:
    if not isinstance(got, (list, tuple)) or len(got) != len(want):
        fail(f"expected {len(want)} updated arrays, got {got!r:.200}")
    for step, (mine, expected) in enumerate(zip(got, want), start=1):
        assert_close(mine, expected, f"w after update {step} of {len(want)}")


# -- NeuralNetwork ---------------------------------------------------------------------------------------

def _names(log, event):
    return [entry[1] for entry in log if entry[0] == event]


def verify_network_add(got: dict, want: dict, args: dict) -> None:
    if not got["returns_self"]:
        fail("add must return the network itself (return self), so calls can be chained")
    shapes = {entry[1]: entry[2] for entry in got["log"] if entry[0] == "set_input_shape"}
    for name, shape in ((e[1], e[2]) for e in want["log"] if e[0] == "set_input_shape"):
        if name not in shapes:
            fail(f"add did not give layer {name} its input shape: set_input_shape(previous_layer.output_shape())")
        assert_close(shapes[name], shape, f"input shape given to layer {name}")
    initialized = {entry[1]: entry for entry in got["log"] if entry[0] == "initialize"}
    for entry in (e for e in want["log"] if e[0] == "initialize"):
        if entry[1] not in initialized:
            fail(f"add did not initialize layer {entry[1]} with the network's optimizer (layer.initialize(optimizer))")
        mine = initialized[entry[1]]
        if mine[2] != entry[2] or not math.isclose(mine[3], entry[3]):
            fail(f"layer {entry[1]} was initialized with a {mine[2]} of learning rate {mine[3]:g}; expected the "
                 f"network's optimizer, a {entry[2]} with learning rate {entry[3]:g}")


def verify_network_forward(got: dict, want: dict, args: dict) -> None:
    order, expected = _names(got["log"], "forward"), _names(want["log"], "forward")
    if order != expected:
        fail(f"forward_propagation called the layers' forward_propagation in the order {order}; expected {expected}")
    for mine, theirs in zip(got["log"], want["log"]):
        if mine[2] != theirs[2]:
            fail(f"layer {mine[1]} got training={mine[2]}; the network must pass on training={theirs[2]}")
        message = compare(mine[3], theirs[3], f"input of layer {mine[1]}")
        if message:
            fail(message + "\neach layer's input must be the previous layer's output (the first gets X)")
    assert_close(got["output"], want["output"], "network output (the last layer's output)")


def verify_network_backward(got: dict, want: dict, args: dict) -> None:
    order, expected = _names(got["log"], "backward"), _names(want["log"], "backward")
    if order != expected:
        mistake = "nn-backward-forward-order" if order == expected[::-1] else None
        fail(f"backward_propagation visited the layers in the order {order}; expected {expected}, the reverse "
             "of the forward order (the last layer's error is known first)", mistake)
    for mine, theirs in zip(got["log"], want["log"]):
        message = compare(mine[2], theirs[2], f"error given to layer {mine[1]}")
        if message:
            fail(message + "\neach layer must get the error returned by the layer after it (the last layer gets "
                           "the output error)")
    if got["returned"] is not None:
        assert_close(got["returned"], want["returned"], "error returned by backward_propagation (dE/d X)")


def drops_last_batch(ids: list, sizes: list, n: int, batch_size: int) -> bool:
    """Whether a pass left out exactly the last, incomplete batch: the course's own code does (accepted)."""
    return bool(n % batch_size) and len(ids) == len(set(ids)) == n - n % batch_size and \
        all(size == batch_size for size in sizes)


def _batch_problems(epoch: list, n: int, batch_size: int, with_y: bool) -> None:
    ids = [i for batch in epoch for i in batch["x_ids"]]
    if sorted(ids) != list(range(n)) and not drops_last_batch(ids, [len(b["x_ids"]) for b in epoch], n, batch_size):
        missing = sorted(set(range(n)) - set(ids))
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        fail(f"one pass of the batches should hold each of the {n} examples exactly once (only the last, "
             f"incomplete batch may be left out); missing: {missing[:8]}, repeated: {repeated[:8]}")
    if with_y:
        for batch in epoch:
            if batch["y_ids"] is None:
                fail("batches came without their y rows")
            if batch["y_ids"] != batch["x_ids"]:
                fail("the rows of X and y in a batch no longer belong together (example "
                     f"{batch['x_ids'][0]} came with the label of example {batch['y_ids'][0]}): index X and y with "
                     "the SAME permutation", "nn-shuffle-x-y-separately")


def verify_batches_cover(got: list, want, args: dict) -> None:
    for epoch in got:
        _batch_problems(epoch, args["n"], args["batch_size"], args["with_y"])


def verify_batch_sizes(got: list, want, args: dict) -> None:
    n, size = args["n"], args["batch_size"]
    expected = [size] * (n // size) + ([n % size] if n % size else [])
    sizes = [len(batch["x_ids"]) for batch in got[0]]
    if sizes != expected and not (n % size and sizes == expected[:-1]):
        dropped = f" (or {expected[:-1]}, dropping the incomplete one)" if n % size else ""
        fail(f"with {n} examples and batch_size {size} the batches should have sizes {expected}{dropped}; "
             f"yours: {sizes}")


def _order(epoch):
    return [i for batch in epoch for i in batch["x_ids"]]


def verify_batches_shuffled(got: list, want, args: dict) -> None:
    orders = [_order(epoch) for epoch in got]
    if orders[0] == sorted(orders[0]):
        fail("with shuffle=True the examples came in their original order: take a random permutation "
             "(np.random.permutation(n)) of the indices")
    if len(orders) > 1 and all(order == orders[0] for order in orders[1:]):
        fail(f"{len(orders)} calls of get_mini_batches gave the same order: shuffle anew on every call (every epoch), "
             "not once", "nn-no-reshuffle")


def verify_batches_in_order(got: list, want, args: dict) -> None:
    order, n, size = _order(got[0]), args["n"], args["batch_size"]
    if order != list(range(n)) and order != list(range(n - n % size)):  # the incomplete last batch may be dropped
        fail(f"with shuffle=False the examples must come in their original order; got {order[:10]}…")


def verify_batches_without_y(got: list, want, args: dict) -> None:
    for batch in got[0]:
        if batch["y_ids"] is not None:
            fail("without y, each batch's y part must be None")
    verify_batches_cover(got, want, args)


def _training_batches(got: dict) -> list[dict]:
    """The mini-batches fit trained on: forward passes with training=True that a backward pass followed.

    Extra forward passes (e.g. to compute the epoch's loss) are left out; when
    fit never calls backward, every training-mode forward pass counts.
    """
    events = got["events"]
    forwards = [i for i, e in enumerate(events) if e[0] == "forward" and e[2]]
    batches = []
    for position, index in enumerate(forwards):
        end = forwards[position + 1] if position + 1 < len(forwards) else len(events)
        after = events[index + 1:end]
        batches.append({"ids": events[index][1], "after": after,
                        "trained": any(e[0] == "backward" for e in after)})
    trained = [b for b in batches if b["trained"]]
    return trained or batches


def verify_fit_steps(got: dict, want, args: dict) -> None:
    events = got["events"]
    forwards = [e for e in events if e[0] == "forward"]
    backwards = [e for e in events if e[0] == "backward"]
    derivatives = [e for e in events if e[0] == "derivative"]
    n, size, epochs = args["n"], args["batch_size"], args["epochs"]
    per_epoch = math.ceil(n / size)
    if forwards and not any(e[2] for e in forwards):
        fail("fit runs forward_propagation with training=False: while fitting, layers such as Dropout must be in "
             "training mode (training=True)", "nn-fit-training-false")
    if not backwards:
        fail(f"fit never called backward_propagation (forward passes: {len(forwards)}): without it nothing learns",
             "nn-fit-no-backward")
    if not derivatives:
        kinds = {e[2] for e in backwards}
        fail(f"fit never called the loss's derivative; backward_propagation got {', '.join(sorted(kinds))} values: "
             "give it loss.derivative(y_batch, output)", "nn-fit-backward-gets-loss")
    for event in backwards:
        if not event[1]:
            if event[2] != "array":
                fail(f"backward_propagation got a {event[2]}, not the array loss.derivative(y_batch, output) "
                     "returned (the loss value cannot be back-propagated)", "nn-fit-backward-gets-loss")
            fail("backward_propagation got an error that is not what loss.derivative(y_batch, output) returned for "
                 "that batch")
    for event in derivatives:
        if not event[2]:
            fail("loss.derivative was not given the network's output for the batch (y_pred)")
    expected_batches = [per_epoch * epochs, (n // size) * epochs]
    if len(backwards) not in expected_batches:
        fail(f"{epochs} epochs of {n} examples in batches of {size} make {per_epoch * epochs} updates; "
             f"fit called backward_propagation {len(backwards)} times")


def verify_fit_epochs(got: dict, want, args: dict) -> None:
    n, size = args["n"], args["batch_size"]
    epochs, current = [], []
    for batch in _training_batches(got):
        if any(i in current for i in batch["ids"]):
            epochs.append(current)
            current = []
        current = current + batch["ids"]
    if current:
        epochs.append(current)
    if len(epochs) != args["epochs"]:
        fail(f"fit ran {len(epochs)} pass(es) over the data with training=True; expected {args['epochs']} epochs")
    for order in epochs:
        if sorted(order) != list(range(n)) and len(set(order)) != n - n % size:
            missing = sorted(set(range(n)) - set(order))
            fail(f"an epoch should use each of the {n} examples exactly once (only the last, incomplete batch may "
                 f"be left out); missing {missing[:8]}")
    for batch in _training_batches(got):
        paired = [e for e in batch["after"] if e[0] == "derivative"]
        if paired and not paired[0][1]:
            fail("the labels given to the loss do not belong to the examples of the batch: X and y must be "
                 "shuffled with the same permutation", "nn-shuffle-x-y-separately")
    if len(epochs) > 1 and all(order == epochs[0] for order in epochs[1:]):
        fail(f"all {len(epochs)} epochs visited the examples in the same order: shuffle anew every epoch",
             "nn-no-reshuffle")
    if epochs and epochs[0] == list(range(n)):
        fail("fit did not shuffle the examples (the first epoch went in order); use get_mini_batches with shuffling")


def verify_fit_history(got: dict, want, args: dict) -> None:
    if not got["returns_self"]:
        fail("fit must return the network itself (return self)")
    if got["history_problem"]:
        fail(f"history: {got['history_problem']}")
    losses = got["losses"]
    if len(losses) != args["epochs"]:
        fail(f"history holds {len(losses)} entries after {args['epochs']} epochs; expected one per epoch")
    if not all(math.isfinite(v) for v in losses):
        fail(f"history holds a loss that is not finite: {losses[:6]}")


def verify_fit_learns(got: dict, want, args: dict) -> None:
    losses = got["losses"] or []
    if not math.isclose(got["offset"], 3.0, abs_tol=0.05):
        fail(f"after fit, a stand-in layer output = input + b should have learned b = 3 (the data's offset); "
             f"it has b = {got['offset']:.4g}. fit must update the layers on every mini-batch, every epoch")
    if len(losses) >= 2 and not losses[-1] < 0.1 * losses[0]:
        fail(f"the loss in history went from {losses[0]:.4g} to {losses[-1]:.4g}; the loss of each epoch should "
             "fall as the layer learns (record the loss of the epoch's predictions)")


def verify_network_predict(got: dict, want: dict, args: dict) -> None:
    flags = got["training_flags"]
    if any(flags):
        fail("predict ran the layers with training=True: at inference training must be False (Dropout would "
             "still drop units)", "nn-predict-training-true")
    assert_close(got["output"], want["output"], "predict(dataset): the network's output for dataset.X")


def verify_network_score(got: dict, want: dict, args: dict) -> None:
    assert_close(got["default"], want["default"], "score(dataset) with the network's metric, metric(y_true, y_pred)")
    if got["given"] is not None:  # a score that takes the dataset alone is the seed's
        assert_close(got["given"], want["given"], "score(dataset, scoring_func=f): f(dataset.y, predictions)")


def verify_network_gradient(got: dict, want, args: dict) -> None:
    if got["analytic"] is None:
        fail("the first DenseLayer's optimizer never received a weight gradient during backward_propagation")
    check_gradient(got["analytic"], got["numeric"],
                    "first layer's weight gradient vs central differences of the loss of the whole network",
                    gradient_tolerance(got))


# -- metrics and Dataset ---------------------------------------------------------------------------------

def verify_metric(got, want, args: dict) -> None:
    if got is not None and np.size(got) != 1:
        fail(f"{args['name']} must return one number, got an array of shape {np.shape(got)}")
    assert_close(got, want, f"{args['name']}(y_true, y_pred)")


def verify_dataset(got: dict, want: dict, args: dict) -> None:
    for key in ("X", "y", "shape", "has_label", "classes", "features", "label"):
        assert_close(got[key], want[key], f"Dataset {key}")
    if got["unlabeled_has_label"]:  # None: the Dataset requires labels, which the course allows
        fail("Dataset(X, None).has_label() is True: a dataset built without labels has none")


# -- training tasks --------------------------------------------------------------------------------------

def _split(X, y, test_fraction, seed):
    order = rng_for(seed).permutation(len(X))
    cut = int(round(len(X) * (1 - test_fraction)))
    return X[order[:cut]], y[order[:cut]], X[order[cut:]], y[order[cut:]]


def blobs_data(seed: int, n: int = 300):
    """Two Gaussian blobs of unit spread around (-2, -2) and (2, 2), labels 0 and 1."""
    rng = rng_for(seed)
    labels = rng.integers(0, 2, n)
    X = np.where(labels[:, None] == 1, 2.0, -2.0) + rng.normal(size=(n, 2))
    return _split(X, labels.reshape(-1, 1).astype(float), 0.3, seed)


def xor_data(seed: int, n: int = 400):
    """Noisy XOR: points around the four corners (±1, ±1); label 1 where the signs differ."""
    rng = rng_for(seed)
    corners = rng.integers(0, 4, n)
    centres = np.array([[-1, -1], [-1, 1], [1, -1], [1, 1]], dtype=float)
    X = centres[corners] + rng.normal(scale=0.35, size=(n, 2))
    y = (centres[corners, 0] * centres[corners, 1] < 0).astype(float).reshape(-1, 1)
    return _split(X, y, 0.3, seed)


def moons_data(seed: int, n: int = 500, noise: float = 0.15):
    """Two interleaving half circles with Gaussian noise (the shape of sklearn's make_moons)."""
    rng = rng_for(seed)
    labels = rng.integers(0, 2, n)
    angle = rng.uniform(0, np.pi, n)
    X = np.where(labels[:, None] == 0, np.column_stack([np.cos(angle), np.sin(angle)]),
                 np.column_stack([1 - np.cos(angle), 0.5 - np.sin(angle)]))
    X = X + rng.normal(scale=noise, size=X.shape)
    return _split(X, labels.reshape(-1, 1).astype(float), 0.3, seed)


@functools.lru_cache(maxsize=1)
def _digits():
    """sklearn's bundled 8x8 digits, scaled to [0, 1]: (X (1797, 64), labels (1797,)).

    Read straight from the data file scikit-learn ships, because importing
    sklearn.datasets costs seconds per grading process; load_digits is the
    fallback where the file is not where it has always been.
    """
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("sklearn")
    locations = list(spec.submodule_search_locations or []) if spec else []
    path = next((Path(p) / "datasets" / "data" / "digits.csv.gz" for p in locations
                 if (Path(p) / "datasets" / "data" / "digits.csv.gz").is_file()), None)
    if path is not None:
        table = np.loadtxt(path, delimiter=",")
        return table[:, :-1] / 16.0, table[:, -1].astype(int)
    from sklearn.datasets import load_digits

    digits = load_digits()
    return digits.data / 16.0, digits.target


def digits_data(seed: int, n_train: int = 1200):
    X, labels = _digits()
    order = rng_for(seed).permutation(len(X))
    one_hot = np.eye(10)[labels]
    return X[order[:n_train]], one_hot[order[:n_train]], X[order[n_train:]], one_hot[order[n_train:]]


def accuracy_of(predictions, y_true) -> float:
    """Accuracy computed here, by trusted code, on labels the student's process never saw."""
    predictions = numbers(predictions, "predict(dataset)")
    y_true = np.asarray(y_true)
    if predictions.shape != y_true.shape:
        fail(f"predict returned an array of shape {predictions.shape}; expected {y_true.shape}")
    if not np.all(np.isfinite(predictions)):
        fail("predict returned nan or inf (the training diverged?)")
    if y_true.shape[1] == 1:
        return float(np.mean((predictions > 0.5) == (y_true > 0.5)))
    return float(np.mean(np.argmax(predictions, axis=1) == np.argmax(y_true, axis=1)))


# -- likely causes of a failed training check ------------------------------------------------------------

def _selftest_calls() -> dict:
    """Small fixed tests of each part a network is built from: {part: [(label, probe, kwargs, verdict)]}."""
    dense = dense_case(101, 3, 2, 4)
    x = activation_case(102, 3, 4)
    network_X = rng_for(103).normal(size=(4, 3))
    steps = optimizer_case(104, (2, 3), 3)
    calls = {
        "DenseLayer": [("forward/backward", "dense_backward", dense, verify_dense_backward)],
        "Dropout": [("forward", "dropout_forward", dict(probability=0.3, x=rng_for(105).uniform(0.5, 1.5, (50, 40))),
                     verify_dropout_forward),
                    ("backward", "dropout_backward", dict(probability=0.3, x=rng_for(106).uniform(0.5, 1.5, (4, 5)),
                                                          output_error=rng_for(107).normal(size=(4, 5))),
                     verify_dropout_backward)],
        "SGD": [("update", "optimizer_steps", dict(name="SGD", settings=sgd(0.1, 0.5), **steps), verify_trajectory)],
        "Adam": [("update", "optimizer_steps", dict(name="Adam", settings=adam(0.1), **steps), verify_trajectory)],
        "NeuralNetwork": [
            ("forward_propagation", "network_forward", dict(X=network_X, training=True), verify_network_forward),
            ("backward_propagation", "network_backward", dict(X=network_X, output_error=rng_for(108).normal(size=(4, 3))),
             verify_network_backward),
            ("get_mini_batches", "mini_batches", dict(n=10, batch_size=4, shuffle=True, with_y=True, calls=2),
             lambda g, w, a: (verify_batches_cover(g, w, a), verify_batch_sizes(g, w, a), verify_batches_shuffled(g, w, a))),
            ("fit", "fit_mechanics", dict(n=12, epochs=3, batch_size=5, learning_rate=0.1, seed_data=fresh_seed(109)),
             lambda g, w, a: (verify_fit_steps(g, w, a), verify_fit_epochs(g, w, a), verify_fit_history(g, w, a))),
            ("predict", "network_predict", dict(X=network_X), verify_network_predict)],
    }
    for name in ("SigmoidActivation", "ReLUActivation", "TanhActivation", "SoftmaxActivation"):
        values = verify_softmax_values if name == "SoftmaxActivation" else verify_activation_values
        calls[name] = [("activation_function", "activation_values", dict(name=name, x=x), values),
                       ("derivative", "activation_derivative", dict(name=name, x=x), verify_activation_derivative)]
        if name == "SoftmaxActivation":
            calls[name].append(("backward_propagation", "activation_backward",
                                dict(name=name, x=x, output_error=rng_for(110).normal(size=x.shape)),
                                verify_softmax_backward))
    for name in REFERENCE_DIVISOR:
        case = loss_case(name, 111, 4, 3)
        calls[name] = [("loss", "loss_value", case, verify_loss_value),
                       ("derivative", "loss_derivative", case, verify_loss_derivative)]
    return calls


def parts_of(task: dict) -> list[str]:
    """The classes a training task's network uses, in the order a student would debug them."""
    parts = []
    for kind, *_ in task["layers"]:
        if kind not in parts:
            parts.append(kind)
    return parts + [task["loss"], task["optimizer"], "NeuralNetwork"]


def selftest(student, reference, parts: list[str]) -> dict:
    """Quick tests of ``parts``, one request per class: {class: [problem, ...]} (empty lists when fine).

    A part is a class (all its quick tests) or ``Class.label`` (that one test,
    e.g. ``NeuralNetwork.backward_propagation``). One request per class keeps
    a class that hangs from hiding what the others' tests found.
    """
    table = _selftest_calls()
    by_class: dict[str, dict] = {}
    for part in parts:
        cls, _, only = part.partition(".")
        for label, probe, kwargs, verdict in table[cls]:
            if not only or label == only:
                by_class.setdefault(cls, {})[label] = (probe, kwargs, verdict)
    problems: dict[str, list[str]] = {}
    for cls, tests in by_class.items():
        calls = {label: [probe, kwargs] for label, (probe, kwargs, _) in tests.items()}
        problems[cls] = found = []
        try:
            mine = student.run("probe_bundle", {"calls": calls}, timeout=10)
        except ProbeFailure as failure:
            found.append(f"its quick tests did not complete: {failure.message}")
            continue
        try:
            theirs = reference.run("probe_bundle", {"calls": calls})
        except LookupError:  # a student bundle older than its checks: judge what needs no reference
            theirs = {}
        for label, (probe, kwargs, verdict) in tests.items():
            answer = mine.get(label, {})
            if "error" in answer:
                found.append(f"{label} raised {answer['error']}")
                continue
            try:
                verdict(answer.get("value"), theirs.get(label, {}).get("value"), kwargs)
            except CheckFailure as failure:
                found.append(f"{label}: {first_line(failure.message)}")
            except Exception:  # noqa: BLE001 - only a verdict short of the reference's (missing) answer may fail
                if theirs:
                    raise
    return problems


def _evidence(problems: dict, checks_so_far) -> dict[str, str]:
    """{part: what its quick tests found, and which of its checks that ran before failed; '' when they pass}.
    (A check of the part that failed on another of its methods is not evidence against it here.)"""
    failed = failed_checks_by_part(checks_so_far or [], problems)
    evidence = {}
    for part, found in problems.items():
        evidence[part] = "; ".join(found[:2])
        if found and failed.get(part):
            evidence[part] += f" (see {describe_failed_checks(failed[part])})"
    return evidence


def likely_causes(problems: dict, uses: str = "trains", error: dict | None = None, checks_so_far=()) -> str:
    """The likely cause of a failed whole-network check: for a crash (``error``: the ProbeFailure's), the part its
    frames point to (:func:`grader.checks.causes.crash_cause`); otherwise the parts whose quick tests failed."""
    evidence = _evidence(problems, checks_so_far)
    header = f"This check {uses} a network built from your {', '.join(problems)}."
    crash = crash_cause(error, evidence, tests="quick tests") if error else ""
    if crash:
        return f"{header}\n{crash}"
    broken = [f"{part}: {found}" for part, found in evidence.items() if found]
    if broken:
        return (f"{header}\nLikely cause — parts whose quick tests fail:" + "\n  - ".join([""] + broken) +
                "\nFix those first (their own checks say more).")
    return (f"{header} Quick tests of those parts found no problem, so look at how NeuralNetwork puts them "
            "together (and, for training, at the learning curve in the report).")


def run_training_check(student, reference, thresholds: dict, artifacts: dict, task: dict, data, threshold_key: str,
                       label: str, checks_so_far=(), seed: int = 0) -> None:
    """Train the student's network on ``data``; the harness alone scores its predictions on held-out labels."""
    X_train, y_train, X_test, y_test = data
    threshold = float(thresholds[threshold_key])
    artifacts["threshold"] = threshold
    problems = selftest(student, reference, parts_of(task))
    kwargs = dict(X_train=X_train, y_train=y_train, X_test=X_test, layers=task["layers"], loss=task["loss"],
                  optimizer=task["optimizer"], settings=task["settings"])
    try:
        answer = student.run("train_and_predict", kwargs, seed=seed)
    except ProbeFailure as failure:
        if failure.kind == "import":   # the message names the file that failed to import: that is the cause
            raise
        cause = likely_causes(problems, error=failure.error, checks_so_far=checks_so_far)
        raise ProbeFailure(failure.kind, f"{failure.message}\n{cause}", failure.error) from None
    losses = [float(v) for v in answer["losses"] or []]
    artifacts["training"] = training_record(f"NeuralNetwork.fit on {label}", losses, threshold)
    try:
        accuracy = accuracy_of(answer["predictions"], y_test)
    except CheckFailure as failure:
        fail(f"{failure.message}\n{likely_causes(problems, checks_so_far=checks_so_far)}")
    artifacts["accuracy"] = artifacts["training"]["final"] = accuracy
    if accuracy < threshold:
        curve = ", ".join(f"{v:.3g}" for v in losses[:: max(1, len(losses) // 8)])
        fail(f"reached {accuracy:.1%} test accuracy on {label}; the check asks for {threshold:.0%}.\n"
             f"loss per epoch: {curve}\n{likely_causes(problems, checks_so_far=checks_so_far)}")
