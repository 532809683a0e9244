import numpy as np


def accuracy(y_true, y_pred):
    if y_pred.shape[1] > 1:
        y_pred_labels = np.argmax(y_pred, axis=1)
        if y_true.ndim > 1 and y_true.shape[1] > 1:
            y_true_labels = np.argmax(y_true, axis=1)
        else:
            y_true_labels = y_true.flatten()
    else:
        y_pred_labels = np.round(y_pred).flatten()
        y_true_labels = y_true.flatten()
    return np.sum(y_pred_labels == y_true_labels) / len(y_true_labels)


def mse(y_true, y_pred):
    return np.sum((y_true.reshape(y_pred.shape) - y_pred) ** 2) / y_true.size
