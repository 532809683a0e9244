"""Alice's data: numpy scaling first, and her own mini-batch loader instead of DataLoader."""
import math

import numpy as np
import torch


def get_device():
    return torch.device("cuda:0") if torch.cuda.device_count() > 0 else torch.device("cpu")


def prepare_images(images, max_value=255.0):
    array = np.asarray(images, dtype=np.float32) / np.float32(max_value)
    if array.ndim == 3:
        array = array[:, np.newaxis]
    return torch.from_numpy(np.ascontiguousarray(array))


class BatchLoader:
    """Mini-batches of (images, labels); a fresh random order at every pass when shuffling."""

    def __init__(self, images, labels, batch_size, shuffle):
        self.images = torch.as_tensor(images)
        self.labels = torch.as_tensor(np.asarray(labels)).long()
        self.batch_size, self.shuffle = batch_size, shuffle

    def __len__(self):
        return math.ceil(len(self.images) / self.batch_size)

    def __iter__(self):
        n = len(self.images)
        order = torch.randperm(n) if self.shuffle else torch.arange(n)
        for start in range(0, n, self.batch_size):
            index = order[start:start + self.batch_size]
            yield self.images[index], self.labels[index]


def make_loaders(train_images, train_labels, val_images, val_labels, batch_size=64):
    return (BatchLoader(train_images, train_labels, batch_size, shuffle=True),
            BatchLoader(val_images, val_labels, batch_size, shuffle=False))
