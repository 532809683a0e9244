# Alice - activations (float32)
import numpy as np

from layers import Layer


class ActivationLayer(Layer):
    def __init__(self):
        super().__init__()
        self.input = None
        self.output = None

    def forward_propagation(self, input, training):
        self.input = input
        self.output = self.activation_function(input)
        return self.output

    def backward_propagation(self, output_error):
        return np.multiply(output_error, self.derivative(self.input))

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
        x = np.asarray(input, dtype=np.float32)
        # two branches so exp never overflows
        out = np.empty_like(x)
        pos = x >= 0
        out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
        e = np.exp(x[~pos])
        out[~pos] = e / (1.0 + e)
        return out

    def derivative(self, input):
        s = self.activation_function(input)
        return s * (1.0 - s)


class ReLUActivation(ActivationLayer):
    def activation_function(self, input):
        x = np.asarray(input, dtype=np.float32)
        return np.where(x > 0, x, np.float32(0))

    def derivative(self, input):
        # I take relu'(0) = 1
        return (np.asarray(input) >= 0).astype(np.float32)


class TanhActivation(ActivationLayer):
    def activation_function(self, input):
        return np.tanh(np.asarray(input, dtype=np.float32))

    def derivative(self, input):
        t = np.tanh(np.asarray(input, dtype=np.float32))
        return 1.0 - t * t


class SoftmaxActivation(ActivationLayer):
    def activation_function(self, input):
        x = np.asarray(input, dtype=np.float32)
        shifted = x - x.max(axis=-1, keepdims=True)
        e = np.exp(shifted)
        return e / e.sum(axis=-1, keepdims=True)

    def derivative(self, input):
        s = self.activation_function(input)
        return s * (1 - s)

    def backward_propagation(self, output_error):
        s = self.activation_function(self.input)
        return s * (output_error - np.sum(output_error * s, axis=1, keepdims=True))
