import numpy as np


class Dataset:

    def __init__(self, X, y=None, features=None, label=None):
        self.X = np.asarray(X)
        self.y = None if y is None else np.asarray(y)
        self.features = list(features) if features is not None else [f"feat_{i}" for i in range(self.X.shape[1])]
        self.label = label if label is not None else "y"

    def shape(self):
        return self.X.shape

    def has_label(self):
        return self.y is not None

    def get_classes(self):
        if self.y is None:
            raise ValueError("the dataset has no labels")
        return np.unique(self.y)
