import numpy as np


def accuracy(y_true, y_pred):
    y_pred = np.asarray(y_pred)
    y_true = np.asarray(y_true)
    if y_pred.ndim == 1 or y_pred.shape[1] == 1:
        return float(np.mean(np.round(y_pred).ravel() == y_true.ravel()))
    true_classes = y_true.argmax(axis=1) if y_true.ndim == 2 and y_true.shape[1] > 1 else y_true.ravel()
    return float(np.mean(y_pred.argmax(axis=1) == true_classes))


def mse(y_true, y_pred):
    y_true = np.asarray(y_true).reshape(np.shape(y_pred))
    return float(np.mean((y_true - y_pred) ** 2))
