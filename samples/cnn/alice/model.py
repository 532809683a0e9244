"""Alice's CNN: the same architecture, built with a ModuleList and functional ReLU and pooling."""
import math

import torch.nn as nn
import torch.nn.functional as F


def conv_output_size(size, kernel, stride=1, padding=0, dilation=1):
    span = dilation * (kernel - 1) + 1          # input positions one kernel covers
    return math.floor((size + 2 * padding - span) / stride) + 1


class CNN(nn.Module):
    def __init__(self, in_channels=1, image_size=28, n_classes=10, conv_channels=(16, 32), kernel_size=3,
                 hidden_units=64, dropout=0.25):
        super().__init__()
        self.convs = nn.ModuleList()
        side, previous = image_size, in_channels
        for width in conv_channels:
            self.convs.append(nn.Conv2d(previous, width, kernel_size, padding=kernel_size // 2))
            side = conv_output_size(side, kernel_size, padding=kernel_size // 2) // 2   # 2x2 pooling floors
            previous = width
        self.flat_features = previous * side * side
        self.fc1 = nn.Linear(self.flat_features, hidden_units)
        self.fc2 = nn.Linear(hidden_units, n_classes)
        self.drop = nn.Dropout(p=dropout)

    def forward(self, x):
        for conv in self.convs:
            x = F.max_pool2d(F.relu(conv(x)), 2)
        x = x.view(x.size(0), -1)
        x = F.relu(self.fc1(self.drop(x)))
        return self.fc2(self.drop(x))
