import numpy as np

from numpy_nn.losses import MeanSquaredError
from numpy_nn.metrics import mse
from numpy_nn.optimizer import SGD


class NeuralNetwork:

    def __init__(self, epochs=100, batch_size=128, optimizer=SGD, learning_rate=0.01, momentum=0.0,
                 verbose=False, loss=MeanSquaredError, metric=mse, **kwargs):
        self.epochs = epochs
        self.batch_size = batch_size
        try:
            self.optimizer = optimizer(learning_rate=learning_rate, momentum=momentum, **kwargs)
        except TypeError:  # Adam has no momentum
            self.optimizer = optimizer(learning_rate=learning_rate, **kwargs)
        self.verbose = verbose
        self.loss = loss()
        self.metric = metric
        self.layers = []
        self.history = {"loss": [], "metric": []}

    def add(self, layer):
        if self.layers:
            layer.set_input_shape(self.layers[-1].output_shape())
        if hasattr(layer, "initialize"):
            layer.initialize(self.optimizer)
        self.layers.append(layer)
        return self

    def get_mini_batches(self, X, y=None, shuffle=True):
        n_samples = X.shape[0]
        assert self.batch_size <= n_samples, "Batch size cannot be greater than the number of samples"
        indices = np.arange(n_samples)
        if shuffle:
            np.random.shuffle(indices)
        # as in the course: only complete batches, the remainder is left for another epoch
        for start in range(0, n_samples - self.batch_size + 1, self.batch_size):
            batch = indices[start:start + self.batch_size]
            if y is not None:
                yield X[batch], y[batch]
            else:
                yield X[batch], None

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
        X = dataset.X
        y = dataset.y
        if np.ndim(y) == 1:
            y = np.expand_dims(y, axis=1)
        self.history = {"loss": [], "metric": []}
        for epoch in range(1, self.epochs + 1):
            outputs = []
            targets = []
            for X_batch, y_batch in self.get_mini_batches(X, y):
                output = self.forward_propagation(X_batch, training=True)
                self.backward_propagation(self.loss.derivative(y_batch, output))
                outputs.append(output)
                targets.append(y_batch)
            outputs = np.concatenate(outputs)
            targets = np.concatenate(targets)
            loss = self.loss.loss(targets, outputs)
            metric = self.metric(targets, outputs) if self.metric is not None else None
            self.history["loss"].append(loss)
            self.history["metric"].append(metric)
            if self.verbose:
                print(f"Epoch {epoch}/{self.epochs} - loss: {loss:.4f} - metric: {metric}")
        return self

    def predict(self, dataset):
        return self.forward_propagation(dataset.X, training=False)

    def score(self, dataset, scoring_func=None):
        metric = scoring_func if scoring_func is not None else self.metric
        return metric(dataset.y, self.predict(dataset))
