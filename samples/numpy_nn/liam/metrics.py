# Liam O'Brien -- numpy_nn, metrics
import numpy as np


def accuracy(y_true, y_pred):
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    if y_pred.ndim == 2 and y_pred.shape[1] > 1:
        y_pred = np.argmax(y_pred, axis=1)
        if y_true.ndim == 2 and y_true.shape[1] > 1:
            y_true = np.argmax(y_true, axis=1)
    else:
        y_pred = np.round(y_pred)
    return float(np.mean(y_pred.reshape(-1) == y_true.reshape(-1)))


def mse(y_true, y_pred):
    return float(np.mean((np.reshape(y_true, np.shape(y_pred)) - y_pred) ** 2))
