"""Hidden checks of metrics.py: label vectors next to column outputs."""
import numpy as np
import pytest

from numpy_nn_support import rng_for, verify_metric

pytestmark = pytest.mark.hidden


def _metric(student, reference, name, y_true, y_pred):
    args = dict(name=name, y_true=y_true, y_pred=y_pred)
    verify_metric(student.run("metric_value", args), reference.run("metric_value", args), args)


@pytest.mark.check("accuracy: class-index labels against several output columns", points=1)
def test_hidden_accuracy_indices(student, reference):
    rng = rng_for(1061)
    _metric(student, reference, "accuracy", rng.integers(0, 3, 10).astype(float), rng.uniform(size=(10, 3)))


@pytest.mark.check("accuracy: a label vector against one output column", points=1)
def test_hidden_accuracy_vector(student, reference):
    _metric(student, reference, "accuracy", np.array([1.0, 0.0, 1.0, 1.0, 0.0, 0.0]),
            np.array([[0.8], [0.3], [0.2], [0.9], [0.6], [0.4]]))


@pytest.mark.check("mse: a label vector against one output column (no broadcasting to a square)", points=1)
def test_hidden_mse_vector(student, reference):
    rng = rng_for(1062)
    _metric(student, reference, "mse", rng.normal(size=6), rng.normal(size=(6, 1)))
