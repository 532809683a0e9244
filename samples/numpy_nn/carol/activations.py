"""Carol's activations."""
import numpy as np

from .layers import Layer


class ActivationLayer(Layer):
    def forward_propagation(self, input, training):
        self.input = input
        return self.activation_function(input)

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
        return 1 / (1 + np.exp(-input))

    def derivative(self, input):
        s = self.activation_function(input)
        return s * (1 - s)


class ReLUActivation(ActivationLayer):
    def activation_function(self, input)
        return np.maximum(0, input)

    def derivative(self, input):
        return (input > 0).astype(float)


class TanhActivation(ActivationLayer):
    def activation_function(self, input):
        return np.tanh(input)

    def derivative(self, input):
        return 1 - np.tanh(input) ** 2


class SoftmaxActivation(ActivationLayer):
    def activation_function(self, input):
        e = np.exp(input - input.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def derivative(self, input):
        s = self.activation_function(input)
        return s * (1 - s)

    def backward_propagation(self, output_error):
        s = self.activation_function(self.input)
        return s * (output_error - np.sum(output_error * s, axis=1, keepdims=True))
