import numpy as np


def accuracy(y_true, y_pred):
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    if y_pred.ndim == 2 and y_pred.shape[1] > 1:
        predicted = y_pred.argmax(axis=1)
        actual = y_true.argmax(axis=1) if y_true.ndim == 2 and y_true.shape[1] > 1 else y_true.ravel()
    else:
        predicted = np.round(y_pred).ravel()
        actual = y_true.ravel()
    return float(np.mean(predicted == actual))


def mse(y_true, y_pred):
    y_pred = np.asarray(y_pred)
    return float(np.mean((np.asarray(y_true).reshape(y_pred.shape) - y_pred) ** 2))
