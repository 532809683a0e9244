"""Kira N. -- metrics."""
import numpy as np


def accuracy(y_true, y_pred):
    def correct_format(y):
        if len(y[0]) == 1:
            return np.array([np.round(row[0]) for row in y])
        return np.array([np.argmax(row) for row in y])

    if isinstance(y_true[0], (list, np.ndarray)):
        y_true = correct_format(y_true)
    if isinstance(y_pred[0], (list, np.ndarray)):
        y_pred = correct_format(y_pred)
    return float(np.sum(np.asarray(y_pred) == np.asarray(y_true)) / len(y_true))


def mse(y_true, y_pred):
    y_true = np.reshape(y_true, np.shape(y_pred))
    return float(np.sum((y_true - y_pred) ** 2) / np.size(y_pred))
