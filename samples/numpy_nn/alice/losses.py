# Alice - losses. MSE as a SUM (so its derivative has no 1/N), the others as means.
import numpy as np


class LossFunction:
    def loss(self, y_true, y_pred):
        raise NotImplementedError

    def derivative(self, y_true, y_pred):
        raise NotImplementedError


class MeanSquaredError(LossFunction):
    def loss(self, y_true, y_pred):
        diff = np.asarray(y_pred, dtype=np.float64) - y_true
        return float(np.sum(diff * diff))

    def derivative(self, y_true, y_pred):
        return 2.0 * (np.asarray(y_pred, dtype=np.float64) - y_true)


class BinaryCrossEntropy(LossFunction):
    eps = 1e-12

    def loss(self, y_true, y_pred):
        p = np.clip(np.asarray(y_pred, dtype=np.float64), self.eps, 1 - self.eps)
        terms = y_true * np.log(p) + (1 - y_true) * np.log(1 - p)
        return float(-terms.sum() / terms.size)

    def derivative(self, y_true, y_pred):
        p = np.clip(np.asarray(y_pred, dtype=np.float64), self.eps, 1 - self.eps)
        return (p - y_true) / (p * (1 - p)) / p.size


class CategoricalCrossEntropy(LossFunction):
    def loss(self, y_true, y_pred):
        p = np.clip(np.asarray(y_pred, dtype=np.float64), 1e-12, 1.0)
        return float(-np.einsum("ij,ij->", y_true, np.log(p)) / len(y_true))

    def derivative(self, y_true, y_pred):
        p = np.clip(np.asarray(y_pred, dtype=np.float64), 1e-12, 1.0)
        return -(y_true / p) / len(y_true)
