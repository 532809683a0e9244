"""Carol's model.py."""

import torch
from torch import nn


def conv_output_size(size, kernel, stride=1, padding=0, dilation=1):
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


class CNN(nn.Module):
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
        self.flat_features = channels * 7 * 7  # 28 -> 14 -> 7
        self.dropout = nn.Dropout(dropout)
        self.hidden = nn.Linear(self.flat_features, hidden_units)
        self.output = nn.Linear(hidden_units, n_classes)

    def forward(self, x):
        """x: (N, in_channels, image_size, image_size) float tensor -> logits (N, n_classes)."""
        x = self.features(x)
        x = torch.flatten(x, start_dim=1)
        x = torch.relu(self.hidden(self.dropout(x)))
        return self.output(self.dropout(x))
