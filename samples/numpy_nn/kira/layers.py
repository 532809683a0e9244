"""Kira N. -- layers."""
import copy

import numpy as np


class Layer:

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
        self.weights = np.random.randn(self.input_shape()[0], self.n_units) * 0.1
        self.biases = np.zeros((1, self.n_units))
        self.w_opt = copy.deepcopy(optimizer)
        self.b_opt = copy.deepcopy(optimizer)
        return self

    def parameters(self):
        return np.prod(self.weights.shape) + np.prod(self.biases.shape)

    def forward_propagation(self, input, training):
        self.input = input
        self.output = np.dot(self.input, self.weights) + self.biases
        return self.output

    def backward_propagation(self, output_error):
        input_error = np.dot(output_error, self.weights.T)
        weights_error = np.dot(self.input.T, output_error)
        bias_error = np.sum(output_error, axis=0, keepdims=True)
        self.weights = self.w_opt.update(self.weights, weights_error)
        self.biases = self.b_opt.update(self.biases, bias_error)
        return input_error

    def output_shape(self):
        return (self.n_units,)


class Dropout(Layer):

    def __init__(self, probability):
        self.probability = probability
        self._input_shape = None
        self.mask = None
        self.input = None
        self.output = None

    def forward_propagation(self, input, training):
        self.input = input
        if training:
            scaling_factor = 1 / (1 - self.probability)
            self.mask = np.random.binomial(1, 1 - self.probability, size=input.shape)
            self.output = input * self.mask * scaling_factor
            return self.output
        self.output = input
        return self.output

    def backward_propagation(self, output_error):
        return output_error * self.mask

    def output_shape(self):
        return self.input_shape()

    def parameters(self):
        return 0
