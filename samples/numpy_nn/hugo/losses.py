# Hugo Ferreira - losses
import numpy as np


class LossFunction:

    def loss(self, y_true, y_pred):
        raise NotImplementedError

    def derivative(self, y_true, y_pred):
        raise NotImplementedError


class MeanSquaredError(LossFunction):

    def loss(self, y_true, y_pred):
        return float(np.mean(np.square(y_true - y_pred)))

    def derivative(self, y_true, y_pred):
        return 2 / y_true.size * (y_pred - y_true)


class BinaryCrossEntropy(LossFunction):

    def loss(self, y_true, y_pred):
        p = np.clip(y_pred, a_min=1e-15, a_max=1 - 1e-15)
        return float(-np.mean(y_true * np.log(p) + (1 - y_true) * np.log(1 - p)))

    def derivative(self, y_true, y_pred):
        p = np.clip(y_pred, a_min=1e-15, a_max=1 - 1e-15)
        return (-(y_true / p) + (1 - y_true) / (1 - p)) / y_true.size


class CategoricalCrossEntropy(LossFunction):

    def loss(self, y_true, y_pred):
        p = np.clip(y_pred, a_min=1e-15, a_max=1 - 1e-15)
        return float(-np.sum(y_true * np.log(p)) / len(y_true))

    def derivative(self, y_true, y_pred):
        p = np.clip(y_pred, a_min=1e-15, a_max=1 - 1e-15)
        return -y_true / (p * len(y_true))
