"""Probes: trusted functions run in the sandbox on the student's notebook (and here on the reference).

``api.forward`` is the function the notebook defined (its last ``def forward``).
Each probe takes plain data and returns plain data. Numeric gradients are
computed here, with central differences, never with the notebook's own helper.
"""
import numpy as np


def _array(value):
    return np.asarray(value)


def _number_if_single(value):
    """A gradient of a one-entry parameter (a bias given as a number or as shape (1,)) as a plain number."""
    value = np.asarray(value)
    return value.reshape(()) if value.size == 1 else value


def _central_difference(f, theta, eps):
    theta = np.array(theta, dtype=float)
    flat_grad = np.empty(theta.size)
    for position in range(theta.size):
        unit = np.eye(1, theta.size, position).reshape(theta.shape) * eps
        flat_grad[position] = (float(f(theta + unit)) - float(f(theta - unit))) / (2 * eps)
    return flat_grad.reshape(theta.shape)


def _single_precision(*values):
    """Whether the student computes in less than double precision (then differences need a larger step)."""
    return any(np.asarray(v).dtype != np.float64 for v in values)


def _numeric_gradients(loss_of, params, single):
    """{name: numeric gradient of loss_of(**params) with respect to that parameter}."""
    eps = 1e-2 if single else 1e-6
    grads = {}
    for name, value in params.items():
        grads[name] = _number_if_single(_central_difference(lambda v: loss_of(**{**params, name: v}), value, eps))
    return grads


# -- section 1: the single-layer binary network ------------------------------------------------------
def logistic(api, t):
    return _array(api.logistic(t))


def forward(api, w, b, x):
    return _array(api.forward(w, b, x))


def accuracy(api, y, q):
    return _array(api.accuracy(y, q))


def loss(api, y, q):
    return _array(api.loss(y, q))


def backward(api, y, q, x):
    w_grad, b_grad = api.backward(y, q, x)
    return {"w": _array(w_grad), "b": _number_if_single(b_grad)}


def _binary_single(api, w, b, x, y):
    q = api.forward(w, b, x)
    return _single_precision(q, api.loss(y, q))


def binary_loss_gradient(api, w, b, x, y):
    """Numeric gradients of loss(y, forward(w, b, x)): the notebook's own loss and forward."""
    return _numeric_gradients(lambda w, b: api.loss(y, api.forward(w, b, x)), {"w": w, "b": b},
                              _binary_single(api, w, b, x, y))


def binary_gradient_check(api, w, b, x, y):
    """The student's own gradient check: backward on their own forward, against their own loss."""
    return {"analytic": backward(api, y, api.forward(w, b, x), x), "numeric": binary_loss_gradient(api, w, b, x, y),
            "single_precision": _binary_single(api, w, b, x, y)}


def numeric_gradient(api, theta, eps):
    weights = np.arange(1, theta.size + 1, dtype=float).reshape(theta.shape)
    given = theta.copy()
    grad = api.numeric_gradient(lambda t: float(np.sum(np.sin(t) * weights) + np.sum(t ** 3)), given, eps)
    return {"gradient": _array(grad), "theta_unchanged": bool(np.array_equal(given, theta))}


def train_logistic(api, X_train, y_train, X_test, epochs, rho):
    (w, b), history = api.train_logistic(X_train, y_train, epochs=epochs, rho=rho)
    return {"q_test": _array(api.forward(w, b, X_test)), "history": np.asarray(history, dtype=float)}


# -- section 2: softmax ----------------------------------------------------------------------------
def softmax(api, t):
    return _array(api.softmax(t))


def softmax_forward(api, W, b, x):
    return _array(api.softmax_forward(W, b, x))


def softmax_loss(api, Y, Q):
    return _array(api.softmax_loss(Y, Q))


def softmax_accuracy(api, Y, Q):
    return _array(api.softmax_accuracy(Y, Q))


def softmax_backward(api, Y, Q, x):
    W_grad, b_grad = api.softmax_backward(Y, Q, x)
    return {"W": _array(W_grad), "b": _array(b_grad)}


def _softmax_single(api, W, b, x, Y):
    Q = api.softmax_forward(W, b, x)
    return _single_precision(Q, api.softmax_loss(Y, Q))


def softmax_loss_gradient(api, W, b, x, Y):
    return _numeric_gradients(lambda W, b: api.softmax_loss(Y, api.softmax_forward(W, b, x)), {"W": W, "b": b},
                              _softmax_single(api, W, b, x, Y))


def softmax_gradient_check(api, W, b, x, Y):
    return {"analytic": softmax_backward(api, Y, api.softmax_forward(W, b, x), x),
            "numeric": softmax_loss_gradient(api, W, b, x, Y), "single_precision": _softmax_single(api, W, b, x, Y)}


def train_softmax(api, X_train, Y_train, X_test, epochs, rho):
    (W, b), history = api.train_softmax(X_train, Y_train, epochs=epochs, rho=rho)
    return {"Q_test": _array(api.softmax_forward(W, b, X_test)), "history": np.asarray(history, dtype=float)}


# -- section 3: two layers -------------------------------------------------------------------------
def two_layer_forward(api, W1, b1, w2, b2, x):
    h, q = api.two_layer_forward(W1, b1, w2, b2, x)
    return {"h": _array(h), "q": _array(q)}


def two_layer_backward(api, y, q, h, x, w2):
    w2_grad, b2_grad, W1_grad, b1_grad = api.two_layer_backward(y, q, h, x, w2)
    return {"w2": _array(w2_grad), "b2": _number_if_single(b2_grad), "W1": _array(W1_grad), "b1": _array(b1_grad)}


def _two_layer_single(api, W1, b1, w2, b2, x, y):
    h, q = api.two_layer_forward(W1, b1, w2, b2, x)
    return _single_precision(h, q, api.loss(y, q))


def two_layer_loss_gradient(api, W1, b1, w2, b2, x, y):
    return _numeric_gradients(lambda W1, b1, w2, b2: api.loss(y, api.two_layer_forward(W1, b1, w2, b2, x)[1]),
                              {"w2": w2, "b2": b2, "W1": W1, "b1": b1}, _two_layer_single(api, W1, b1, w2, b2, x, y))


def two_layer_gradient_check(api, W1, b1, w2, b2, x, y):
    h, q = api.two_layer_forward(W1, b1, w2, b2, x)
    return {"analytic": two_layer_backward(api, y, q, h, x, w2),
            "numeric": two_layer_loss_gradient(api, W1, b1, w2, b2, x, y),
            "single_precision": _two_layer_single(api, W1, b1, w2, b2, x, y)}


def train_two_layer(api, X_train, y_train, X_test, n_h, epochs, rho):
    params, history = api.train_two_layer(X_train, y_train, n_h=n_h, epochs=epochs, rho=rho)
    return {"q_test": _array(api.two_layer_forward(*params, X_test)[1]), "history": np.asarray(history, dtype=float)}
