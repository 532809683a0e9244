"""Jonas Berg -- activation layers."""
import numpy as np

from layers import Layer


class ActivationLayer(Layer):

    def forward_propagation(self, input, training):
        self.input = input
        self.output = self.activation_function(input)
        return self.output

    def backward_propagation(self, output_error):
        return output_error * self.derivative(self.input)

    def activation_function(self, input):
        raise NotImplementedError

    def derivative(self, input):
        raise NotImplementedError

    def output_shape(self):
        return self.input_shape()

    def parameters(self):
        return 0


class SigmoidActivation(ActivationLayer):

    def activation_function(self, input):
        return 0.5 * (1 + np.tanh(0.5 * input))  # the same sigmoid, without overflow warnings

    def derivative(self, input):
        value = self.activation_function(input)
        return value * (1 - value)


class ReLUActivation(ActivationLayer):

    def activation_function(self, input):
        return input * (input > 0)

    def derivative(self, input):
        return np.greater(input, 0).astype(float)


class TanhActivation(ActivationLayer):

    def activation_function(self, input):
        return np.tanh(input)

    def derivative(self, input):
        return 1 / np.cosh(input) ** 2


class SoftmaxActivation(ActivationLayer):

    def activation_function(self, input):
        exps = np.exp(input - input.max(axis=1, keepdims=True))
        return exps / exps.sum(axis=1, keepdims=True)

    def derivative(self, input):
        """The full Jacobian of every row: (batch, n, n)."""
        s = self.activation_function(input)
        return np.einsum("bi,ij->bij", s, np.eye(s.shape[1])) - np.einsum("bi,bj->bij", s, s)

    def backward_propagation(self, output_error):
        jacobians = self.derivative(self.input)
        return np.einsum("bij,bi->bj", jacobians, output_error)
