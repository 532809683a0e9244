"""The backprop checks: the grader's fixtures, plus the digit data and a gradient check that explains itself."""
import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from grader.checks import CheckFailure, ProbeFailure, assert_gradient, fresh_seed, relative_error
from grader.checks.datasets import disguise_features
from grader.engine.pytest_plugin import *  # noqa: F401,F403


@pytest.fixture
def digits():
    """``digits(classes=None, seed=0)``: the split the notebook's ``get_digits`` makes (labels stay in the harness;
    at final grading the pixels are disguised, see ``disguise_features``)."""
    def load(classes=None, seed=0, test_size=0.25):
        data = load_digits()
        X, labels = data.data / 16 - 0.5, data.target
        if classes is not None:
            keep = np.isin(labels, classes)
            X, labels = X[keep], (labels[keep] == classes[1]).astype(float)
        X_train, X_test, y_train, y_test = train_test_split(X, labels, test_size=test_size,
                                                            random_state=fresh_seed(seed), stratify=labels)
        # The notebook may load the same digits: at final grading, rows it cannot look up.
        return (*disguise_features(X_train, X_test), y_train, y_test)
    return load


def _check_gradient(analytic, numeric, what, own_numeric=None, tolerance=1e-4):
    """``analytic`` against the numeric gradient of the assignment's loss; on failure, say whether it at least
    matches the numeric gradient of the student's own loss (``own_numeric()``, called only then)."""
    try:
        assert_gradient(analytic, numeric, what, tolerance)
    except CheckFailure as failure:
        note = ""
        if own_numeric is not None:
            try:
                own = own_numeric()
            except ProbeFailure:
                own = None
            if own is not None and np.shape(own) == np.shape(analytic):
                if relative_error(analytic, own) <= tolerance:
                    note = ("\nIt does match the numeric gradient of your own loss and forward functions, so those "
                            "compute something other than the assignment's (average) cross-entropy.")
                else:
                    note = "\nIt does not match the numeric gradient of your own loss and forward functions either."
        raise CheckFailure(failure.message + note, failure.misconception, failure.artifacts) from None


@pytest.fixture
def check_gradient():
    return _check_gradient
