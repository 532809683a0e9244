import numpy as np

from .layers import DTYPE


class Optimizer:

    def __init__(self, learning_rate):
        self.learning_rate = learning_rate

    def update(self, w, grad_loss_w):
        raise NotImplementedError


class SGD(Optimizer):

    def __init__(self, learning_rate=0.01, momentum=0.0):
        super().__init__(learning_rate)
        self.momentum = momentum
        self.retained_gradient = None

    def update(self, w, grad_loss_w):
        grad = np.asarray(grad_loss_w, dtype=DTYPE)
        if self.retained_gradient is None:
            self.retained_gradient = np.zeros_like(grad)
        self.retained_gradient = (DTYPE(self.momentum) * self.retained_gradient
                                  + DTYPE(1 - self.momentum) * grad)
        return (np.asarray(w, dtype=DTYPE) - DTYPE(self.learning_rate) * self.retained_gradient).astype(DTYPE)


class Adam(Optimizer):

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        super().__init__(learning_rate)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.m = None
        self.v = None
        self.t = 0

    def update(self, w, grad_loss_w):
        grad = np.asarray(grad_loss_w, dtype=DTYPE)
        if self.m is None:
            self.m = np.zeros_like(grad)
            self.v = np.zeros_like(grad)
        self.t += 1
        self.m = DTYPE(self.beta_1) * self.m + DTYPE(1 - self.beta_1) * grad
        self.v = DTYPE(self.beta_2) * self.v + DTYPE(1 - self.beta_2) * grad * grad
        m_hat = self.m / DTYPE(1 - self.beta_1 ** self.t)
        v_hat = self.v / DTYPE(1 - self.beta_2 ** self.t)
        step = DTYPE(self.learning_rate) * m_hat / (np.sqrt(v_hat) + DTYPE(self.epsilon))
        return (np.asarray(w, dtype=DTYPE) - step).astype(DTYPE)
