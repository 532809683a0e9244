import numpy as np


def accuracy(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_pred.ndim > 1 and y_pred.shape[-1] > 1:
        pred = y_pred.argmax(axis=-1)
        true = y_true.argmax(axis=-1) if (y_true.ndim > 1 and y_true.shape[-1] > 1) else y_true.reshape(-1)
    else:
        pred = (y_pred.reshape(-1) >= 0.5).astype(int)
        true = y_true.reshape(-1)
    return float((pred == true).sum() / len(pred))


def mse(y_true, y_pred):
    y_pred = np.asarray(y_pred)
    diff = np.reshape(y_true, y_pred.shape) - y_pred
    return float((diff ** 2).mean())
