# Hugo Ferreira - metrics
import numpy as np


def accuracy(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_pred.ndim > 1 and y_pred.shape[1] > 1:
        y_pred = y_pred.argmax(axis=1)
        if y_true.ndim > 1 and y_true.shape[1] > 1:
            y_true = y_true.argmax(axis=1)
    else:
        y_pred = np.round(y_pred)
    return float(np.mean(y_true.ravel() == y_pred.ravel()))


def mse(y_true, y_pred):
    return float(np.mean((np.reshape(y_true, np.shape(y_pred)) - y_pred) ** 2))
