"""Carol's data.py."""

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset


def get_device():
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def prepare_images(images, max_value=255.0):
    x = torch.as_tensor(np.asarray(images), dtype=torch.float32) / max_value
    if x.ndim == 3:
        x = x.unsqueeze(1)
    return x


def make_loaders(train_images, train_labels, val_images, val_labels, batch_size=64):
    train = TensorDataset(torch.as_tensor(train_images), torch.as_tensor(train_labels, dtype=torch.long))
    val = TensorDataset(torch.as_tensor(val_images), torch.as_tensor(val_labels, dtype=torch.long))
    return DataLoader(train, batch_size=batch_size, shuffle=True), DataLoader(val, batch_size=batch_size, shuffle=False)
