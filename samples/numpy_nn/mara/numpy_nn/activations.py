import numpy as np

from .layers import DTYPE, Layer


class ActivationLayer(Layer):

    def forward_propagation(self, input, training):
        self.input = np.asarray(input, dtype=DTYPE)
        self.output = self.activation_function(self.input)
        return self.output

    def backward_propagation(self, output_error):
        return np.asarray(output_error, dtype=DTYPE) * self.derivative(self.input)

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
        input = np.asarray(input, dtype=DTYPE)
        return (1 / (1 + np.exp(-input))).astype(DTYPE)

    def derivative(self, input):
        s = self.activation_function(input)
        return s * (1 - s)


class ReLUActivation(ActivationLayer):

    def activation_function(self, input):
        return np.maximum(np.asarray(input, dtype=DTYPE), 0)

    def derivative(self, input):
        return (np.asarray(input) > 0).astype(DTYPE)


class TanhActivation(ActivationLayer):

    def activation_function(self, input):
        return np.tanh(np.asarray(input, dtype=DTYPE))

    def derivative(self, input):
        t = self.activation_function(input)
        return 1 - t * t


class SoftmaxActivation(ActivationLayer):

    def activation_function(self, input):
        input = np.asarray(input, dtype=DTYPE)
        e = np.exp(input - input.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def derivative(self, input):
        s = self.activation_function(input)
        return s * (1 - s)

    def backward_propagation(self, output_error):
        s = self.activation_function(self.input)
        g = np.asarray(output_error, dtype=DTYPE)
        return s * (g - (g * s).sum(axis=1, keepdims=True))
