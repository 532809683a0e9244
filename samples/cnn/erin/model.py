"""The convolutional network: the output-size formula of a convolution, and the model itself.

Images travel through PyTorch as 4-D tensors ``(N, C, H, W)``: N images in the
batch, C channels (1 for grey digits, 3 for colour), H rows and W columns.
"""

import torch
from torch import nn


def conv_output_size(size, kernel, stride=1, padding=0, dilation=1):
    """Length of a convolution's (or a pooling's) output along one spatial dimension.

    A kernel of ``kernel`` taps with dilation ``d`` spans ``d * (kernel - 1) + 1``
    input positions. After ``padding`` zeros are added on *both* sides, the
    kernel fits at every ``stride``-th position that keeps it inside::

        out = floor((size + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1

    Examples: a 28-pixel row, kernel 3, padding 1 -> 28 ("same" size);
    kernel 5, no padding -> 24; max-pooling with kernel 2, stride 2 halves the
    size (rounding down): 7 -> 3. This is the formula ``nn.Conv2d`` and
    ``nn.MaxPool2d`` use (their ``ceil_mode=False`` default).

    All arguments are ints; returns an int (use integer division, ``//``).
    """
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


class CNN(nn.Module):
    """A small convolutional classifier.

    Architecture (build it in this order; the checks count the parameters)::

        for each out_channels in conv_channels:           # one "block" per entry
            Conv2d(channels, out_channels, kernel_size, padding=kernel_size // 2)
            ReLU
            MaxPool2d(kernel_size=2, stride=2)
        flatten                                            # (N, flat_features)
        Dropout(dropout) -> Linear(flat_features, hidden_units) -> ReLU
        Dropout(dropout) -> Linear(hidden_units, n_classes)

    Shapes for the defaults (1 x 28 x 28 digits)::

        (N, 1, 28, 28) -conv-> (N, 16, 28, 28) -pool-> (N, 16, 14, 14)
                       -conv-> (N, 32, 14, 14) -pool-> (N, 32, 7, 7)
        flatten -> (N, 1568) -> (N, 64) -> (N, 10)

    ``flat_features`` (an int attribute) is the size after flattening:
    ``conv_channels[-1] * s * s`` where ``s`` is the image size after every
    block, computed with :func:`conv_output_size` so that any ``image_size``
    works (8 x 8 digits give s = 2; do not hard-code 7 x 7).

    ``forward`` returns raw scores (logits) of shape ``(N, n_classes)``, not
    probabilities: ``nn.CrossEntropyLoss`` applies log-softmax itself.
    Dropout must be a module (``nn.Dropout``) so that ``model.eval()`` turns it off.
    """

    def __init__(self, in_channels=1, image_size=28, n_classes=10, conv_channels=(16, 32), kernel_size=3,
                 hidden_units=64, dropout=0.25):
        super().__init__()
        blocks = []
        channels, size = in_channels, image_size
        for out_channels in conv_channels:
            padding = kernel_size // 2
            blocks += [nn.Conv2d(channels, out_channels, kernel_size, padding=padding), nn.ReLU(), nn.MaxPool2d(2)]
            size = conv_output_size(size, kernel_size, padding=padding)
            size = conv_output_size(size, 2, stride=2)
            channels = out_channels
        self.features = nn.Sequential(*blocks)
        self.flat_features = channels * size * size
        self.dropout = nn.Dropout(dropout)
        self.hidden = nn.Linear(self.flat_features, hidden_units)
        self.output = nn.Linear(hidden_units, n_classes)

    def forward(self, x):
        """x: (N, in_channels, image_size, image_size) float tensor -> logits (N, n_classes)."""
        x = self.features(x)
        x = torch.flatten(x, start_dim=1)
        x = torch.relu(self.hidden(self.dropout(x)))
        return self.output(self.dropout(x))
