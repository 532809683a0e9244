"""Jonas Berg -- layers.

Every layer owns what it needs: a DenseLayer keeps its own optimizer objects
(one for the weights, one for the biases), copied from the one it is given.
"""
import copy

import numpy as np


class Layer:

    def __init__(self):
        self._input_shape = None
        self.input = None
        self.output = None

    def forward_propagation(self, input, training):
        raise NotImplementedError(f"{self.layer_name()} must implement forward_propagation")

    def backward_propagation(self, output_error):
        raise NotImplementedError(f"{self.layer_name()} must implement backward_propagation")

    def output_shape(self):
        raise NotImplementedError(f"{self.layer_name()} must implement output_shape")

    def parameters(self):
        raise NotImplementedError(f"{self.layer_name()} must implement parameters")

    def set_input_shape(self, shape):
        self._input_shape = tuple(shape)

    def input_shape(self):
        return self._input_shape

    def layer_name(self):
        return type(self).__name__


class DenseLayer(Layer):

    def __init__(self, n_units, input_shape=None):
        super().__init__()
        self.n_units = n_units
        if input_shape is not None:
            self.set_input_shape(input_shape)
        self.weights = None
        self.biases = None
        self.w_opt = None
        self.b_opt = None

    def initialize(self, optimizer):
        n_inputs = self.input_shape()[0]
        # Xavier / Glorot normal
        std = np.sqrt(2.0 / (n_inputs + self.n_units))
        self.weights = np.random.normal(0.0, std, size=(n_inputs, self.n_units))
        self.biases = np.zeros((1, self.n_units))
        self.w_opt = copy.deepcopy(optimizer)
        self.b_opt = copy.deepcopy(optimizer)
        return self

    def parameters(self):
        return np.prod(self.weights.shape) + np.prod(self.biases.shape)

    def forward_propagation(self, input, training):
        self.input = np.asarray(input)
        self.output = self.input.dot(self.weights) + self.biases
        return self.output

    def backward_propagation(self, output_error):
        grad_weights = self.input.T.dot(output_error)
        grad_biases = output_error.sum(axis=0, keepdims=True)
        input_error = output_error.dot(self.weights.T)
        self.weights = self.w_opt.update(self.weights, grad_weights)
        self.biases = self.b_opt.update(self.biases, grad_biases)
        return input_error

    def output_shape(self):
        return (self.n_units,)


class Dropout(Layer):

    def __init__(self, probability):
        super().__init__()
        self.probability = probability
        self.mask = None

    def forward_propagation(self, input, training):
        self.input = input
        if not training:
            self.output = input
            return self.output
        keep = 1.0 - self.probability
        self.mask = np.random.binomial(1, keep, size=np.shape(input)) / keep
        self.output = input * self.mask
        return self.output

    def backward_propagation(self, output_error):
        # the mask already holds 1/(1-p) for kept units
        return output_error * self.mask

    def output_shape(self):
        return self.input_shape()

    def parameters(self):
        return 0
