"""Activation layers; ActivationLayer is abstract too."""
from abc import abstractmethod

import numpy as np

from .layers import Layer


class ActivationLayer(Layer):

    def forward_propagation(self, input, training):
        self.input = input
        self.output = self.activation_function(self.input)
        return self.output

    def backward_propagation(self, output_error):
        return self.derivative(self.input) * output_error

    @abstractmethod
    def activation_function(self, input):
        """f(input)."""

    @abstractmethod
    def derivative(self, input):
        """f'(input)."""

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

    def activation_function(self, input):
        return np.maximum(0, input)

    def derivative(self, input):
        return np.where(input > 0, 1, 0)


class TanhActivation(ActivationLayer):

    def activation_function(self, input):
        return np.tanh(input)

    def derivative(self, input):
        return 1 - np.tanh(input) ** 2


class SoftmaxActivation(ActivationLayer):

    def activation_function(self, input):
        shifted = np.exp(input - np.max(input, axis=-1, keepdims=True))
        return shifted / np.sum(shifted, axis=-1, keepdims=True)

    def derivative(self, input):
        s = self.activation_function(input)
        return s * (1 - s)

    def backward_propagation(self, output_error):
        # softmax mixes the whole row, so the diagonal is not enough: use J^T e per row
        s = self.activation_function(self.input)
        dot = np.sum(output_error * s, axis=-1, keepdims=True)
        return s * (output_error - dot)
