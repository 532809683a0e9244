"""Kira N. -- the Dataset of the course: features and labels together.

A Dataset is built from X and y; y may be None for data to predict on,
but it is always given.
"""
import numpy as np


class Dataset:

    def __init__(self, X, y, features=None, label=None):
        if X is None:
            raise ValueError("X cannot be None")
        if y is not None and len(X) != len(y):
            raise ValueError("X and y must have the same number of samples")
        if features is not None and len(X[0]) != len(features):
            raise ValueError("the number of features must match the number of columns of X")
        if features is None:
            features = [f"feat_{str(i)}" for i in range(X.shape[1])]
        if y is not None and label is None:
            label = "y"
        self.X = X
        self.y = y
        self.features = features
        self.label = label

    def shape(self):
        return self.X.shape

    def has_label(self):
        return self.y is not None

    def get_classes(self):
        if self.has_label():
            return np.unique(self.y)
        raise ValueError("Dataset does not have a label")
