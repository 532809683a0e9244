# Alice - the network
import inspect

import numpy as np

from losses import MeanSquaredError
from metrics import mse
from optimizer import SGD


class NeuralNetwork:
    def __init__(self, epochs=100, batch_size=128, optimizer=SGD, learning_rate=0.01,
                 momentum=0.0, verbose=False, loss=MeanSquaredError, metric=mse, **kwargs):
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.verbose = verbose
        accepted = inspect.signature(optimizer).parameters
        options = dict(learning_rate=learning_rate, momentum=momentum, **kwargs)
        if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in accepted.values()):
            options = {k: v for k, v in options.items() if k in accepted}
        self.optimizer = optimizer(**options)
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
        order = np.arange(X.shape[0])
        if shuffle:
            np.random.shuffle(order)   # a new order every call = every epoch
        for i in range(0, len(order), self.batch_size):
            chunk = order[i:i + self.batch_size]
            yield (X[chunk], y[chunk] if y is not None else None)

    def forward_propagation(self, X, training):
        out = X
        for layer in self.layers:
            out = layer.forward_propagation(out, training)
        return out

    def backward_propagation(self, output_error):
        for layer in self.layers[::-1]:
            output_error = layer.backward_propagation(output_error)
        return output_error

    def fit(self, dataset):
        X, y = dataset.X, dataset.y
        if y.ndim == 1:
            y = y[:, None]
        for epoch in range(self.epochs):
            batch_losses, sizes = [], []
            for xb, yb in self.get_mini_batches(X, y):
                out = self.forward_propagation(xb, training=True)
                batch_losses.append(self.loss.loss(yb, out))
                sizes.append(len(xb))
                self.backward_propagation(self.loss.derivative(yb, out))
            epoch_loss = float(np.average(batch_losses, weights=sizes))
            self.history[epoch] = {"loss": epoch_loss, "metric": None}
            if self.verbose:
                print(f"epoch {epoch + 1}: loss {epoch_loss:.4f}")
        return self

    def predict(self, dataset):
        return self.forward_propagation(dataset.X, training=False)

    def score(self, dataset, scoring_func=None):
        if scoring_func is None:
            scoring_func = self.metric
        return scoring_func(dataset.y, self.predict(dataset))
