# Alice - numpy NN library, layers
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
    """Fully connected layer. I do the maths in float32 (halves the memory)."""

    def __init__(self, n_units, input_shape=None):
        super().__init__()
        self.n_units = n_units
        self._input_shape = input_shape
        self.input = None
        self.output = None
        self.weights = None
        self.biases = None

    def initialize(self, optimizer):
        fan_in = self.input_shape()[0]
        # He initialisation: normal with std sqrt(2 / fan_in)
        std = np.sqrt(2.0 / fan_in)
        self.weights = (np.random.randn(fan_in, self.n_units) * std).astype(np.float32)
        self.biases = np.zeros((1, self.n_units), dtype=np.float32)
        self.w_opt = copy.deepcopy(optimizer)
        self.b_opt = copy.deepcopy(optimizer)
        return self

    def parameters(self):
        return self.weights.size + self.biases.size

    def forward_propagation(self, input, training):
        self.input = np.asarray(input, dtype=np.float32)
        W = np.asarray(self.weights, dtype=np.float32)
        b = np.asarray(self.biases, dtype=np.float32)
        self.output = np.einsum("bi,iu->bu", self.input, W) + b
        return self.output

    def backward_propagation(self, output_error):
        err = np.asarray(output_error, dtype=np.float32)
        W = np.asarray(self.weights, dtype=np.float32)
        # error for the previous layer (old weights!)
        input_error = np.dot(err, W.T)
        dW = np.einsum("bi,bu->iu", self.input, err)
        db = err.sum(axis=0, keepdims=True)
        self.weights = self.w_opt.update(self.weights, dW)
        self.biases = self.b_opt.update(self.biases, db)
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
        keep = 1.0 - self.probability
        self.mask = (np.random.rand(*np.shape(input)) < keep).astype(np.float32)
        return input * self.mask / keep

    def backward_propagation(self, output_error):
        # only the units that were kept get an error
        return output_error * self.mask

    def output_shape(self):
        return self.input_shape()

    def parameters(self):
        return 0
