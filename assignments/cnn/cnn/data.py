"""From numpy images to batches on the right device.

The grader hands your code numpy arrays: images of shape ``(N, H, W)`` (grey)
or ``(N, C, H, W)``, pixel values from 0 to ``max_value``, and integer labels
``(N,)`` with values ``0 .. n_classes - 1``.
"""

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset


def get_device():
    """The device to train on: ``torch.device("cuda")`` when a GPU is available, else ``torch.device("cpu")``.

    Everything that meets in one operation must live on the same device: move
    the model once (``model.to(device)``) and every batch as it comes out of
    the loader (``images.to(device)``).
    """
    # TODO: ask torch.cuda.is_available()
    raise NotImplementedError('get_device: ask torch.cuda.is_available()')


def prepare_images(images, max_value=255.0):
    """Turn a numpy batch of images into the float tensor a ``Conv2d`` expects.

    images: ``(N, H, W)`` or ``(N, C, H, W)`` array of pixel values in ``[0, max_value]``.
    Returns a ``torch.float32`` tensor of shape ``(N, C, H, W)`` (``C = 1`` added
    for grey images) with values scaled to ``[0, 1]`` (divide by ``max_value``).
    ``nn.Conv2d`` weights are float32: a float64 input fails, and unscaled
    0..255 inputs make training slow and unstable.
    """
    # TODO: convert to float32, scale by max_value, add the channel axis to 3-D input
    raise NotImplementedError('prepare_images: convert to float32, scale by max_value, add the channel axis to 3-D input')


def make_loaders(train_images, train_labels, val_images, val_labels, batch_size=64):
    """A ``(train_loader, val_loader)`` pair of ``DataLoader`` over ``(images, labels)`` pairs.

    images: float tensors ``(N, C, H, W)`` (from :func:`prepare_images`);
    labels: integer class indices ``(N,)`` (a numpy array or a tensor). Each
    loader yields ``(images, labels)`` batches of ``batch_size`` (the last may
    be smaller) with labels as a ``torch.int64`` tensor of shape ``(batch,)``:
    the class indices ``nn.CrossEntropyLoss`` expects (not one-hot vectors).

    The training loader reshuffles at every epoch (every pass over it yields
    a new order); the validation loader keeps the data in order.
    """
    # TODO: TensorDataset + DataLoader; shuffle the training data only
    raise NotImplementedError('make_loaders: TensorDataset + DataLoader; shuffle the training data only')
