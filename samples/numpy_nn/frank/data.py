"""Dataset: a feature matrix with an optional label vector."""

import numpy as np


class Dataset:
    """Tabular data: X of shape (n_samples, n_features) and an optional y.

    y is (n_samples,) for one label per example, or (n_samples, n_classes)
    for one-hot labels.
    """

    def __init__(self, X, y=None, features=None, label=None):
        """X: (n_samples, n_features); y: labels or None; features: the
        feature names (default ``feat_0``, ``feat_1``, ...); label: the label's
        name (default ``'y'``)."""
        self.X = np.asarray(X)
        self.y = None if y is None else np.asarray(y)
        if self.y is not None and len(self.y) != len(self.X):
            raise ValueError(f"X has {len(self.X)} rows but y has {len(self.y)}")
        if features is None:
            features = [f"feat_{i}" for i in range(self.X.shape[1])]
        self.features = list(features)
        self.label = "y" if label is None else label

    def shape(self):
        """Shape of X: (n_samples, n_features)."""
        return self.X.shape

    def has_label(self):
        """True when the dataset has labels."""
        return self.y is not None

    def get_classes(self):
        """The distinct values of y, sorted (``np.unique``); ValueError without labels."""
        if not self.has_label():
            raise ValueError("Dataset has no label")
        return np.unique(self.y)
