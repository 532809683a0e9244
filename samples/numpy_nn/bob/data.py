import numpy as np


class Dataset:
    def __init__(self, X, y=None, features=None, label=None):
        self.X = np.asarray(X)
        self.y = None if y is None else np.asarray(y)
        if self.y is not None and len(self.y) != len(self.X):
            raise ValueError(f"X has {len(self.X)} rows but y has {len(self.y)}")
        if features is None:
            features = [f"feat_{i}" for i in range(self.X.shape[1])]
        self.features = list(features)
        self.label = "y" if label is None else label

    def shape(self):
        return self.X.shape

    def has_label(self):
        return self.y is not None

    def get_classes(self):
        if not self.has_label():
            raise ValueError("Dataset has no label")
        return np.unique(self.y)
