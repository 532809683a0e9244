# Hugo Ferreira - TP numpy_nn - layers
import copy

import numpy as np


class Layer:
    """Base layer. The four first methods are abstract (every layer writes its own)."""

    def forward_propagation(self, input, training):
        raise NotImplementedError

    def backward_propagation(self, output_error):
        raise NotImplementedError

    def output_shape(self):
        raise NotImplementedError

    def parameters(self):
        raise NotImplementedError

    def set_input_shape(self, shape):
        self._input_shape = shape

    def input_shape(self):
        return self._input_shape

    def layer_name(self):
        return self.__class__.__name__


class DenseLayer(Layer):

    def __init__(self, n_units, input_shape=None):
        super().__init__()
        self.n_units = n_units
        self._input_shape = input_shape
        self.input = None
        self.output = None
        self.weights = None
        self.biases = None

    def initialize(self, optimizer):
        self.weights = np.random.rand(self.input_shape()[0], self.n_units) - 0.5
        self.biases = np.zeros(shape=(1, self.n_units))
        self.w_opt = copy.deepcopy(optimizer)
        self.b_opt = copy.deepcopy(optimizer)
        return self

    def parameters(self):
        return self.weights.size + self.biases.size

    def forward_propagation(self, input, training):
        self.input = input
        self.output = input @ self.weights + self.biases
        return self.output

    def backward_propagation(self, output_error):
        # error for the previous layer, with the weights used in the forward pass
        input_error = output_error @ self.weights.T
        weights_error = self.input.T @ output_error
        bias_error = np.sum(output_error, axis=0, keepdims=True)
        self.weights = self.w_opt.update(w=self.weights, grad_loss_w=weights_error)
        self.biases = self.b_opt.update(w=self.biases, grad_loss_w=bias_error)
        return input_error

    def output_shape(self):
        return (self.n_units,)


class Dropout(Layer):

    def __init__(self, probability):
        super().__init__()
        self._input_shape = None
        self.probability = probability
        self.mask = None

    def forward_propagation(self, input, training):
        if not training:
            return input
        scaling_factor = 1 / (1 - self.probability)
        self.mask = np.random.binomial(n=1, p=1 - self.probability, size=input.shape)
        return input * self.mask * scaling_factor

    def backward_propagation(self, output_error):
        # only the units that were kept pass their error back
        return output_error * self.mask

    def output_shape(self):
        return self.input_shape()

    def parameters(self):
        return 0
