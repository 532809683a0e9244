"""Jonas Berg -- losses."""
import numpy as np

EPS = 1e-12


class LossFunction:

    def loss(self, y_true, y_pred):
        raise NotImplementedError

    def derivative(self, y_true, y_pred):
        raise NotImplementedError


class MeanSquaredError(LossFunction):

    def loss(self, y_true, y_pred):
        return ((y_true - y_pred) ** 2).mean()

    def derivative(self, y_true, y_pred):
        return 2.0 * (y_pred - y_true) / np.size(y_true)


class BinaryCrossEntropy(LossFunction):

    def loss(self, y_true, y_pred):
        p = np.clip(y_pred, EPS, 1 - EPS)
        return -(y_true * np.log(p) + (1 - y_true) * np.log(1 - p)).mean()

    def derivative(self, y_true, y_pred):
        p = np.clip(y_pred, EPS, 1 - EPS)
        return (p - y_true) / (p * (1 - p) * np.size(y_true))


class CategoricalCrossEntropy(LossFunction):

    def loss(self, y_true, y_pred):
        p = np.clip(y_pred, EPS, 1.0)
        return -(y_true * np.log(p)).sum() / y_true.shape[0]

    def derivative(self, y_true, y_pred):
        p = np.clip(y_pred, EPS, 1.0)
        return -(y_true / p) / y_true.shape[0]
