"""Jonas Berg -- metrics."""
import numpy as np


def _classes(y):
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        return y.argmax(axis=1)
    return np.round(y).reshape(-1)


def accuracy(y_true, y_pred):
    return float((_classes(y_true) == _classes(y_pred)).mean())


def mse(y_true, y_pred):
    difference = np.asarray(y_true).reshape(np.shape(y_pred)) - np.asarray(y_pred)
    return float((difference ** 2).mean())
