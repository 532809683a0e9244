import numpy as np

EPS = 1e-15


class LossFunction:
    def loss(self, y_true, y_pred):
        raise NotImplementedError

    def derivative(self, y_true, y_pred):
        raise NotImplementedError


class MeanSquaredError(LossFunction):
    def loss(self, y_true, y_pred):
        return float(np.mean((y_true - y_pred) ** 2))

    def derivative(self, y_true, y_pred):
        return 2 * (y_pred - y_true) / y_true.size


class BinaryCrossEntropy(LossFunction):
    def loss(self, y_true, y_pred):
        p = np.clip(y_pred, EPS, 1 - EPS)
        return float(-np.mean(y_true * np.log(p) + (1 - y_true) * np.log(1 - p)))

    def derivative(self, y_true, y_pred):
        p = np.clip(y_pred, EPS, 1 - EPS)
        return (p - y_true) / (p * (1 - p)) / y_true.size


class CategoricalCrossEntropy(LossFunction):
    def loss(self, y_true, y_pred):
        p = np.clip(y_pred, EPS, 1 - EPS)
        return float(-np.sum(y_true * np.log(p)) / len(y_true))

    def derivative(self, y_true, y_pred):
        p = np.clip(y_pred, EPS, 1 - EPS)
        return -y_true / p / len(y_true)
