import inspect

import numpy as np

from .layers import DTYPE
from .losses import MeanSquaredError
from .metrics import mse
from .optimizer import SGD


class NeuralNetwork:

    def __init__(self, epochs=100, batch_size=128, optimizer=SGD, learning_rate=0.01, momentum=0.0,
                 verbose=False, loss=MeanSquaredError, metric=mse, **kwargs):
        self.epochs = epochs
        self.batch_size = batch_size
        wanted = dict(learning_rate=learning_rate, momentum=momentum, **kwargs)
        accepted = inspect.signature(optimizer).parameters
        self.optimizer = optimizer(**{k: v for k, v in wanted.items() if k in accepted})
        self.verbose = verbose
        self.loss = loss()
        self.metric = metric
        self.layers = []
        self.history = {}

    def add(self, layer):
        if self.layers:
            layer.set_input_shape(self.layers[-1].output_shape())
        if hasattr(layer, "initialize"):
            layer.initialize(self.optimizer)
        self.layers.append(layer)
        return self

    def get_mini_batches(self, X, y=None, shuffle=True):
        n = len(X)
        idx = np.random.permutation(n) if shuffle else np.arange(n)
        for i in range(0, n, self.batch_size):
            part = idx[i:i + self.batch_size]
            yield X[part], None if y is None else y[part]

    def forward_propagation(self, X, training):
        out = X
        for layer in self.layers:
            out = layer.forward_propagation(out, training)
        return out

    def backward_propagation(self, output_error):
        err = output_error
        for layer in self.layers[::-1]:
            err = layer.backward_propagation(err)
        return err

    def fit(self, dataset):
        X = np.asarray(dataset.X, dtype=DTYPE)
        y = np.asarray(dataset.y, dtype=DTYPE)
        if y.ndim == 1:
            y = y[:, None]
        self.history = {}
        for epoch in range(1, self.epochs + 1):
            outs, ys = [], []
            for xb, yb in self.get_mini_batches(X, y):
                out = self.forward_propagation(xb, training=True)
                self.backward_propagation(self.loss.derivative(yb, out))
                outs.append(out)
                ys.append(yb)
            outs, ys = np.concatenate(outs), np.concatenate(ys)
            loss = float(self.loss.loss(ys, outs))
            metric = None if self.metric is None else self.metric(ys, outs)
            self.history[epoch] = {"loss": loss, "metric": metric}
            if self.verbose:
                print(f"[{epoch:3d}/{self.epochs}] loss {loss:.4f} metric {metric}")
        return self

    def predict(self, dataset):
        return self.forward_propagation(np.asarray(dataset.X, dtype=DTYPE), training=False)

    def score(self, dataset, scoring_func=None):
        func = self.metric if scoring_func is None else scoring_func
        return func(dataset.y, self.predict(dataset))
