"""NeuralNetwork: a stack of layers trained by mini-batch gradient descent."""

import inspect

import numpy as np

from .losses import MeanSquaredError
from .metrics import mse
from .optimizer import SGD


class NeuralNetwork:
    """A feed-forward network: layers applied one after the other.

    Forward: X (batch, n_features) goes through every layer in order.
    Backward: dLoss/d output goes through the layers in reverse order; each
    layer returns dLoss/d its input and updates its own parameters.
    """

    def __init__(self, epochs=100, batch_size=128, optimizer=SGD, learning_rate=0.01,
                 momentum=0.0, verbose=False, loss=MeanSquaredError, metric=mse,
                 **kwargs):
        """Configure training; layers are added afterwards with ``add``.

        epochs: passes over the training data; batch_size: examples per update;
        optimizer: an Optimizer *class* (e.g. SGD, Adam); learning_rate and
        momentum, plus any extra keyword arguments (e.g. beta_1 for Adam), are
        given to the optimizer when its constructor accepts them; verbose:
        print loss and metric each epoch; loss: a LossFunction *class*;
        metric: a function metric(y_true, y_pred) -> float, or None.
        """
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.verbose = verbose
        self.optimizer = optimizer(**self._accepted_arguments(
            optimizer, learning_rate=learning_rate, momentum=momentum, **kwargs))
        self.loss = loss()
        self.metric = metric
        self.layers = []
        self.history = {}

    @staticmethod
    def _accepted_arguments(cls, **arguments):
        """The subset of ``arguments`` that ``cls``'s constructor accepts
        (all of them if it takes ``**kwargs``): Adam, for one, has no momentum."""
        parameters = inspect.signature(cls).parameters
        if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
            return arguments
        return {name: value for name, value in arguments.items() if name in parameters}

    def add(self, layer):
        """Append a layer; returns self so calls can be chained.

        The new layer's input shape is the previous layer's output shape, and
        layers with parameters are initialized with (copies of) the optimizer.
        """
        if self.layers:
            layer.set_input_shape(self.layers[-1].output_shape())
        if hasattr(layer, "initialize"):
            layer.initialize(self.optimizer)
        self.layers.append(layer)
        return self

    def get_mini_batches(self, X, y=None, shuffle=True):
        """Yield (X_batch, y_batch) for consecutive chunks of ``batch_size`` examples.

        X: (n, ...), y: (n, ...) or None (then y_batch is None). With shuffle,
        the examples are visited in a new random order (``np.random.permutation``)
        each call, so each epoch sees different batches. The last batch holds
        the remaining n % batch_size examples when batch_size does not divide n
        (the course's own code drops that incomplete batch instead: both are accepted).
        """
        # TODO: check len(X) == len(y); take a random permutation of the indices (or arange without shuffle) and yield (X[idx], y[idx]) (y_batch None when y is None) for consecutive chunks of batch_size indices
        raise NotImplementedError('NeuralNetwork.get_mini_batches: check len(X) == len(y); take a random permutation of the indices (or arange without shuffle) and yield (X[idx], y[idx]) (y_batch None when y is None) for consecutive chunks of batch_size indices')

    def forward_propagation(self, X, training):
        """Output of the network: each layer's output is the next layer's input.

        X: (batch, n_features) -> (batch, n_outputs). training: passed to
        every layer (Dropout is active only while training).
        """
        # TODO: feed X through every layer in order (in training mode when training is true); return the last layer's output
        raise NotImplementedError("NeuralNetwork.forward_propagation: feed X through every layer in order (in training mode when training is true); return the last layer's output")

    def backward_propagation(self, output_error):
        """Back-propagate dLoss/d output through the layers in reverse order.

        output_error: (batch, n_outputs). Each layer turns the error of its
        output into the error of its input, updating its parameters on the way.
        Returns dLoss/d X, (batch, n_features).
        """
        # TODO: feed the output error backwards through the layers, last layer first; return the error at the network's input
        raise NotImplementedError("NeuralNetwork.backward_propagation: feed the output error backwards through the layers, last layer first; return the error at the network's input")

    def fit(self, dataset):
        """Train on ``dataset`` for ``epochs`` epochs; returns self.

        Each epoch: for every mini-batch, forward (training=True), loss
        derivative, backward (which updates the parameters). Then the loss and
        the metric over the whole epoch's predictions (in batch order, as
        computed during training) go to ``history[epoch] = {'loss': ...,
        'metric': ...}`` (epochs numbered from 1; metric None without a metric).
        A label vector y (n,) is used as a column (n, 1), like the network's output.
        """
        # TODO: for each epoch 1..epochs: for each mini batch forward (training=True), loss.derivative(y_batch, output), backward; then record the loss and metric of the epoch's outputs in history[epoch]; print if verbose; return self
        raise NotImplementedError("NeuralNetwork.fit: for each epoch 1..epochs: for each mini batch forward (training=True), loss.derivative(y_batch, output), backward; then record the loss and metric of the epoch's outputs in history[epoch]; print if verbose; return self")

    def predict(self, dataset):
        """Outputs for ``dataset.X`` at inference (training=False): (n, n_outputs)."""
        # TODO: the network's output on the dataset's inputs, with training off
        raise NotImplementedError("NeuralNetwork.predict: the network's output on the dataset's inputs, with training off")

    def score(self, dataset, scoring_func=None):
        """scoring_func(dataset.y, predict(dataset)), using ``self.metric``
        when no scoring_func is given. Returns a float."""
        # TODO: score predict(dataset) against dataset.y with scoring_func, or with the network's metric when scoring_func is None
        raise NotImplementedError("NeuralNetwork.score: score predict(dataset) against dataset.y with scoring_func, or with the network's metric when scoring_func is None")
