import numpy as np

from .losses import MeanSquaredError
from .metrics import mse
from .optimizer import SGD


class NeuralNetwork:

    def __init__(self, epochs=100, batch_size=128, optimizer=SGD, learning_rate=0.01, momentum=0.0,
                 verbose=False, loss=MeanSquaredError, metric=mse, **kwargs):
        self.epochs = epochs
        self.batch_size = batch_size
        if optimizer.__name__ == "Adam":
            self.optimizer = optimizer(learning_rate=learning_rate, **kwargs)
        else:
            self.optimizer = optimizer(learning_rate=learning_rate, momentum=momentum)
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
        n = X.shape[0]
        order = np.random.permutation(n) if shuffle else np.arange(n)
        for start in range(0, n, self.batch_size):
            chosen = order[start:start + self.batch_size]
            yield X[chosen], (y[chosen] if y is not None else None)

    def forward_propagation(self, X, training):
        output = X
        for layer in self.layers:
            output = layer.forward_propagation(output, training)
        return output

    def backward_propagation(self, output_error):
        error = output_error
        for layer in reversed(self.layers):
            error = layer.backward_propagation(error)
        return error

    def fit(self, dataset):
        X, y = dataset.X, dataset.y
        if y.ndim == 1:
            y = y.reshape(-1, 1)
        self.history = {}
        for epoch in range(1, self.epochs + 1):
            outputs, targets = [], []
            for X_batch, y_batch in self.get_mini_batches(X, y):
                output = self.forward_propagation(X_batch, training=True)
                self.backward_propagation(self.loss.derivative(y_batch, output))
                outputs.append(output)
                targets.append(y_batch)
            all_out, all_y = np.concatenate(outputs), np.concatenate(targets)
            loss = self.loss.loss(all_y, all_out)
            metric = self.metric(all_y, all_out) if self.metric is not None else None
            self.history[epoch] = {"loss": loss, "metric": metric}
            if self.verbose:
                print(f"Epoch {epoch}/{self.epochs} - loss: {loss:.4f} - metric: {metric}")
        return self

    def predict(self, dataset):
        return self.forward_propagation(dataset.X, training=False)

    def score(self, dataset, scoring_func=None):
        scoring_func = scoring_func or self.metric
        return scoring_func(dataset.y, self.predict(dataset))
