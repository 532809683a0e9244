import numpy as np

from numpy_nn.layers import Layer


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
        return 1.0 / (1.0 + np.exp(-input))

    def derivative(self, input):
        sig = self.activation_function(input)
        return sig * (1.0 - sig)


class ReLUActivation(ActivationLayer):
    def activation_function(self, input):
        return np.clip(input, 0, None)

    def derivative(self, input):
        return (input > 0) * 1.0


class TanhActivation(ActivationLayer):
    def activation_function(self, input):
        return np.tanh(input)

    def derivative(self, input):
        return 1.0 - np.tanh(input) ** 2


class SoftmaxActivation(ActivationLayer):
    def activation_function(self, input):
        e = np.exp(input)
        return e / e.sum(axis=1, keepdims=True)

    def derivative(self, input):
        s = self.activation_function(input)
        return s * (1 - s)

    def backward_propagation(self, output_error):
        s = self.activation_function(self.input)
        return s * (output_error - np.sum(output_error * s, axis=1, keepdims=True))
