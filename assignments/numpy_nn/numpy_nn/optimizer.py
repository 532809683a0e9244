"""Optimizers: given a parameter array and dLoss/d parameter, return the updated array.

Each parameter array (a layer's weights, its biases) gets its own optimizer
object, so optimizers with memory (momentum, Adam's moments) keep one state
per array. ``update`` works for an array of any shape; the gradient has the
same shape as the parameter.
"""

import numpy as np


class Optimizer:
    """Base class of optimizers."""

    def __init__(self, learning_rate):
        """learning_rate: the step size."""
        self.learning_rate = learning_rate

    def update(self, w, grad_loss_w):
        """Return the updated w (same shape as w) given grad_loss_w = dLoss/dw."""
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent with momentum.

    retained_gradient = momentum * retained_gradient + (1 - momentum) * grad
    w_new             = w - learning_rate * retained_gradient

    retained_gradient is an exponential moving average of past gradients;
    with momentum = 0 this is plain gradient descent, w - learning_rate * grad.
    """

    def __init__(self, learning_rate=0.01, momentum=0.0):
        """learning_rate: step size; momentum: weight of past gradients, in [0, 1)."""
        super().__init__(learning_rate)
        self.momentum = momentum
        # Created at the first update, when the shape of w is known.
        self.retained_gradient = None

    def update(self, w, grad_loss_w):
        """One SGD step. w, grad_loss_w: same shape -> returns the new w."""
        # TODO: momentum: the retained gradient starts at zero; r ← β·r + (1 - β)·∇w; return w - η·r
        raise NotImplementedError('SGD.update: momentum: the retained gradient starts at zero; r ← β·r + (1 - β)·∇w; return w - η·r')


class Adam(Optimizer):
    """Adam: per-element step sizes from running moments of the gradient.

    At step t (starting at 1), with g the gradient:
    m = beta_1 * m + (1 - beta_1) * g           (mean of g)
    v = beta_2 * v + (1 - beta_2) * g**2        (mean of g**2)
    m_hat = m / (1 - beta_1**t);  v_hat = v / (1 - beta_2**t)   (bias correction:
    m and v start at 0, which would shrink the first steps)
    w_new = w - learning_rate * m_hat / (sqrt(v_hat) + epsilon)
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        """learning_rate: step size; beta_1, beta_2: decay rates of the two
        moments; epsilon: keeps the division defined when v_hat is 0."""
        super().__init__(learning_rate)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        # m and v are created at the first update, when the shape of w is known.
        self.m = None
        self.v = None
        self.t = 0

    def update(self, w, grad_loss_w):
        """One Adam step. w, grad_loss_w: same shape -> returns the new w."""
        # TODO: Adam: m and v start at zero; t ← t + 1; m ← β₁·m + (1 - β₁)·∇w; v ← β₂·v + (1 - β₂)·∇w²; m̂ = m / (1 - β₁ᵗ), v̂ = v / (1 - β₂ᵗ); return w - η·m̂ / (√v̂ + ε)
        raise NotImplementedError('Adam.update: Adam: m and v start at zero; t ← t + 1; m ← β₁·m + (1 - β₁)·∇w; v ← β₂·v + (1 - β₂)·∇w²; m̂ = m / (1 - β₁ᵗ), v̂ = v / (1 - β₂ᵗ); return w - η·m̂ / (√v̂ + ε)')
