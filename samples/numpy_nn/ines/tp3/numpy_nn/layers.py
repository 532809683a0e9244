import copy

import numpy as np


class Layer:
    """Classe base (os metodos abstratos levantam NotImplementedError)."""

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
        self.n_units = n_units
        self._input_shape = input_shape
        self.input = None
        self.output = None
        self.weights = None
        self.biases = None

    def initialize(self, optimizer):
        n_in = self.input_shape()[0]
        self.weights = np.random.uniform(-0.5, 0.5, size=(n_in, self.n_units))
        self.biases = np.zeros((1, self.n_units))
        self.w_opt = copy.deepcopy(optimizer)
        self.b_opt = copy.deepcopy(optimizer)
        return self

    def parameters(self):
        return self.weights.shape[0] * self.weights.shape[1] + self.n_units

    def forward_propagation(self, input, training):
        self.input = input
        self.output = np.dot(input, self.weights) + self.biases
        return self.output

    def backward_propagation(self, output_error):
        input_error = np.dot(output_error, self.weights.T)
        self.weights = self.w_opt.update(self.weights, np.dot(self.input.T, output_error))
        self.biases = self.b_opt.update(self.biases, output_error.sum(axis=0).reshape(1, -1))
        return input_error

    def output_shape(self):
        return (self.n_units,)


class Dropout(Layer):

    def __init__(self, probability):
        self.probability = probability
        self._input_shape = None
        self.mask = None

    def forward_propagation(self, input, training):
        if training:
            self.mask = (np.random.rand(*input.shape) >= self.probability).astype(float)
            return input * self.mask / (1.0 - self.probability)
        return input

    def backward_propagation(self, output_error):
        return output_error * self.mask / (1.0 - self.probability)

    def output_shape(self):
        return self._input_shape

    def parameters(self):
        return 0
