"""Activation layers: element-wise (or row-wise) non-linearities.

An activation layer has no parameters. Forward applies f to its input;
backward multiplies the incoming error by f'(input) (the chain rule), except
softmax, whose outputs all depend on every input of the row (see
``SoftmaxActivation.backward_propagation``).
Shapes: input (batch, n) -> output (batch, n).
"""

import numpy as np

from .layers import Layer


class ActivationLayer(Layer):
    """Base class of activation layers.

    Subclasses implement ``activation_function`` (f) and ``derivative`` (f').
    """

    def __init__(self):
        """An activation layer only remembers its last input and output."""
        super().__init__()
        self.input = None
        self.output = None

    def forward_propagation(self, input, training):
        """output = f(input); the input is kept for the backward pass.

        input: (batch, n) -> output: (batch, n). ``training`` makes no difference.
        """
        # TODO: remember the input (backward propagation needs it), then return the activation of the input
        raise NotImplementedError('ActivationLayer.forward_propagation: remember the input (backward propagation needs it), then return the activation of the input')

    def backward_propagation(self, output_error):
        """dE/d input = output_error * f'(input) (element-wise).

        output_error: (batch, n) -> returns (batch, n).
        """
        # TODO: the error at the input: the output error times the activation's derivative at the remembered input (element-wise)
        raise NotImplementedError("ActivationLayer.backward_propagation: the error at the input: the output error times the activation's derivative at the remembered input (element-wise)")

    def activation_function(self, input):
        """f(input), same shape as input."""
        raise NotImplementedError

    def derivative(self, input):
        """f'(input), same shape as input."""
        raise NotImplementedError

    def output_shape(self):
        """Same as the input shape: activations do not change shapes."""
        return self.input_shape()

    def parameters(self):
        """Activation layers have no trainable parameters: 0."""
        return 0


class SigmoidActivation(ActivationLayer):
    """Sigmoid: s(x) = 1 / (1 + exp(-x)), squashes values into (0, 1)."""

    def activation_function(self, input):
        """s(x) = 1 / (1 + exp(-x)), element-wise."""
        # TODO: sigmoid: σ(x) = 1 / (1 + e^(-x)), element-wise (keep e^(-x) from overflowing for very negative x)
        raise NotImplementedError('SigmoidActivation.activation_function: sigmoid: σ(x) = 1 / (1 + e^(-x)), element-wise (keep e^(-x) from overflowing for very negative x)')

    def derivative(self, input):
        """s'(x) = s(x) * (1 - s(x)), element-wise."""
        # TODO: σ'(x) = σ(x)·(1 - σ(x)), element-wise
        raise NotImplementedError("SigmoidActivation.derivative: σ'(x) = σ(x)·(1 - σ(x)), element-wise")


class ReLUActivation(ActivationLayer):
    """Rectified linear unit: relu(x) = max(0, x)."""

    def activation_function(self, input):
        """relu(x) = max(0, x), element-wise."""
        # TODO: ReLU: the input where it is positive, 0 elsewhere
        raise NotImplementedError('ReLUActivation.activation_function: ReLU: the input where it is positive, 0 elsewhere')

    def derivative(self, input):
        """relu'(x) = 1 where x > 0, else 0.

        relu is not differentiable at 0; we take relu'(0) = 0 (1 is also accepted).
        """
        # TODO: ReLU'(x): 1 where the input is positive, 0 elsewhere, as floats
        raise NotImplementedError("ReLUActivation.derivative: ReLU'(x): 1 where the input is positive, 0 elsewhere, as floats")


class TanhActivation(ActivationLayer):
    """Hyperbolic tangent: tanh(x), squashes values into (-1, 1)."""

    def activation_function(self, input):
        """tanh(x), element-wise."""
        # TODO: tanh(x), element-wise
        raise NotImplementedError('TanhActivation.activation_function: tanh(x), element-wise')

    def derivative(self, input):
        """tanh'(x) = 1 - tanh(x)**2, element-wise."""
        # TODO: tanh'(x) = 1 - tanh²(x), element-wise
        raise NotImplementedError("TanhActivation.derivative: tanh'(x) = 1 - tanh²(x), element-wise")


class SoftmaxActivation(ActivationLayer):
    """Softmax over each row: turns a row of scores into probabilities.

    softmax(x)_ij = exp(x_ij) / sum_k exp(x_ik)
    input: (batch, n_classes) -> output: (batch, n_classes), each row sums to 1.
    """

    def activation_function(self, input):
        """Row-wise softmax, numerically stable.

        Subtracting each row's maximum first does not change the result
        (it cancels between numerator and denominator) but keeps exp from
        overflowing on large scores: exp(x - max(x, axis=1)) <= 1.
        """
        # TODO: softmax of each row: e^(x_i - max_j x_j) / Σ_k e^(x_k - max_j x_j) (subtracting the row's maximum avoids overflow)
        raise NotImplementedError("SoftmaxActivation.activation_function: softmax of each row: e^(x_i - max_j x_j) / Σ_k e^(x_k - max_j x_j) (subtracting the row's maximum avoids overflow)")

    def derivative(self, input):
        """s * (1 - s) with s = softmax(input): the diagonal of the Jacobian.

        The full Jacobian of softmax is d s_i / d x_j = s_i * (delta_ij - s_j);
        the course's convention keeps only its diagonal. ``backward_propagation``
        below applies the full Jacobian, which softmax needs to train with
        CategoricalCrossEntropy.
        """
        # TODO: the diagonal of the softmax Jacobian: s·(1 - s) element-wise, where s is the softmax of the input
        raise NotImplementedError('SoftmaxActivation.derivative: the diagonal of the softmax Jacobian: s·(1 - s) element-wise, where s is the softmax of the input')

    def backward_propagation(self, output_error):
        """dE/d input with the full softmax Jacobian, row by row.

        With s = softmax(input) and g = output_error (both (batch, n_classes)):
        dE/d x_j = sum_i g_i * s_i * (delta_ij - s_j) = s_j * (g_j - sum_i g_i * s_i).
        The diagonal alone (``output_error * derivative(input)``) ignores how
        raising one score lowers the other probabilities. Followed by
        CategoricalCrossEntropy, whose error is zero outside the true class,
        it would never push the wrong classes down and training diverges; with
        the full Jacobian the two together give the familiar (s - y_true) / batch.
        Returns (batch, n_classes).
        """
        s = self.activation_function(self.input)
        return s * (output_error - np.sum(output_error * s, axis=1, keepdims=True))
