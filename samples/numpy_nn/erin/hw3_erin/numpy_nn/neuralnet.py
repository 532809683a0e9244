import inspect

import numpy as np

from numpy_nn.losses import MeanSquaredError
from numpy_nn.metrics import mse
from numpy_nn.optimizer import SGD


class NeuralNetwork:
    def __init__(self, epochs=100, batch_size=128, optimizer=SGD, learning_rate=0.01, momentum=0.0,
                 verbose=False, loss=MeanSquaredError, metric=mse, **kwargs):
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.verbose = verbose
        options = dict(learning_rate=learning_rate, momentum=momentum, **kwargs)
        signature = inspect.signature(optimizer).parameters
        self.optimizer = optimizer(**{name: value for name, value in options.items() if name in signature})
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
        assert y is None or len(y) == n
        order = np.random.permutation(n) if shuffle else np.arange(n)
        for first in range(0, n, self.batch_size):
            rows = order[first:first + self.batch_size]
            yield X[rows], None if y is None else y[rows]

    def forward_propagation(self, X, training):
        out = X
        for layer in self.layers:
            out = layer.forward_propagation(out, training)
        return out

    def backward_propagation(self, output_error):
        for layer in reversed(self.layers):
            output_error = layer.backward_propagation(output_error)
        return output_error

    def fit(self, dataset):
        X, y = dataset.X, dataset.y
        if y.ndim == 1:
            y = y.reshape(-1, 1)
        for epoch in range(1, self.epochs + 1):
            outputs, labels = [], []
            for X_batch, y_batch in self.get_mini_batches(X, y):
                out = self.forward_propagation(X_batch, training=True)
                self.backward_propagation(self.loss.derivative(y_batch, out))
                outputs.append(out)
                labels.append(y_batch)
            outputs, labels = np.concatenate(outputs), np.concatenate(labels)
            self.history[epoch] = {"loss": self.loss.loss(labels, outputs),
                                   "metric": self.metric(labels, outputs) if self.metric else None}
            if self.verbose:
                print(epoch, self.history[epoch])
        return self

    def predict(self, dataset):
        return self.forward_propagation(dataset.X, training=False)

    def score(self, dataset, scoring_func=None):
        return (scoring_func or self.metric)(dataset.y, self.predict(dataset))
