"""Metrics: how good the predictions are, as a float.

Predictions come from the network as (batch, n_outputs); labels may be given
as a vector (batch,) or as a matrix (batch, n_outputs).
"""

import numpy as np


def accuracy(y_true, y_pred):
    """Fraction of examples whose predicted class is the true class.

    - Several output columns, y_pred (batch, n_classes): the predicted class
      is the argmax of each row; y_true may be one-hot (batch, n_classes),
      arg-maxed the same way, or class indices (batch,) / (batch, 1).
    - One output column, y_pred (batch,) or (batch, 1), e.g. a sigmoid: the
      predicted class is round(y_pred), 0 or 1, compared to y_true flattened.
    """
    # <SOL> several columns: compare the argmax of each row of y_pred with y_true (argmax if one-hot, else flattened); one column: compare round(y_pred) with y_true; return the mean of matches as a float
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    if y_pred.ndim == 2 and y_pred.shape[1] > 1:
        predicted = np.argmax(y_pred, axis=1)
        if y_true.ndim == 2 and y_true.shape[1] > 1:
            actual = np.argmax(y_true, axis=1)
        else:
            actual = y_true.ravel()
    else:
        predicted = np.round(y_pred).ravel()
        actual = y_true.ravel()
    return float(np.mean(predicted == actual))
    # </SOL>


def mse(y_true, y_pred):
    """Mean squared error: mean((y_true - y_pred)**2) over all elements.

    A label vector (batch,) is first given y_pred's shape (batch, 1): otherwise
    numpy would broadcast (batch,) against (batch, 1) into (batch, batch).
    """
    # <SOL> give y_true the shape of y_pred (they have the same number of entries), then the mean of (y - ŷ)², as a float
    y_pred = np.asarray(y_pred)
    y_true = np.asarray(y_true).reshape(y_pred.shape)
    return float(np.mean((y_true - y_pred) ** 2))
    # </SOL>
