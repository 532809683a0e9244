"""Jonas Berg -- dataset."""
import numpy as np


class Dataset:

    def __init__(self, X, y=None, features=None, label=None):
        self.X = np.array(X)
        self.y = np.array(y) if y is not None else None
        self.features = features if features is not None else ["feat_" + str(i) for i in range(self.X.shape[1])]
        self.label = "y" if label is None else label

    def shape(self):
        return self.X.shape

    def has_label(self):
        return self.y is not None

    def get_classes(self):
        if not self.has_label():
            raise ValueError("no labels")
        return np.unique(self.y)
