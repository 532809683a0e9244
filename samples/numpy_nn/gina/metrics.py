import numpy as np


def accuracy(y_true, y_pred):
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    if y_pred.ndim == 2 and y_pred.shape[1] > 1:
        predicted = np.argmax(y_pred, axis=1)
        actual = np.argmax(y_true, axis=1) if y_true.ndim == 2 and y_true.shape[1] > 1 else y_true.reshape(-1)
    else:
        predicted = np.round(y_pred).reshape(-1)
        actual = y_true.reshape(-1)
    return float(np.mean(predicted == actual))


def mse(y_true, y_pred):
    y_pred = np.asarray(y_pred)
    y_true = np.asarray(y_true).reshape(y_pred.shape)
    return float(np.mean((y_true - y_pred) ** 2))
