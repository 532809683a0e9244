"""numpy_nn: a small neural-network library written with numpy only.

The package is split the way the course slides split it:

- ``layers``      -- ``Layer`` (base class), ``DenseLayer``, ``Dropout``
- ``activations`` -- ``ActivationLayer`` and the sigmoid, ReLU, tanh and softmax layers
- ``losses``      -- ``LossFunction``, ``MeanSquaredError``, ``BinaryCrossEntropy``,
  ``CategoricalCrossEntropy``
- ``optimizer``   -- ``Optimizer``, ``SGD`` (with momentum), ``Adam``
- ``neuralnet``   -- ``NeuralNetwork``, which ties the other modules together
- ``data``        -- ``Dataset``
- ``metrics``     -- ``accuracy``, ``mse``

Import what you need from the modules, e.g.
``from numpy_nn.neuralnet import NeuralNetwork``.
"""
