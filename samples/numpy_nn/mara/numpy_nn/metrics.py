import numpy as np


def accuracy(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_pred.ndim == 2 and y_pred.shape[1] > 1:
        predicted = y_pred.argmax(axis=1)
        expected = y_true.argmax(axis=1) if y_true.ndim == 2 and y_true.shape[1] > 1 else y_true.reshape(-1)
    else:
        predicted = (y_pred.reshape(-1) >= 0.5).astype(int) if y_pred.dtype.kind == "f" else y_pred.reshape(-1)
        expected = y_true.reshape(-1)
    return float(np.mean(predicted == expected))


def mse(y_true, y_pred):
    y_pred = np.asarray(y_pred, dtype=np.float64)
    y_true = np.asarray(y_true, dtype=np.float64).reshape(y_pred.shape)
    return float(np.mean((y_true - y_pred) ** 2))
