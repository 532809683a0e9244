import copy

import numpy as np


class Layer:
    def __init__(self):
        self._input_shape = None

    def forward_propagation(self, input, training):
        raise NotImplementedError

    def backward_propagation(self, output_error):
        raise NotImplementedError

    def output_shape(self):
        raise NotImplementedError

    def parameters(self):
        raise NotImplementedError

    def set_input_shape(self, input_shape):
        self._input_shape = input_shape

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
        n_inputs = self.input_shape()[0]
        self.weights = np.random.normal(0.0, np.sqrt(1.0 / n_inputs), size=(n_inputs, self.n_units))
        self.biases = np.zeros((1, self.n_units))
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
        input_error = output_error @ self.weights.T
        self.weights = self.w_opt.update(self.weights, self.input.T @ output_error)
        self.biases = self.b_opt.update(self.biases, output_error.sum(axis=0, keepdims=True))
        return input_error

    def output_shape(self):
        return (self.n_units,)


class Dropout(Layer):
    def __init__(self, probability):
        super().__init__()
        self.probability = probability
        self.mask = None

    def forward_propagation(self, input, training):
        if not training:
            return input
        self.mask = np.random.binomial(1, 1 - self.probability, input.shape) / (1 - self.probability)
        return input * self.mask

    def backward_propagation(self, output_error):
        return output_error * self.mask

    def output_shape(self):
        return self.input_shape()

    def parameters(self):
        return 0
