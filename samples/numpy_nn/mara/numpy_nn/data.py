import numpy as np

from .layers import DTYPE


class Dataset:

    def __init__(self, X, y=None, features=None, label=None):
        self.X = np.asarray(X, dtype=DTYPE)
        self.y = None if y is None else np.asarray(y)
        self.features = [f"feat_{i}" for i in range(self.X.shape[1])] if features is None else list(features)
        self.label = "y" if label is None else label

    def shape(self):
        return self.X.shape

    def has_label(self):
        return self.y is not None

    def get_classes(self):
        if self.y is None:
            raise ValueError("this dataset has no labels")
        return np.unique(self.y)
