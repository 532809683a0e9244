import copy

import numpy as np

DTYPE = np.float32


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
        n_in = self.input_shape()[0]
        limit = np.sqrt(6.0 / (n_in + self.n_units))  # Xavier/Glorot uniform
        self.weights = np.random.uniform(-limit, limit, (n_in, self.n_units)).astype(DTYPE)
        self.biases = np.zeros((1, self.n_units), dtype=DTYPE)
        self.w_opt = copy.deepcopy(optimizer)
        self.b_opt = copy.deepcopy(optimizer)
        return self

    def parameters(self):
        return self.weights.size + self.biases.size

    def forward_propagation(self, input, training):
        self.input = np.asarray(input, dtype=DTYPE)
        self.output = self.input @ self.weights.astype(DTYPE) + self.biases.astype(DTYPE)
        return self.output

    def backward_propagation(self, output_error):
        output_error = np.asarray(output_error, dtype=DTYPE)
        input_error = output_error @ self.weights.T.astype(DTYPE)
        weights_error = self.input.T @ output_error
        bias_error = output_error.sum(axis=0, keepdims=True)
        self.weights = np.asarray(self.w_opt.update(self.weights, weights_error), dtype=DTYPE)
        self.biases = np.asarray(self.b_opt.update(self.biases, bias_error), dtype=DTYPE)
        return input_error

    def output_shape(self):
        return (self.n_units,)


class Dropout(Layer):

    def __init__(self, probability):
        self.probability = probability
        self._input_shape = None
        self.mask = None

    def forward_propagation(self, input, training):
        input = np.asarray(input, dtype=DTYPE)
        if not training:
            return input
        self.mask = (np.random.random_sample(input.shape) >= self.probability).astype(DTYPE)
        return input * self.mask / DTYPE(1 - self.probability)

    def backward_propagation(self, output_error):
        return np.asarray(output_error, dtype=DTYPE) * self.mask / DTYPE(1 - self.probability)

    def output_shape(self):
        return self.input_shape()

    def parameters(self):
        return 0
