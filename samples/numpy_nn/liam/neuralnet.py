# Liam O'Brien -- numpy_nn, the network
import numpy as np

from losses import MeanSquaredError
from metrics import mse
from optimizer import SGD


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
        n_samples = X.shape[0]
        indices = np.arange(n_samples)
        if shuffle:
            np.random.shuffle(indices)
        for start in range(0, n_samples, self.batch_size):
            batch = indices[start:start + self.batch_size]
            yield X[batch], (y[batch] if y is not None else None)

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
        self.history = {}
        for epoch in range(1, self.epochs + 1):
            output_x_ = []
            y_ = []
            for X_batch, y_batch in self.get_mini_batches(X, y):
                output = self.forward_propagation(X_batch, training=True)
                error = self.loss.derivative(y_batch, output)
                self.backward_propagation(error)
                output_x_.append(output)
                y_.append(y_batch)
            output_x_all = np.concatenate(output_x_)
            y_all = np.concatenate(y_)
            loss = self.loss.loss(y_all, output_x_all)
            metric = self.metric(y_all, output_x_all) if self.metric is not None else None
            self.history[epoch] = {"loss": loss, "metric": metric}
            if self.verbose:
                print(f"Epoch {epoch}/{self.epochs} - loss: {loss:.4f} - metric: {metric}")
        return self

    def predict(self, dataset):
        return self.forward_propagation(dataset.X, training=False)

    def score(self, dataset, scoring_func=None):
        scoring_func = scoring_func if scoring_func is not None else self.metric
        return scoring_func(dataset.y, self.predict(dataset))
