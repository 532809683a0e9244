import numpy as np

from .layers import DTYPE

EPS = 1e-7  # float32 cannot resolve 1 - 1e-15


class LossFunction:

    def loss(self, y_true, y_pred):
        raise NotImplementedError

    def derivative(self, y_true, y_pred):
        raise NotImplementedError


def _as32(y_true, y_pred):
    return np.asarray(y_true, dtype=DTYPE), np.asarray(y_pred, dtype=DTYPE)


class MeanSquaredError(LossFunction):

    def loss(self, y_true, y_pred):
        y_true, y_pred = _as32(y_true, y_pred)
        return np.mean(np.square(y_true - y_pred))

    def derivative(self, y_true, y_pred):
        y_true, y_pred = _as32(y_true, y_pred)
        return DTYPE(2.0 / y_true.size) * (y_pred - y_true)


class BinaryCrossEntropy(LossFunction):

    def loss(self, y_true, y_pred):
        y_true, y_pred = _as32(y_true, y_pred)
        p = np.clip(y_pred, EPS, 1 - EPS)
        return -np.mean(y_true * np.log(p) + (1 - y_true) * np.log(1 - p))

    def derivative(self, y_true, y_pred):
        y_true, y_pred = _as32(y_true, y_pred)
        p = np.clip(y_pred, EPS, 1 - EPS)
        return (p - y_true) / (p * (1 - p)) / DTYPE(y_true.size)


class CategoricalCrossEntropy(LossFunction):

    def loss(self, y_true, y_pred):
        y_true, y_pred = _as32(y_true, y_pred)
        p = np.clip(y_pred, EPS, 1 - EPS)
        return -np.sum(y_true * np.log(p)) / DTYPE(y_true.shape[0])

    def derivative(self, y_true, y_pred):
        y_true, y_pred = _as32(y_true, y_pred)
        p = np.clip(y_pred, EPS, 1 - EPS)
        return -y_true / p / DTYPE(y_true.shape[0])
