"""Dave's numpy neural network - everything in one file (it was easier to debug)."""
import copy
import inspect

import numpy as np


# ----------------------------------------------------------------- layers
class Layer:
    def __init__(self):
        self._input_shape = None

    def forward_propagation(self, input, training):
        raise NotImplementedError

    def backward_propagation(self, output_error):
        raise NotImplementedError

    def output_shape(self):
        raise NotImplementedError

    def parameters(self):
        raise NotImplementedError

    def set_input_shape(self, input_shape):
        self._input_shape = input_shape

    def input_shape(self):
        return self._input_shape

    def layer_name(self):
        return type(self).__name__


class DenseLayer(Layer):
    def __init__(self, n_units, input_shape=None):
        super().__init__()
        self.n_units = n_units
        self._input_shape = input_shape
        self.input = self.output = self.weights = self.biases = None

    def initialize(self, optimizer):
        n_in = self.input_shape()[0]
        limit = np.sqrt(6.0 / (n_in + self.n_units))          # Xavier / Glorot uniform
        self.weights = np.random.uniform(-limit, limit, size=(n_in, self.n_units))
        self.biases = np.zeros((1, self.n_units))
        self.w_opt, self.b_opt = copy.deepcopy(optimizer), copy.deepcopy(optimizer)
        return self

    def parameters(self):
        n_in, n_out = self.weights.shape
        return n_in * n_out + n_out

    def forward_propagation(self, input, training):
        self.input = input
        self.output = np.matmul(input, self.weights) + self.biases
        return self.output

    def backward_propagation(self, output_error):
        old_weights = self.weights
        grad_w = np.matmul(self.input.T, output_error)
        grad_b = output_error.sum(axis=0).reshape(1, -1)
        self.weights = self.w_opt.update(self.weights, grad_w)
        self.biases = self.b_opt.update(self.biases, grad_b)
        return np.matmul(output_error, old_weights.T)

    def output_shape(self):
        return (self.n_units,)


class Dropout(Layer):
    def __init__(self, probability):
        super().__init__()
        self.probability = probability
        self.mask = None

    def forward_propagation(self, input, training):
        if training:
            self.mask = np.random.binomial(1, 1 - self.probability, size=input.shape) / (1 - self.probability)
            return input * self.mask
        return input

    def backward_propagation(self, output_error):
        return output_error * self.mask          # mask already holds the 1/(1-p)

    def output_shape(self):
        return self.input_shape()

    def parameters(self):
        return 0


# ----------------------------------------------------------------- activations
class ActivationLayer(Layer):
    def forward_propagation(self, input, training):
        self.input = input
        return self.activation_function(input)

    def backward_propagation(self, output_error):
        return self.derivative(self.input) * output_error

    def activation_function(self, input):
        raise NotImplementedError

    def derivative(self, input):
        raise NotImplementedError

    def output_shape(self):
        return self.input_shape()

    def parameters(self):
        return 0


class SigmoidActivation(ActivationLayer):
    def activation_function(self, input):
        return 0.5 * (1 + np.tanh(0.5 * input))      # same as 1/(1+exp(-x)), never overflows

    def derivative(self, input):
        s = self.activation_function(input)
        return s - s ** 2


class ReLUActivation(ActivationLayer):
    def activation_function(self, input):
        return input * (input > 0)

    def derivative(self, input):
        return np.where(input > 0, 1.0, 0.0)


class TanhActivation(ActivationLayer):
    def activation_function(self, input):
        return np.tanh(input)

    def derivative(self, input):
        return 1.0 / np.cosh(input) ** 2


class SoftmaxActivation(ActivationLayer):
    def activation_function(self, input):
        z = input - input.max(axis=1, keepdims=True)
        return np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)

    def derivative(self, input):
        s = self.activation_function(input)
        return s * (1 - s)

    def backward_propagation(self, output_error):
        s = self.activation_function(self.input)
        return s * (output_error - np.sum(output_error * s, axis=1, keepdims=True))


# ----------------------------------------------------------------- losses
class LossFunction:
    def loss(self, y_true, y_pred):
        raise NotImplementedError

    def derivative(self, y_true, y_pred):
        raise NotImplementedError


class MeanSquaredError(LossFunction):
    def loss(self, y_true, y_pred):
        return float(np.square(y_true - y_pred).mean())

    def derivative(self, y_true, y_pred):
        return -2 * (y_true - y_pred) / np.size(y_true)


class BinaryCrossEntropy(LossFunction):
    def loss(self, y_true, y_pred):
        p = np.clip(y_pred, 1e-7, 1 - 1e-7)
        return float(-(y_true * np.log(p) + (1 - y_true) * np.log(1 - p)).mean())

    def derivative(self, y_true, y_pred):
        p = np.clip(y_pred, 1e-7, 1 - 1e-7)
        return (-(y_true / p) + (1 - y_true) / (1 - p)) / np.size(y_true)


class CategoricalCrossEntropy(LossFunction):
    def loss(self, y_true, y_pred):
        p = np.clip(y_pred, 1e-7, 1 - 1e-7)
        return float(-(y_true * np.log(p)).sum(axis=1).mean())

    def derivative(self, y_true, y_pred):
        p = np.clip(y_pred, 1e-7, 1 - 1e-7)
        return -y_true / p / y_true.shape[0]


# ----------------------------------------------------------------- optimizers
class Optimizer:
    def __init__(self, learning_rate):
        self.learning_rate = learning_rate

    def update(self, w, grad_loss_w):
        raise NotImplementedError


class SGD(Optimizer):
    def __init__(self, learning_rate=0.01, momentum=0.0):
        super().__init__(learning_rate)
        self.momentum = momentum
        self.retained_gradient = None

    def update(self, w, grad_loss_w):
        previous = 0.0 if self.retained_gradient is None else self.retained_gradient
        self.retained_gradient = self.momentum * previous + (1 - self.momentum) * grad_loss_w
        return w - self.learning_rate * self.retained_gradient


class Adam(Optimizer):
    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        super().__init__(learning_rate)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.m = 0.0
        self.v = 0.0
        self.t = 0

    def update(self, w, grad_loss_w):
        self.t = self.t + 1
        self.m = self.beta_1 * self.m + (1 - self.beta_1) * grad_loss_w
        self.v = self.beta_2 * self.v + (1 - self.beta_2) * grad_loss_w * grad_loss_w
        m_hat = self.m / (1 - self.beta_1 ** self.t)
        v_hat = self.v / (1 - self.beta_2 ** self.t)
        return w - self.learning_rate * m_hat / (np.sqrt(v_hat) + self.epsilon)


# ----------------------------------------------------------------- data & metrics
class Dataset:
    def __init__(self, X, y=None, features=None, label=None):
        self.X = np.asarray(X)
        self.y = None if y is None else np.asarray(y)
        self.features = list(features) if features is not None else [f"feat_{i}" for i in range(self.X.shape[1])]
        self.label = label if label is not None else "y"

    def shape(self):
        return self.X.shape

    def has_label(self):
        return self.y is not None

    def get_classes(self):
        if self.y is None:
            raise ValueError("Dataset has no label")
        return np.unique(self.y)


def accuracy(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_pred.ndim == 2 and y_pred.shape[1] > 1:
        predicted = y_pred.argmax(axis=1)
        actual = y_true.argmax(axis=1) if y_true.ndim == 2 and y_true.shape[1] > 1 else y_true.ravel()
    else:
        predicted, actual = np.round(y_pred).ravel(), y_true.ravel()
    return float(np.mean(predicted == actual))


def mse(y_true, y_pred):
    y_pred = np.asarray(y_pred)
    return float(np.mean((np.asarray(y_true).reshape(y_pred.shape) - y_pred) ** 2))


# ----------------------------------------------------------------- network
class NeuralNetwork:
    def __init__(self, epochs=100, batch_size=128, optimizer=SGD, learning_rate=0.01, momentum=0.0,
                 verbose=False, loss=MeanSquaredError, metric=mse, **kwargs):
        self.epochs, self.batch_size = epochs, batch_size
        self.learning_rate, self.momentum = learning_rate, momentum
        self.verbose = verbose
        wanted = dict(learning_rate=learning_rate, momentum=momentum, **kwargs)
        params = inspect.signature(optimizer).parameters
        self.optimizer = optimizer(**{k: v for k, v in wanted.items() if k in params})
        self.loss = loss()
        self.metric = metric
        self.layers = []
        self.history = {}

    def add(self, layer):
        if len(self.layers) > 0:
            layer.set_input_shape(self.layers[-1].output_shape())
        if hasattr(layer, "initialize"):
            layer.initialize(self.optimizer)
        self.layers.append(layer)
        return self

    def get_mini_batches(self, X, y=None, shuffle=True):
        n = len(X)
        idx = np.random.permutation(n) if shuffle else np.arange(n)
        start = 0
        while start < n:
            part = idx[start:start + self.batch_size]
            yield X[part], (y[part] if y is not None else None)
            start += self.batch_size

    def forward_propagation(self, X, training):
        for layer in self.layers:
            X = layer.forward_propagation(X, training)
        return X

    def backward_propagation(self, output_error):
        for layer in reversed(self.layers):
            output_error = layer.backward_propagation(output_error)
        return output_error

    def fit(self, dataset):
        X, y = dataset.X, dataset.y
        y = y.reshape(-1, 1) if y.ndim == 1 else y
        for epoch in range(1, self.epochs + 1):
            preds, trues = [], []
            for X_batch, y_batch in self.get_mini_batches(X, y):
                output = self.forward_propagation(X_batch, training=True)
                self.backward_propagation(self.loss.derivative(y_batch, output))
                preds.append(output)
                trues.append(y_batch)
            preds, trues = np.vstack(preds), np.vstack(trues)
            loss = self.loss.loss(trues, preds)
            metric = self.metric(trues, preds) if self.metric is not None else None
            self.history[epoch] = {"loss": loss, "metric": metric}
            if self.verbose:
                print(f"Epoch {epoch}/{self.epochs} loss={loss:.4f} metric={metric}")
        return self

    def predict(self, dataset):
        return self.forward_propagation(dataset.X, training=False)

    def score(self, dataset, scoring_func=None):
        func = scoring_func if scoring_func is not None else self.metric
        return func(dataset.y, self.predict(dataset))
