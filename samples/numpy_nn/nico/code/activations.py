import numpy as np

from .layers import Layer


class ActivationLayer(Layer):

    def forward_propagation(self, input, training):
        self.input = input
        self.output = self.activation_function(input)
        return self.output

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
        return 1 / (1 + np.exp(-input))

    def derivative(self, input):
        s = self.activation_function(input)
        return s * (1 - s)


class ReLUActivation(ActivationLayer):

    def activation_function(self, input):
        return np.maximum(0, input)

    def derivative(self, input):
        return np.heaviside(input, 0.0)


class TanhActivation(ActivationLayer):

    def activation_function(self, input):
        return np.tanh(input)

    def derivative(self, input):
        return 1 - np.square(np.tanh(input))


class SoftmaxActivation(ActivationLayer):

    def activation_function(self, input):
        result = np.empty(np.shape(input))
        for i, row in enumerate(input):
            exps = np.exp(row - np.max(row))
            result[i] = exps / np.sum(exps)
        return result

    def derivative(self, input):
        s = self.activation_function(input)
        return s * (1 - s)

    def backward_propagation(self, output_error):
        s = self.activation_function(self.input)
        input_error = np.empty(np.shape(output_error))
        for i in range(len(s)):
            jacobian = np.diag(s[i]) - np.outer(s[i], s[i])
            input_error[i] = np.dot(jacobian, output_error[i])
        return input_error
