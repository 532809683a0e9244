"""Probes: small trusted functions run inside the sandbox on the student's code (and here on the reference).

Each public function takes ``api`` (``api.DenseLayer`` is the submission's
class) and plain data, and returns plain data (numbers, arrays, lists, dicts,
strings, booleans). The harness compares what the student's code returned
with the reference's answers, with numeric gradients of the student's own
forward passes, and with held-out labels; nothing here decides a score.

Stand-ins (``RecordingOptimizer``, ``StandInLayer``, ``OffsetLayer``,
``StandInLoss``, ``StandInSGD``) replace a class's dependencies so a check
charges only the class it names: the student's ``DenseLayer`` is tested with
an optimizer that records the gradients it is handed, the student's
``NeuralNetwork`` with layers that record how they are called. They carry no
part of the reference solution.
"""
import copy
import inspect
import math

import numpy as np

# Methods the course's base classes leave unimplemented: a subclass that
# inherits one of these did not define (or misspelled) the method.
_ABSTRACT = {
    "forward_propagation": {"Layer"},
    "backward_propagation": {"Layer"},
    "output_shape": {"Layer"},
    "parameters": {"Layer"},
    "activation_function": {"ActivationLayer"},
    "derivative": {"ActivationLayer", "LossFunction"},
    "loss": {"LossFunction"},
    "update": {"Optimizer"},
}


# -- helpers: clear messages for missing methods and attributes --------------------------------

def _own_names(cls, leaving_out=object):
    """The methods ``cls`` has, leaving out those of ``object`` and of the base class ``leaving_out``."""
    names = set()
    for klass in cls.__mro__:
        if klass is not object and klass is not leaving_out:
            names.update(n for n, v in vars(klass).items() if callable(v) and not n.startswith("__"))
    return ", ".join(sorted(names)) or "nothing"


def _require_method(cls, name):
    """Raise an AttributeError that says what ``cls`` has instead, unless ``cls`` defines ``name`` or inherits an
    implemented one (the class itself, not an instance: an abstract base is never instantiated)."""
    abstract_in = _ABSTRACT.get(name, ())
    for klass in cls.__mro__:
        if name in vars(klass):
            if klass is not cls and klass.__name__ in abstract_in and cls.__name__ not in abstract_in:
                raise AttributeError(f"{cls.__name__} does not define {name}: it inherits {klass.__name__}.{name}, "
                                     f"which is left unimplemented (methods it has: {_own_names(cls, klass)})")
            return
    raise AttributeError(f"{cls.__name__} has no method {name} (methods it has: {_own_names(cls)})")


def _method(obj, name):
    """``obj.name`` as a bound method, or an AttributeError that says what the class has instead.

    The course's own code keeps some of the methods the slides name private
    (``_get_mini_batches``): where ``name`` is missing, ``_name`` serves.
    """
    if not hasattr(type(obj), name) and callable(getattr(type(obj), "_" + name, None)):
        name = "_" + name
    _require_method(type(obj), name)
    return getattr(obj, name)


def _concrete(base, name, methods):
    """A concrete subclass of the student's ``base`` with ``methods``.

    The course's base classes (``Layer``, ``ActivationLayer``, ...) are abstract
    and may be ``abc.ABC``s: the grader never instantiates one, it drives the
    base's own methods through a subclass. An abstract method the probe does
    not call (and the student declared) raises if it is ever called.
    """
    draft = type(name, (base,), dict(methods))
    body = dict(methods)
    for missing in getattr(draft, "__abstractmethods__", ()):
        def unused(self, *args, _name=missing, **kwargs):
            raise NotImplementedError(f"{base.__name__}.{_name} is abstract")
        body[missing] = unused
    return type(name, (base,), body)


def _attribute(obj, name, when):
    try:
        return getattr(obj, name)
    except AttributeError:
        attributes = ", ".join(sorted(k for k in vars(obj) if not k.startswith("__"))) or "none"
        raise AttributeError(f"{type(obj).__name__} has no attribute '{name}' {when} (its attributes: {attributes})") from None


def _array(value):
    """A plain array copy of what student code returned; None, and anything that is not numbers, as it is."""
    if value is None:
        return None
    try:
        array = np.array(value, copy=True)
    except (TypeError, ValueError):  # e.g. a ragged list: the harness says what it got
        return value
    return array if array.dtype.kind in "biufc" else value


def _low_precision(*values):
    return any(getattr(v, "dtype", None) is not None and np.asarray(v).dtype.kind == "f"
               and np.asarray(v).dtype.itemsize < 8 for v in values)


def _same_values(recorded, given):
    """Whether an optimizer was handed ``given`` (up to float32 rounding, for a float32 layer)."""
    return recorded.shape == given.shape and np.allclose(recorded, given, rtol=1e-6, atol=1e-7)


def _scalar(value, what):
    array = np.asarray(value)
    if array.size != 1:
        raise ValueError(f"{what} must be a single number, got an array of shape {array.shape}")
    return float(array.reshape(()))


def _central_differences(function, x, h):
    """d function / d x for a scalar-valued function, entry by entry: (f(x+h) - f(x-h)) / 2h."""
    x = np.array(x, dtype=float)
    gradient = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + h
        plus = function(x.copy())
        x[index] = original - h
        minus = function(x.copy())
        x[index] = original
        gradient[index] = (plus - minus) / (2 * h)
    return gradient


def _elementwise_differences(function, x, h):
    """d function(x)[i] / d x[i] for every entry i: the diagonal of the Jacobian."""
    x = np.array(x, dtype=float)
    derivative = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + h
        plus = np.asarray(function(x.copy()), dtype=float)[index]
        x[index] = original - h
        minus = np.asarray(function(x.copy()), dtype=float)[index]
        x[index] = original
        derivative[index] = (plus - minus) / (2 * h)
    return derivative


# -- stand-ins ---------------------------------------------------------------------------------

class RecordingOptimizer:
    """Stand-in optimizer: records every update it is asked for and returns w - learning_rate * grad.

    The log is a class attribute, so every copy the student's code makes
    (``copy.deepcopy``) writes to the same list; each entry notes which object
    made the update. A gradient whose shape differs from w's is recorded and
    w comes back unchanged, so the probe can still report what was handed over.
    """

    log = []

    def __init__(self, learning_rate=0.0, momentum=0.0, *args, **kwargs):
        self.learning_rate = learning_rate
        self.momentum = momentum

    def update(self, w, grad_loss_w):
        w_array = np.array(w, dtype=float, copy=True)
        grad = _array(grad_loss_w)
        if isinstance(grad, np.ndarray) and grad.shape == w_array.shape:
            returned = w_array - self.learning_rate * grad
        else:
            returned = w_array.copy()
        RecordingOptimizer.log.append({"by": id(self), "w": w_array, "grad": grad, "returned": returned})
        return returned.copy()


class StandInSGD:
    """Stand-in optimizer for network checks: plain gradient descent."""

    def __init__(self, learning_rate=0.01, momentum=0.0, *args, **kwargs):
        self.learning_rate = learning_rate

    def update(self, w, grad_loss_w):
        return w - self.learning_rate * np.asarray(grad_loss_w)


class StandInLayer:
    """Stand-in layer: forward ``input * scale + shift``, backward ``error * scale + tag``.

    The extra ``tag`` makes the result depend on the order the layers are
    visited in (plain scalings would commute). Every call is appended to ``log``.
    """

    def __init__(self, name, log, scale, shift, tag, input_shape=None, output_shape=None):
        self.name, self.log = name, log
        self.scale, self.shift, self.tag = scale, shift, tag
        self._input_shape = input_shape
        self._output_shape = output_shape

    def set_input_shape(self, shape=None, input_shape=None):  # the course names it shape; some code input_shape
        shape = input_shape if shape is None else shape
        self.log.append(["set_input_shape", self.name, list(shape)])
        self._input_shape = shape

    def input_shape(self):
        return self._input_shape

    def output_shape(self):
        return self._output_shape if self._output_shape is not None else self._input_shape

    def initialize(self, optimizer):
        self.log.append(["initialize", self.name, type(optimizer).__name__,
                         float(getattr(optimizer, "learning_rate", float("nan")))])
        return self

    def parameters(self):
        return 0

    def layer_name(self):
        return self.name

    def forward_propagation(self, input, training):
        self.log.append(["forward", self.name, bool(training), _array(input)])
        return np.asarray(input, dtype=float) * self.scale + self.shift

    def backward_propagation(self, output_error):
        self.log.append(["backward", self.name, _array(output_error)])
        return np.asarray(output_error, dtype=float) * self.scale + self.tag


class OffsetLayer:
    """Stand-in layer that learns one number: output = input[:, 1:2] + offset.

    Column 0 of the input is each example's id (ignored by the output); the
    layer logs the ids of every batch it sees, so a probe can tell which
    examples each mini-batch held.
    """

    def __init__(self, events):
        self.events = events
        self.offset = np.zeros((1, 1))
        self.optimizer = None
        self.input = None
        self._input_shape = (2,)

    def set_input_shape(self, shape=None, input_shape=None):
        self._input_shape = input_shape if shape is None else shape

    def input_shape(self):
        return self._input_shape

    def output_shape(self):
        return (1,)

    def initialize(self, optimizer):
        self.optimizer = copy.deepcopy(optimizer)
        return self

    def parameters(self):
        return 1

    def layer_name(self):
        return "OffsetLayer"

    def forward_propagation(self, input, training):
        self.input = np.asarray(input, dtype=float)
        output = self.input[:, 1:2] + self.offset
        self.events.append({"event": "forward", "ids": [int(round(i)) for i in self.input[:, 0]],
                            "training": bool(training), "output": output})
        return output

    def backward_propagation(self, output_error):
        self.events.append({"event": "backward", "error": output_error})
        error = np.asarray(output_error, dtype=float)
        if error.ndim == 2 and error.shape[1] == 1 and self.optimizer is not None:
            self.offset = self.optimizer.update(self.offset, error.sum(axis=0, keepdims=True))
        return np.concatenate([np.zeros_like(error), error], axis=1) if error.ndim == 2 else error


class StandInLoss:
    """Stand-in loss for network checks: mean squared error; logs every derivative it returns."""

    events = None  # set by the probe before the network is built

    def loss(self, y_true, y_pred):
        return float(np.mean((np.asarray(y_true, dtype=float) - np.asarray(y_pred, dtype=float)) ** 2))

    def derivative(self, y_true, y_pred):
        y_true, y_pred = np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)
        derivative = 2 * (y_pred - y_true) / y_true.size
        StandInLoss.events.append({"event": "derivative", "y_true": y_true.copy(), "y_pred": y_pred.copy(),
                                   "returned": derivative})
        return derivative


class _Data:
    """Stand-in dataset: the attributes and methods of the course's Dataset."""

    def __init__(self, X, y=None):
        self.X = np.asarray(X)
        self.y = None if y is None else np.asarray(y)
        self.features = [f"feat_{i}" for i in range(self.X.shape[1])]
        self.label = "y"

    def shape(self):
        return self.X.shape

    def has_label(self):
        return self.y is not None

    def get_classes(self):
        return np.unique(self.y)


def _standin_metric(y_true, y_pred):
    """A metric whose value shows the order of its arguments: sum(y_true) * 3 - sum(y_pred)."""
    return float(np.sum(y_true) * 3 - np.sum(y_pred))


def _other_metric(y_true, y_pred):
    return float(np.sum(y_true) + 10 * np.sum(y_pred))


def _network(api, **settings):
    arguments = dict(epochs=1, batch_size=4, optimizer=RecordingOptimizer, learning_rate=0.25, momentum=0.0,
                     verbose=False, loss=StandInLoss, metric=_standin_metric)
    arguments.update(settings)
    return api.NeuralNetwork(**arguments)


def _three_stand_ins(log, width):
    return [StandInLayer("A", log, 2.0, 1.0, 0.5, input_shape=(width,)),
            StandInLayer("B", log, -1.5, 0.25, -2.0),
            StandInLayer("C", log, 0.5, -3.0, 4.0)]


def _history_losses(history, epochs):
    """The per-epoch losses of ``history``, whatever reasonable form it has (a dict or list of entries)."""
    if isinstance(history, dict):
        keys = list(history.keys())
        if keys and all(isinstance(k, str) for k in keys) and ("loss" in history or "losses" in history):
            entries = list(history.get("loss", history.get("losses")))
        else:
            entries = [history[k] for k in sorted(keys)]
    elif isinstance(history, (list, tuple)):
        entries = list(history)
    else:
        raise TypeError(f"history should hold one entry per epoch (e.g. history[epoch] = "
                        f"{{'loss': ..., 'metric': ...}}), got {type(history).__name__}")
    losses = []
    for entry in entries:
        if isinstance(entry, dict):
            if "loss" not in entry:
                raise KeyError(f"a history entry has no 'loss' (keys: {', '.join(map(str, entry))})")
            entry = entry["loss"]
        elif isinstance(entry, (list, tuple)) and entry:
            entry = entry[0]
        losses.append(_scalar(entry, "each epoch's loss in history"))
    return losses


# -- Layer, DenseLayer ---------------------------------------------------------------------------

def layer_base(api, shape):
    """The student's Layer base, through a subclass that implements only what the course leaves abstract."""
    for name in ("set_input_shape", "input_shape", "layer_name"):
        _require_method(api.Layer, name)
    probe_layer = _concrete(api.Layer, "ProbeLayer", {
        "forward_propagation": lambda self, input, training: input,
        "backward_propagation": lambda self, output_error: output_error,
        "output_shape": lambda self: self.input_shape(),
        "parameters": lambda self: 0})
    layer = probe_layer()
    layer.set_input_shape(tuple(shape))
    return {"input_shape": list(_method(layer, "input_shape")()),
            "layer_name": _method(layer, "layer_name")(),
            "dense_name": _method(api.DenseLayer(3, input_shape=None), "layer_name")()}


def dense_initialize(api, n_in, n_units, via_set_input_shape):
    """Create and initialize a layer; its parameters' shapes, counts and the value initialize returns."""
    if via_set_input_shape:
        layer = api.DenseLayer(n_units, input_shape=None)  # given later, by set_input_shape
        _method(layer, "set_input_shape")((n_in,))
    else:
        layer = api.DenseLayer(n_units, input_shape=(n_in,))
    returned = _method(layer, "initialize")(RecordingOptimizer(0.1))
    return {"returns_self": returned is layer,
            "weights": _array(_attribute(layer, "weights", "after initialize")),
            "biases": _array(_attribute(layer, "biases", "after initialize")),
            "parameters": _method(layer, "parameters")(),
            "output_shape": list(_method(layer, "output_shape")())}


def _dense_with(api, weights, biases, learning_rate):
    layer = api.DenseLayer(weights.shape[1], input_shape=(weights.shape[0],))
    optimizer = RecordingOptimizer(learning_rate)
    _method(layer, "initialize")(optimizer)
    _attribute(layer, "weights", "after initialize")
    layer.weights, layer.biases = weights.copy(), biases.copy()
    return layer, optimizer


def dense_forward(api, weights, biases, x):
    layer, _ = _dense_with(api, weights, biases, 0.0)
    return _array(_method(layer, "forward_propagation")(x.copy(), True))


def dense_backward(api, weights, biases, x, output_error, learning_rate):
    """One forward and backward pass of a layer with the given parameters and a recording optimizer."""
    RecordingOptimizer.log = []
    layer, optimizer = _dense_with(api, weights, biases, learning_rate)
    output = _method(layer, "forward_propagation")(x.copy(), True)
    input_error = _method(layer, "backward_propagation")(output_error.copy())
    updates = RecordingOptimizer.log
    by_weights = [u for u in updates if _same_values(u["w"], weights)]
    by_biases = [u for u in updates if _same_values(u["w"], biases)]
    weight_update = by_weights[0] if by_weights else None
    bias_update = by_biases[0] if by_biases else None
    makers = [u["by"] for u in updates]
    return {
        "output": _array(output),
        "input_error": _array(input_error),
        "updates": len(updates),
        "weight_grad": weight_update["grad"] if weight_update else None,
        "bias_grad": bias_update["grad"] if bias_update else None,
        "weights_returned": weight_update["returned"] if weight_update else None,
        "biases_returned": bias_update["returned"] if bias_update else None,
        "weights_after": _array(getattr(layer, "weights", None)),
        "biases_after": _array(getattr(layer, "biases", None)),
        "separate_optimizers": bool(weight_update and bias_update and weight_update["by"] != bias_update["by"]),
        "optimizer_passed_in_used": id(optimizer) in makers,
    }


def dense_numeric(api, weights, biases, x, output_error):
    """Analytic gradients of E = sum(output_error * forward) and central differences of the same forward."""
    layer, _ = _dense_with(api, weights, biases, 0.0)
    forward = _method(layer, "forward_propagation")
    low = _low_precision(forward(x.copy(), True))
    h = 1e-2 if low else 1e-5

    def energy_x(xx):
        return float(np.sum(output_error * np.asarray(forward(xx, True), dtype=float)))

    def energy_w(ww):
        layer.weights = ww
        return float(np.sum(output_error * np.asarray(forward(x.copy(), True), dtype=float)))

    def energy_b(bb):
        layer.biases = bb
        return float(np.sum(output_error * np.asarray(forward(x.copy(), True), dtype=float)))

    numeric = {"input": _central_differences(energy_x, x, h)}
    numeric["weights"] = _central_differences(energy_w, weights, h)
    layer.weights = weights.copy()
    numeric["biases"] = _central_differences(energy_b, biases, h)
    layer.biases = biases.copy()
    answer = dense_backward(api, weights, biases, x, output_error, 0.0)
    return {"analytic": {"input": answer["input_error"], "weights": answer["weight_grad"],
                         "biases": answer["bias_grad"]},
            "numeric": numeric, "low_precision": bool(low)}


# -- Dropout ---------------------------------------------------------------------------------------

def dropout_forward(api, probability, x):
    layer = api.Dropout(probability)
    return _array(_method(layer, "forward_propagation")(x.copy(), True))


def dropout_inference(api, probability, x):
    layer = api.Dropout(probability)
    return _array(_method(layer, "forward_propagation")(x.copy(), False))


def dropout_backward(api, probability, x, output_error):
    layer = api.Dropout(probability)
    output = _method(layer, "forward_propagation")(x.copy(), True)
    input_error = _method(layer, "backward_propagation")(output_error.copy())
    return {"output": _array(output), "input_error": _array(input_error)}


def dropout_shapes(api, probability, width):
    layer = api.Dropout(probability)
    _method(layer, "set_input_shape")((width,))
    return {"output_shape": list(_method(layer, "output_shape")()), "parameters": _method(layer, "parameters")()}


# -- activations ----------------------------------------------------------------------------------

def activation_values(api, name, x):
    return _array(_method(getattr(api, name)(), "activation_function")(x.copy()))


def activation_derivative(api, name, x):
    """The student's derivative and the numeric one of the student's own activation_function."""
    layer = getattr(api, name)()
    function = _method(layer, "activation_function")
    analytic = _array(_method(layer, "derivative")(x.copy()))
    low = _low_precision(function(x.copy()), analytic)
    h = 3e-3 if low else 1e-6
    numeric_diagonal = _elementwise_differences(function, x, h)
    result = {"analytic": analytic, "numeric": numeric_diagonal, "low_precision": bool(low)}
    if np.ndim(analytic) == 3:  # a full Jacobian per row (softmax): compare with the numeric one
        jacobian = np.zeros((x.shape[0], x.shape[1], x.shape[1]))
        for j in range(x.shape[1]):
            step = np.zeros_like(x)
            step[:, j] = h
            jacobian[:, :, j] = (np.asarray(function(x + step), float) - np.asarray(function(x - step), float)) / (2 * h)
        result["numeric_jacobian"] = jacobian
    return result


def activation_at_zero(api, name, width):
    return _array(_method(getattr(api, name)(), "derivative")(np.zeros((2, width))))


def activation_layer(api, x, output_error):
    """The student's ActivationLayer base, driven through a stand-in subclass f(x) = x**3, f'(x) = 3x**2."""

    for name in ("forward_propagation", "backward_propagation"):  # named after the student's class if missing
        _require_method(api.ActivationLayer, name)
    cube = _concrete(api.ActivationLayer, "Cube", {
        "activation_function": lambda self, input: np.asarray(input, dtype=float) ** 3,
        "derivative": lambda self, input: 3 * np.asarray(input, dtype=float) ** 2})
    layer = cube()
    output = _method(layer, "forward_propagation")(x.copy(), True)
    input_error = _method(layer, "backward_propagation")(output_error.copy())
    layer.set_input_shape((x.shape[1],))
    return {"output": _array(output), "input_error": _array(input_error),
            "output_shape": list(_method(layer, "output_shape")()), "parameters": _method(layer, "parameters")()}


def activation_backward(api, name, x, output_error):
    """A full forward/backward through an activation layer, with the numeric vector-Jacobian product
    of its own activation_function (what a full-Jacobian backward gives) and the diagonal one."""
    layer = getattr(api, name)()
    function = _method(layer, "activation_function")
    output = _method(layer, "forward_propagation")(x.copy(), True)
    input_error = _array(_method(layer, "backward_propagation")(output_error.copy()))
    low = _low_precision(output, input_error)
    h = 3e-3 if low else 1e-6
    full = _central_differences(lambda xx: float(np.sum(output_error * np.asarray(function(xx), dtype=float))), x, h)
    diagonal = output_error * _elementwise_differences(function, x, h)
    return {"output": _array(output), "input_error": input_error, "numeric_full": full,
            "numeric_diagonal": diagonal, "low_precision": bool(low)}


# -- losses ----------------------------------------------------------------------------------------

def loss_value(api, name, y_true, y_pred):
    value = _method(getattr(api, name)(), "loss")(y_true.copy(), y_pred.copy())
    return _array(value) if isinstance(value, np.ndarray) else value


def loss_derivative(api, name, y_true, y_pred):
    """The student's derivative and central differences of the student's own loss."""
    loss = getattr(api, name)()
    loss_function = _method(loss, "loss")
    analytic = _array(_method(loss, "derivative")(y_true.copy(), y_pred.copy()))
    low = _low_precision(analytic, loss_function(y_true.copy(), y_pred.copy()))
    h = 1e-3 if low else 1e-6
    numeric = _central_differences(lambda p: _scalar(loss_function(y_true.copy(), p), "loss"), y_pred, h)
    return {"analytic": analytic, "numeric": numeric, "low_precision": bool(low)}


def loss_extremes(api, name, y_true, y_pred):
    loss = getattr(api, name)()
    value = _method(loss, "loss")(y_true.copy(), y_pred.copy())
    derivative = _method(loss, "derivative")(y_true.copy(), y_pred.copy())
    return {"loss": float(np.asarray(value, dtype=float).sum()), "derivative": _array(derivative)}


# -- optimizers ------------------------------------------------------------------------------------

#: Every constructor argument of the optimizers, by the course's names: the checks give them all, so a
#: student's defaults (or their absence) are never graded.
OPTIMIZER_ARGUMENTS = {"SGD": ("learning_rate", "momentum"), "Adam": ("learning_rate", "beta_1", "beta_2", "epsilon")}


def _optimizer(api, name, settings):
    missing = [a for a in OPTIMIZER_ARGUMENTS[name] if a not in settings]
    if missing:  # a check's own mistake: it must not lean on the student's defaults
        raise LookupError(f"the check gives {name} no {', '.join(missing)}")
    return getattr(api, name)(**{a: settings[a] for a in OPTIMIZER_ARGUMENTS[name]})


def _configured_optimizer(api, name, settings):
    """The student's optimizer class, built with every argument of ``settings`` however the network calls it.

    The course's NeuralNetwork builds its optimizer as ``optimizer(learning_rate=..., momentum=...)``; an
    Adam need not accept a momentum. The network's own use of learning_rate is checked with stand-ins.
    """
    base = getattr(api, name)

    def __init__(self, *args, **kwargs):
        base.__init__(self, **{a: settings[a] for a in OPTIMIZER_ARGUMENTS[name]})

    return type(base.__name__, (base,), {"__init__": __init__})


def optimizer_steps(api, name, settings, w0, grads):
    """The weights after each update, each update given fresh copies (in-place updates are allowed)."""
    optimizer = _optimizer(api, name, settings)
    update = _method(optimizer, "update")
    w = w0.copy()
    trajectory = []
    for grad in grads:
        returned = update(w.copy(), grad.copy())
        if returned is None:
            raise ValueError(f"{name}.update returned None: it must return the updated array")
        w = np.array(returned, dtype=float)
        trajectory.append(_array(returned))
    return trajectory


def optimizer_interleaved(api, name, settings, first, second):
    """Two optimizer objects updated in turn: each must follow its own trajectory (its own state)."""
    optimizers = [_optimizer(api, name, settings), _optimizer(api, name, settings)]
    cases = [first, second]
    weights = [case["w0"].copy() for case in cases]
    trajectories = [[], []]
    for step in range(len(first["grads"])):
        for which in (0, 1):
            returned = _method(optimizers[which], "update")(weights[which].copy(), cases[which]["grads"][step].copy())
            if returned is None:
                raise ValueError(f"{name}.update returned None: it must return the updated array")
            weights[which] = np.array(returned, dtype=float)
            trajectories[which].append(_array(returned))
    return trajectories


# -- NeuralNetwork ---------------------------------------------------------------------------------

def network_add(api, width):
    log = []
    layers = [StandInLayer("A", log, 1.0, 0.0, 0.0, input_shape=(width,), output_shape=(5,)),
              StandInLayer("B", log, 1.0, 0.0, 0.0, output_shape=(4,)),
              StandInLayer("C", log, 1.0, 0.0, 0.0, output_shape=(2,))]
    network = _network(api, learning_rate=0.25)
    returns_self = [_method(network, "add")(layer) is network for layer in layers]
    return {"log": log, "returns_self": all(returns_self)}


def network_forward(api, X, training):
    log = []
    network = _network(api)
    for layer in _three_stand_ins(log, X.shape[1]):
        network.add(layer)
    del log[:]
    output = _method(network, "forward_propagation")(X.copy(), training)
    return {"output": _array(output), "log": log}


def network_backward(api, X, output_error):
    log = []
    network = _network(api)
    for layer in _three_stand_ins(log, X.shape[1]):
        network.add(layer)
    _method(network, "forward_propagation")(X.copy(), True)
    del log[:]
    returned = _method(network, "backward_propagation")(output_error.copy())
    return {"log": log, "returned": _array(returned)}


def mini_batches(api, n, batch_size, shuffle, with_y, calls):
    """The ids of the examples in each batch, for ``calls`` successive calls on one network.

    X[:, 0] holds each example's id and y = 10 * id + 7, so the harness can
    tell which examples a batch holds and whether X and y rows stayed paired.
    """
    network = _network(api, batch_size=batch_size)
    X = np.column_stack([np.arange(n, dtype=float), np.linspace(-1, 1, n)])
    y = (10 * np.arange(n, dtype=float) + 7).reshape(-1, 1)
    generator = _method(network, "get_mini_batches")
    answers = []
    for _ in range(calls):
        # Positional, in the course's order (X, y, shuffle): y=None is given, not left to a default.
        batches = generator(X.copy(), y.copy() if with_y else None, shuffle)
        epoch = []
        for batch in batches:
            if with_y or isinstance(batch, tuple):
                X_batch, y_batch = batch
            else:
                X_batch, y_batch = batch, None
            X_batch = np.asarray(X_batch, dtype=float)
            epoch.append({"x_ids": [int(round(v)) for v in X_batch[:, 0]],
                          "y_ids": None if y_batch is None else
                          [int(round((v - 7) / 10)) for v in np.asarray(y_batch, dtype=float).ravel()]})
        answers.append(epoch)
    return answers


def fit_mechanics(api, n, epochs, batch_size, learning_rate, seed_data):
    """Fit a network of one OffsetLayer with a stand-in loss and optimizer; what each call saw.

    The data: X[:, 0] = id, X[:, 1] = a feature, y = feature + 3, so the
    stand-in layer should learn an offset of 3.
    """
    rng = np.random.default_rng(seed_data)
    feature = rng.uniform(-1, 1, n)
    X = np.column_stack([np.arange(n, dtype=float), feature])
    y = (feature + 3.0).reshape(-1, 1)
    events = []
    StandInLoss.events = events
    network = _network(api, epochs=epochs, batch_size=batch_size, optimizer=StandInSGD, learning_rate=learning_rate,
                       loss=StandInLoss)
    layer = OffsetLayer(events)
    network.add(layer)
    returned = _method(network, "fit")(_Data(X, y))
    summary = []
    last_forward = last_derivative = None
    for event in events:
        if event["event"] == "forward":
            last_forward = event
            summary.append(["forward", event["ids"], event["training"]])
        elif event["event"] == "derivative":
            # atol: a float32 submission rounds y = feature + 3 by up to ~2e-7; another example's label is far off
            paired = (last_forward is not None and event["y_true"].shape == (len(last_forward["ids"]), 1)
                      and np.allclose(event["y_true"].ravel() - 3.0, feature[last_forward["ids"]], atol=1e-5))
            of_output = last_forward is not None and event["y_pred"].shape == last_forward["output"].shape and \
                np.allclose(event["y_pred"], last_forward["output"])
            last_derivative = event
            summary.append(["derivative", bool(paired), bool(of_output)])
        else:
            error = event["error"]
            if isinstance(error, np.ndarray) or isinstance(error, np.generic):
                error = np.asarray(error)
            is_derivative = (last_derivative is not None and isinstance(error, np.ndarray)
                             and error.shape == last_derivative["returned"].shape
                             and np.allclose(error, last_derivative["returned"]))
            kind = "array" if isinstance(error, np.ndarray) and error.ndim > 0 else type(error).__name__
            summary.append(["backward", bool(is_derivative), kind])
    history = _attribute(network, "history", "after fit")
    try:
        losses = _history_losses(history, epochs)
        history_problem = None
    except (TypeError, KeyError, ValueError) as exc:
        losses, history_problem = None, str(exc)
    return {"events": summary, "returns_self": returned is network, "losses": losses,
            "history_problem": history_problem, "offset": float(np.asarray(layer.offset).ravel()[0])}


def _fitted_network(api, X, log):
    """A network of three stand-in layers (which learn nothing), fitted once: the course's model refuses to
    predict before fit. A fit that fails is charged by fit's own checks; predict may still work."""
    network = _network(api, epochs=1, batch_size=len(X))
    for layer in _three_stand_ins(log, X.shape[1]):
        network.add(layer)
    StandInLoss.events = []
    try:
        _method(network, "fit")(_Data(X, np.zeros(X.shape)))
    except Exception:  # noqa: BLE001 - the student's fit, charged elsewhere
        pass
    del log[:]
    return network


def network_predict(api, X):
    log = []
    network = _fitted_network(api, X, log)
    output = _method(network, "predict")(_Data(X))
    return {"output": _array(output), "training_flags": [entry[2] for entry in log if entry[0] == "forward"]}


def network_score(api, X, y):
    network = _fitted_network(api, X, [])
    data = _Data(X, y)
    score = _method(network, "score")
    # The seed's score takes the dataset alone; a second argument, where there is one, is the scoring function.
    given = score(data, _other_metric) if _second_argument(score) else None
    return {"default": _array(score(data)), "given": _array(given)}


def _second_argument(method) -> bool:
    """Whether a bound method takes a second positional argument (``score(dataset, scoring_func)``)."""
    try:
        parameters = list(inspect.signature(method).parameters.values())
    except (TypeError, ValueError):
        return True
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)]
    return len(positional) >= 2 or any(p.kind is p.VAR_POSITIONAL for p in positional)


def network_gradient(api, weights_1, biases_1, weights_2, biases_2, X, y):
    """Whole network Dense-Tanh-Dense-Sigmoid with the student's layers and MeanSquaredError:
    the first layer's weight gradient its optimizer receives, and central differences of the loss."""
    RecordingOptimizer.log = []
    network = _network(api, optimizer=RecordingOptimizer, learning_rate=0.0, loss=api.MeanSquaredError)
    first = api.DenseLayer(weights_1.shape[1], input_shape=(weights_1.shape[0],))
    second = api.DenseLayer(weights_2.shape[1], input_shape=None)
    for layer in (first, api.TanhActivation(), second, api.SigmoidActivation()):
        _method(network, "add")(layer)
    first.weights, first.biases = weights_1.copy(), biases_1.copy()
    second.weights, second.biases = weights_2.copy(), biases_2.copy()
    loss = api.MeanSquaredError()
    forward = _method(network, "forward_propagation")
    output = forward(X.copy(), True)
    low = _low_precision(output)
    RecordingOptimizer.log = []
    _method(network, "backward_propagation")(_method(loss, "derivative")(y.copy(), output))
    received = [u["grad"] for u in RecordingOptimizer.log if _same_values(u["w"], weights_1)]

    def loss_at(w):
        first.weights = w
        return _scalar(loss.loss(y.copy(), forward(X.copy(), False)), "loss")

    numeric = _central_differences(loss_at, weights_1, 1e-2 if low else 1e-6)
    return {"analytic": received[0] if received else None, "numeric": numeric, "low_precision": bool(low)}


# -- training --------------------------------------------------------------------------------------

# How each loss adds up its terms in the reference (the course's form): the
# loss value is their sum divided by the number of elements, of rows, or 1.
_REFERENCE_FORM = {"MeanSquaredError": "size", "BinaryCrossEntropy": "size", "CategoricalCrossEntropy": "rows"}


def _loss_terms(name, y_true, y_pred):
    if name == "MeanSquaredError":
        return (y_true - y_pred) ** 2
    if name == "BinaryCrossEntropy":
        return -(y_true * np.log(y_pred) + (1 - y_true) * np.log(1 - y_pred))
    return -y_true * np.log(y_pred)


def _loss_form(loss, name, n_outputs):
    """Which documented form the student's loss has: "one" (a sum), "rows" or "size" (a mean), or None."""
    rows = 16
    rng = np.random.default_rng(5)
    if name == "CategoricalCrossEntropy":
        y_pred = rng.uniform(0.1, 1.0, (rows, n_outputs))
        y_pred /= y_pred.sum(axis=1, keepdims=True)
        y_true = np.eye(n_outputs)[rng.integers(0, n_outputs, rows)]
    else:
        y_pred = rng.uniform(0.1, 0.9, (rows, n_outputs))
        y_true = rng.integers(0, 2, (rows, n_outputs)).astype(float)
    total = float(np.sum(_loss_terms(name, y_true, y_pred)))
    try:
        value = _scalar(loss.loss(y_true, y_pred), "loss")
    except Exception:  # a broken loss shows in its own checks
        return None
    divisors = {"one": 1.0, "rows": float(rows), "size": float(rows * n_outputs)}
    for form, divisor in sorted(divisors.items(), key=lambda item: item[1]):
        if math.isclose(value, total / divisor, rel_tol=1e-3):
            return form
    return None


def _sgd_step_scale(loss, name, batch_size, n_outputs):
    """The factor that gives SGD the course's steps whichever documented form the loss has.

    A loss returned as a sum has a gradient N times that of the mean (both are
    accepted); SGD's step grows with the gradient, so its learning rate is
    divided by that N. Adam's steps do not depend on the gradient's scale.
    """
    form = _loss_form(loss, name, n_outputs)
    if form is None:
        return 1.0
    divisors = {"one": 1.0, "rows": float(batch_size), "size": float(batch_size * n_outputs)}
    return divisors[form] / divisors[_REFERENCE_FORM[name]]


def train_and_predict(api, X_train, y_train, X_test, layers, loss, optimizer, settings):
    """Build the student's network from ``layers``, fit it, and return its predictions on X_test.

    ``layers``: [["DenseLayer", n_units], ["ReLUActivation"], ["Dropout", p], ...];
    the first DenseLayer gets the input shape. The test labels never come here.
    """
    settings = dict(settings)
    if optimizer == "SGD":
        settings["learning_rate"] *= _sgd_step_scale(getattr(api, loss)(), loss, settings["batch_size"],
                                                     y_train.shape[1])
    network_settings = {k: settings[k] for k in ("epochs", "batch_size", "learning_rate", "momentum")}
    network = api.NeuralNetwork(optimizer=_configured_optimizer(api, optimizer, settings), loss=getattr(api, loss),
                                metric=_standin_metric, verbose=False, **network_settings)
    for index, (kind, *arguments) in enumerate(layers):
        if kind == "DenseLayer":  # every argument given: the first layer's input shape, None for the others
            layer = api.DenseLayer(arguments[0], input_shape=(X_train.shape[1],) if index == 0 else None)
        else:
            layer = getattr(api, kind)(*arguments)
        _method(network, "add")(layer)
    _method(network, "fit")(api.Dataset(X_train, y_train))
    # Placeholder labels: a course Dataset may require y; the true test labels never leave the harness.
    predictions = _method(network, "predict")(api.Dataset(X_test, np.zeros((len(X_test), y_train.shape[1]))))
    try:  # the learning curve is for the report; a history in another form is charged by its own check
        losses = _history_losses(network.history, settings["epochs"])
    except (AttributeError, TypeError, KeyError, ValueError):
        losses = None
    return {"predictions": _array(predictions), "losses": losses, "learning_rate": float(settings["learning_rate"])}


# -- Dataset and metrics ---------------------------------------------------------------------------

def dataset_basics(api, X, y, features, label):
    """A labelled Dataset (every argument given), and one built with y=None where the student's Dataset
    allows it (a course Dataset may require labels: then ``unlabeled_has_label`` is None)."""
    data = api.Dataset(X.copy(), y.copy(), features=list(features), label=label)
    try:
        unlabeled = api.Dataset(X.copy(), None, features=list(features), label=label)
    except Exception:  # noqa: BLE001 - a Dataset that requires labels is the course's choice
        unlabeled_has_label = None
    else:
        unlabeled_has_label = bool(_method(unlabeled, "has_label")())
    return {"X": _array(data.X), "y": _array(data.y), "shape": list(_method(data, "shape")()),
            "has_label": bool(_method(data, "has_label")()), "unlabeled_has_label": unlabeled_has_label,
            "classes": _array(_method(data, "get_classes")()), "features": list(data.features),
            "label": _attribute(data, "label", "after Dataset(X, y, features=..., label=...)")}


def metric_value(api, name, y_true, y_pred):
    value = getattr(api, name)(y_true.copy(), y_pred.copy())
    return _array(value) if isinstance(value, np.ndarray) else value


# -- several probes in one request -----------------------------------------------------------------

def probe_bundle(api, calls):
    """Run several probes in one request: {key: {"value": answer} or {"error": message}}.

    Used by the training checks to test the parts a network is built from, so a
    failed training check can say which part is the likely cause.
    """
    probes = globals()
    answers = {}
    for key, (name, kwargs) in calls.items():
        np.random.seed(0)
        try:
            answers[key] = {"value": probes[name](api, **kwargs)}
        except ImportError as exc:  # a file that failed to import says why in its message
            answers[key] = {"error": str(exc)[:300]}
        except Exception as exc:  # the student's error is the answer
            answers[key] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
    return answers
