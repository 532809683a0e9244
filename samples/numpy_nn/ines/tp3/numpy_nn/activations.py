import numpy as np

from numpy_nn.layers import Layer


class ActivationLayer(Layer):

    def forward_propagation(self, input, training):
        self.input = input
        self.output = self.activation_function(input)
        return self.output

    def backward_propagation(self, output_error):
        return self.derivative(self.input) * output_error

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
        return 1.0 / (1.0 + np.exp(-input))

    def derivative(self, input):
        sig = 1.0 / (1.0 + np.exp(-input))
        return sig * (1.0 - sig)


class ReLUActivation(ActivationLayer):

    def activation_function(self, input):
        return np.where(input > 0, input, 0.0)

    def derivative(self, input):
        return (input > 0).astype(float)


class TanhActivation(ActivationLayer):

    def activation_function(self, input):
        return np.tanh(input)

    def derivative(self, input):
        return 1.0 - np.tanh(input) ** 2


class SoftmaxActivation(ActivationLayer):

    def activation_function(self, input):
        z = input - np.max(input, axis=1, keepdims=True)
        exp_z = np.exp(z)
        return exp_z / np.sum(exp_z, axis=1, keepdims=True)

    def derivative(self, input):
        s = self.activation_function(input)
        return s * (1.0 - s)

    def backward_propagation(self, output_error):
        # jacobiano completo da softmax, linha a linha
        s = self.activation_function(self.input)
        return s * output_error - s * np.sum(s * output_error, axis=1, keepdims=True)
