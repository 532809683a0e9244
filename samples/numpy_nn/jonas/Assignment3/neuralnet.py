"""Jonas Berg -- NeuralNetwork.

The network holds instances: one optimizer object (each layer gets its own
deep copy of it) and one loss object. Classes or ready-made objects can be
given for both.
"""
import copy
import inspect

import numpy as np

from losses import MeanSquaredError
from metrics import mse
from optimizer import SGD


class NeuralNetwork:

    def __init__(self, epochs=100, batch_size=128, optimizer=SGD, learning_rate=0.01, momentum=0.0,
                 verbose=False, loss=MeanSquaredError, metric=mse, **kwargs):
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.verbose = verbose
        self.metric = metric
        self.optimizer = self._make_optimizer(optimizer, dict(learning_rate=learning_rate, momentum=momentum, **kwargs))
        self.loss = loss() if isinstance(loss, type) else loss
        self.layers = []
        self.history = {}

    @staticmethod
    def _make_optimizer(optimizer, options):
        if not isinstance(optimizer, type):
            return optimizer
        accepted = inspect.signature(optimizer.__init__).parameters
        if not any(p.kind == p.VAR_KEYWORD for p in accepted.values()):
            options = {k: v for k, v in options.items() if k in accepted}
        return optimizer(**options)

    def add(self, layer):
        if self.layers:
            layer.set_input_shape(self.layers[-1].output_shape())
        if hasattr(layer, "initialize"):
            layer.initialize(copy.deepcopy(self.optimizer))
        self.layers.append(layer)
        return self

    def get_mini_batches(self, X, y=None, shuffle=True):
        order = np.random.permutation(len(X)) if shuffle else np.arange(len(X))
        batches = []
        for start in range(0, len(X), self.batch_size):
            rows = order[start:start + self.batch_size]
            batches.append((X[rows], None if y is None else y[rows]))
        return batches

    def forward_propagation(self, X, training):
        for layer in self.layers:
            X = layer.forward_propagation(X, training)
        return X

    def backward_propagation(self, output_error):
        for layer in self.layers[::-1]:
            output_error = layer.backward_propagation(output_error)
        return output_error

    def fit(self, dataset):
        X = dataset.X
        y = dataset.y.reshape(-1, 1) if dataset.y.ndim == 1 else dataset.y
        self.history = {}
        for epoch in range(1, self.epochs + 1):
            predictions, truths = [], []
            for X_batch, y_batch in self.get_mini_batches(X, y, shuffle=True):
                y_hat = self.forward_propagation(X_batch, True)
                self.backward_propagation(self.loss.derivative(y_batch, y_hat))
                predictions.append(y_hat)
                truths.append(y_batch)
            predictions, truths = np.vstack(predictions), np.vstack(truths)
            entry = {"loss": self.loss.loss(truths, predictions),
                     "metric": None if self.metric is None else self.metric(truths, predictions)}
            self.history[epoch] = entry
            if self.verbose:
                print(f"epoch {epoch}: loss={entry['loss']:.5f} metric={entry['metric']}")
        return self

    def predict(self, dataset):
        return self.forward_propagation(dataset.X, False)

    def score(self, dataset, scoring_func=None):
        function = self.metric if scoring_func is None else scoring_func
        return function(dataset.y, self.predict(dataset))
