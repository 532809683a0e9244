"""Loss functions: how wrong the predictions are, and the gradient to follow.

y_true and y_pred have the same shape, (batch, n_outputs). ``loss`` returns a
float; ``derivative`` returns dLoss/d y_pred, the same shape as y_pred, and is
the exact derivative of the value ``loss`` returns (so a loss averaged over
N elements has a derivative divided by N).
"""

import numpy as np

# Probabilities are clipped to [EPSILON, 1 - EPSILON] before taking logs and
# dividing, so a confident wrong prediction gives a large finite loss, not inf/nan.
EPSILON = 1e-15


class LossFunction:
    """Base class of loss functions."""

    def loss(self, y_true, y_pred):
        """The loss value (a float) for true labels and predictions of the same shape."""
        raise NotImplementedError

    def derivative(self, y_true, y_pred):
        """dLoss/d y_pred, same shape as y_pred."""
        raise NotImplementedError


class MeanSquaredError(LossFunction):
    """Mean squared error, averaged over all N elements.

    L = (1/N) * sum (y_true - y_pred)**2
    """

    def loss(self, y_true, y_pred):
        """L = mean((y_true - y_pred)**2) over every element, as a float."""
        # <SOL> MSE = mean of (y - ŷ)² over every entry, as a float
        return float(np.mean((y_true - y_pred) ** 2))
        # </SOL>

    def derivative(self, y_true, y_pred):
        """dL/d y_pred = 2 * (y_pred - y_true) / N, N = y_true.size."""
        # <SOL> ∂MSE/∂ŷ = 2(ŷ - y) / N, with N the number of entries
        return 2 * (y_pred - y_true) / y_true.size
        # </SOL>


class BinaryCrossEntropy(LossFunction):
    """Binary cross-entropy, for outputs in (0, 1) (e.g. after a sigmoid).

    With p = clip(y_pred, eps, 1 - eps):
    L = -(1/N) * sum [ y_true * log(p) + (1 - y_true) * log(1 - p) ]
    """

    def loss(self, y_true, y_pred):
        """L = -mean(y_true * log(p) + (1 - y_true) * log(1 - p)), as a float."""
        # <SOL> clip the predictions p to [1e-15, 1 - 1e-15]; BCE = -mean of y·log(p) + (1 - y)·log(1 - p), as a float
        p = np.clip(y_pred, EPSILON, 1 - EPSILON)
        return float(-np.mean(y_true * np.log(p) + (1 - y_true) * np.log(1 - p)))
        # </SOL>

    def derivative(self, y_true, y_pred):
        """dL/d y_pred = (-(y_true / p) + (1 - y_true) / (1 - p)) / N, N = y_true.size."""
        # <SOL> with p clipped as in loss: ∂BCE/∂p = (-y/p + (1 - y)/(1 - p)) / N, with N the number of entries
        p = np.clip(y_pred, EPSILON, 1 - EPSILON)
        return (-(y_true / p) + (1 - y_true) / (1 - p)) / y_true.size
        # </SOL>


class CategoricalCrossEntropy(LossFunction):
    """Categorical cross-entropy, for one-hot y_true and rows of probabilities
    (e.g. after a softmax), averaged over the batch.

    y_true, y_pred: (batch, n_classes). With p = clip(y_pred, eps, 1 - eps):
    L = -(1/batch) * sum y_true * log(p)
    """

    def loss(self, y_true, y_pred):
        """L = -sum(y_true * log(p)) / batch, as a float."""
        # <SOL> clip the predictions p to [1e-15, 1 - 1e-15]; CCE = -Σ y·log(p) / (number of examples), as a float
        p = np.clip(y_pred, EPSILON, 1 - EPSILON)
        return float(-np.sum(y_true * np.log(p)) / y_true.shape[0])
        # </SOL>

    def derivative(self, y_true, y_pred):
        """dL/d y_pred = -y_true / p / batch."""
        # <SOL> with p clipped as in loss: ∂CCE/∂p = -y / p / (number of examples)
        p = np.clip(y_pred, EPSILON, 1 - EPSILON)
        return -y_true / p / y_true.shape[0]
        # </SOL>
