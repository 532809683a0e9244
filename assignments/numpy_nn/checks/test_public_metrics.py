"""Public checks of data.py and metrics.py."""
import numpy as np
import pytest

from numpy_nn_support import rng_for, verify_dataset, verify_metric


def _metric(student, reference, name, y_true, y_pred):
    args = dict(name=name, y_true=y_true, y_pred=y_pred)
    verify_metric(student.run("metric_value", args), reference.run("metric_value", args), args)


@pytest.mark.check("Dataset: keeps X, y, features and label; shape(), has_label(), get_classes()", points=1)
def test_dataset(student, reference):
    rng = rng_for(61)
    args = dict(X=rng.normal(size=(6, 3)), y=rng.integers(0, 3, 6).astype(float), features=["a", "b", "c"],
                label="target")
    verify_dataset(student.run("dataset_basics", args), reference.run("dataset_basics", args), args)


@pytest.mark.check("accuracy: one output column is rounded to 0 or 1", points=1)
def test_accuracy_binary(student, reference):
    y_true = np.array([[0.0], [1.0], [1.0], [0.0], [1.0], [0.0], [1.0], [1.0]])
    y_pred = np.array([[0.2], [0.7], [0.4], [0.6], [0.9], [0.1], [0.51], [0.3]])
    _metric(student, reference, "accuracy", y_true, y_pred)


@pytest.mark.check("accuracy: several output columns are arg-maxed (one-hot labels)", points=2)
def test_accuracy_multiclass(student, reference):
    rng = rng_for(62)
    y_pred = rng.uniform(size=(9, 4))
    y_true = np.eye(4)[rng.integers(0, 4, 9)]
    _metric(student, reference, "accuracy", y_true, y_pred)


@pytest.mark.check("mse: mean of squared differences over all elements", points=1)
def test_mse_metric(student, reference):
    rng = rng_for(63)
    _metric(student, reference, "mse", rng.normal(size=(7, 2)), rng.normal(size=(7, 2)))
