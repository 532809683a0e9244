"""Layers of a feed-forward network.

Every layer maps a batch of examples to a batch of outputs: arrays have the
batch on axis 0, so an input of ``n_in`` features is an array ``(batch, n_in)``.
"""

import copy

import numpy as np


class Layer:
    """Base class of all layers.

    A layer knows how to go forward (input -> output), how to go backward
    (dE/d output -> dE/d input, updating its own parameters on the way), its
    output shape and its number of trainable parameters. The shapes it reports
    leave out the batch axis: a dense layer of 10 units has output shape ``(10,)``.
    """

    def __init__(self):
        """Start with an unknown input shape; the network sets it in ``add``."""
        self._input_shape = None

    def forward_propagation(self, input, training):
        """Compute the layer's output for a batch.

        input: (batch, ...) array; training: True while fitting (layers such as
        Dropout behave differently at inference). Returns the output batch.
        """
        raise NotImplementedError

    def backward_propagation(self, output_error):
        """Back-propagate the error dE/d output, updating parameters if any.

        output_error: same shape as the last output. Returns dE/d input, the
        same shape as the last input.
        """
        raise NotImplementedError

    def output_shape(self):
        """Shape of one example of the output (without the batch axis)."""
        raise NotImplementedError

    def parameters(self):
        """Number of trainable parameters of the layer (an int)."""
        raise NotImplementedError

    def set_input_shape(self, shape):
        """Set the shape of one example of the input (without the batch axis)."""
        self._input_shape = shape

    def input_shape(self):
        """Shape of one example of the input (without the batch axis)."""
        return self._input_shape

    def layer_name(self):
        """Name of the layer: its class name, e.g. ``'DenseLayer'``."""
        return self.__class__.__name__


class DenseLayer(Layer):
    """Fully connected layer: every input feature feeds every unit.

    output = input @ weights + biases

    input: (batch, n_in) -> output: (batch, n_units), with
    weights: (n_in, n_units) and biases: (1, n_units) (broadcast over the batch).
    """

    def __init__(self, n_units, input_shape=None):
        """Create a layer of ``n_units`` units.

        n_units: number of units (neurons). input_shape: ``(n_features,)``;
        needed for the first layer only, the network sets it for the others.
        Parameters are created later by ``initialize``, once the input shape is known.
        """
        super().__init__()
        self.n_units = n_units
        self._input_shape = input_shape
        self.input = None
        self.output = None
        self.weights = None
        self.biases = None
        self.w_opt = None
        self.b_opt = None

    def initialize(self, optimizer):
        """Create the parameters and the optimizers that will update them.

        weights: (n_in, n_units), uniform in [-0.5, 0.5) (``np.random.rand(...) - 0.5``);
        biases: zeros (1, n_units). ``w_opt`` and ``b_opt`` are independent deep
        copies of ``optimizer``, because an optimizer with state (momentum, Adam's
        moments) must keep one state per parameter array. Returns self.
        """
        # <SOL> weights drawn uniformly from [-0.5, 0.5) with shape (n_in, n_units), biases zero with shape (1, n_units), and an independent copy of the optimizer for the weights and another for the biases; return self
        n_in = self.input_shape()[0]
        self.weights = np.random.rand(n_in, self.n_units) - 0.5
        self.biases = np.zeros((1, self.n_units))
        self.w_opt = copy.deepcopy(optimizer)
        self.b_opt = copy.deepcopy(optimizer)
        return self
        # </SOL>

    def parameters(self):
        """Number of trainable parameters: n_in * n_units weights + n_units biases."""
        # <SOL> the number of weights plus the number of biases, as an int
        return int(np.prod(self.weights.shape) + np.prod(self.biases.shape))
        # </SOL>

    def forward_propagation(self, input, training):
        """output = input @ weights + biases.

        input: (batch, n_in) -> output: (batch, n_units). The input is kept for
        the backward pass. ``training`` makes no difference to a dense layer.
        """
        # <SOL> remember the input (backward propagation needs it), then return XW + b
        self.input = input
        self.output = input @ self.weights + self.biases
        return self.output
        # </SOL>

    def backward_propagation(self, output_error):
        """Back-propagate dE/d output and take one optimizer step.

        output_error = dE/d output: (batch, n_units). With X the stored input (batch, n_in):

        - dE/d input   = output_error @ weights.T          (batch, n_in), returned;
        - dE/d weights = X.T @ output_error                 (n_in, n_units);
        - dE/d biases  = sum of output_error over the batch (1, n_units).

        dE/d input uses the weights *before* they are updated: it is the
        gradient at the point where the forward pass was computed.
        """
        # <SOL> the error at the input is ∂E/∂Y · Wᵀ with the weights before the update; the weight gradient is Xᵀ · ∂E/∂Y and the bias gradient the sum of ∂E/∂Y over the batch; update both with their optimizers; return the error at the input
        input_error = output_error @ self.weights.T
        weights_error = self.input.T @ output_error
        bias_error = np.sum(output_error, axis=0, keepdims=True)
        self.weights = self.w_opt.update(self.weights, weights_error)
        self.biases = self.b_opt.update(self.biases, bias_error)
        return input_error
        # </SOL>

    def output_shape(self):
        """Shape of one output example: ``(n_units,)``."""
        return (self.n_units,)


class Dropout(Layer):
    """Dropout: randomly silences units while training, to fight overfitting.

    Training ("inverted dropout"): each unit is kept with probability 1 - p,
    mask ~ Bernoulli(1 - p), output = input * mask / (1 - p). Dividing by
    1 - p keeps the expected output equal to the input, so nothing needs
    rescaling at inference, where the layer is the identity.
    Shapes: input (batch, ...) -> output, same shape.
    """

    def __init__(self, probability):
        """probability: p, the chance of dropping each unit, 0 <= p < 1."""
        super().__init__()
        if not 0 <= probability < 1:
            raise ValueError(f"probability must be in [0, 1), got {probability}")
        self.probability = probability
        self.mask = None
        self.input = None
        self.output = None

    def forward_propagation(self, input, training):
        """Training: input * mask / (1 - p), mask ~ Bernoulli(1 - p) of input's shape.

        Inference (training=False): return the input unchanged.
        input: (batch, ...) -> output: same shape. The mask is kept for backward.
        """
        # <SOL> when training, draw a mask that keeps each unit with probability 1 - p (remember it), and return the kept inputs scaled by 1 / (1 - p); otherwise return the input unchanged
        self.input = input
        if training:
            self.mask = np.random.binomial(1, 1 - self.probability, size=input.shape)
            self.output = input * self.mask / (1 - self.probability)
        else:
            self.output = input
        return self.output
        # </SOL>

    def backward_propagation(self, output_error):
        """dE/d input = output_error * mask / (1 - p): dropped units get no gradient.

        output_error: same shape as the output -> returns the same shape.
        The scale 1/(1 - p) is the exact derivative of the forward pass; the
        course also accepts ``output_error * mask`` (without the scale), which
        only rescales the gradient reaching the layers below.
        """
        # <SOL> the output error through the same mask, scaled by 1 / (1 - p)
        return output_error * self.mask / (1 - self.probability)
        # </SOL>

    def output_shape(self):
        """Same as the input shape: dropout does not change shapes."""
        return self.input_shape()

    def parameters(self):
        """Dropout has no trainable parameters: 0."""
        return 0
