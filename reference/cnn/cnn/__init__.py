"""cnn: training a convolutional network on digit images with PyTorch.

- ``model`` -- ``conv_output_size`` (the output-size formula) and ``CNN`` (the network)
- ``data``  -- ``get_device``, ``prepare_images`` (numpy -> float tensors), ``make_loaders``
- ``train`` -- ``regularization_penalty``, ``train_epoch``, ``evaluate``, ``predict``, ``fit``
  (early stopping), ``save_checkpoint``, ``load_checkpoint``

Import what you need from the modules, e.g. ``from cnn.train import fit``.
"""
