import numpy as np


class Dataset:

    def __init__(self, X, y=None, features=None, label=None):
        self.X = X
        self.y = y
        self.features = features if features is not None else [f"feat_{i}" for i in range(X.shape[1])]
        self.label = label if label is not None else "y"

    def shape(self):
        return self.X.shape

    def has_label(self):
        return self.y is not None

    def get_classes(self):
        if self.y is None:
            raise ValueError("Dataset sem label")
        return np.unique(self.y)
