"""Hidden checks of losses.py: a single output column, and predictions of exactly 0 or 1."""
import numpy as np
import pytest

from numpy_nn_support import loss_case, verify_loss_derivative, verify_loss_extremes, verify_loss_value

pytestmark = pytest.mark.hidden


@pytest.mark.check("MeanSquaredError.loss: value and derivative on a single output column", points=2)
def test_hidden_mse_column(student, reference):
    case = loss_case("MeanSquaredError", seed=1031, rows=8, columns=1)
    verify_loss_value(student.run("loss_value", case), reference.run("loss_value", case), case)
    verify_loss_derivative(student.run("loss_derivative", case), None, case)


@pytest.mark.check("BinaryCrossEntropy.loss: finite when a prediction is exactly 0 or 1", points=1)
def test_hidden_bce_extremes(student, reference):
    case = dict(name="BinaryCrossEntropy", y_true=np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]),
                y_pred=np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 0.5]]))
    verify_loss_extremes(student.run("loss_extremes", case), None, case)


@pytest.mark.check("CategoricalCrossEntropy.loss: finite when a predicted probability is 0", points=1)
def test_hidden_cce_extremes(student, reference):
    case = dict(name="CategoricalCrossEntropy", y_true=np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]),
                y_pred=np.array([[0.0, 0.5, 0.5], [0.0, 1.0, 0.0]]))
    verify_loss_extremes(student.run("loss_extremes", case), None, case)


@pytest.mark.check("CategoricalCrossEntropy.derivative: on two classes, the loss value and the derivative of your "
                   "loss", points=1)
def test_hidden_cce_derivative(student, reference):
    case = loss_case("CategoricalCrossEntropy", seed=1032, rows=7, columns=2)
    verify_loss_value(student.run("loss_value", case), reference.run("loss_value", case), case)
    verify_loss_derivative(student.run("loss_derivative", case), None, case)
