# Hugo Ferreira - activation layers
import numpy as np

from layers import Layer


class ActivationLayer(Layer):

    def forward_propagation(self, input, training):
        self.input = input
        self.output = self.activation_function(input=self.input)
        return self.output

    def backward_propagation(self, output_error):
        return output_error * self.derivative(input=self.input)

    def activation_function(self, input):
        raise NotImplementedError

    def derivative(self, input):
        raise NotImplementedError

    def output_shape(self):
        return self._input_shape

    def parameters(self):
        return 0


class SigmoidActivation(ActivationLayer):

    def activation_function(self, input):
        return 1 / (1 + np.exp(-input))

    def derivative(self, input):
        f = self.activation_function(input=input)
        return f * (1 - f)


class ReLUActivation(ActivationLayer):

    def activation_function(self, input):
        return np.maximum(input, 0)

    def derivative(self, input):
        # I take relu'(0) = 1
        return (input >= 0).astype(float)


class TanhActivation(ActivationLayer):

    def activation_function(self, input):
        return np.tanh(input)

    def derivative(self, input):
        return 1 - self.activation_function(input=input) ** 2


class SoftmaxActivation(ActivationLayer):

    def activation_function(self, input):
        e = np.exp(input - input.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def derivative(self, input):
        s = self.activation_function(input=input)
        return s * (1 - s)

    def backward_propagation(self, output_error):
        s = self.activation_function(input=self.input)
        grads = np.empty_like(output_error, dtype=float)
        for i in range(s.shape[0]):
            row = s[i].reshape(-1, 1)
            jacobian = np.diagflat(row) - row @ row.T
            grads[i] = jacobian @ output_error[i]
        return grads
