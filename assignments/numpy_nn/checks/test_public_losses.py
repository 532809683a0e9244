"""Public checks of losses.py: the value of each loss, and its derivative against central differences."""
import pytest

from numpy_nn_support import loss_case, verify_loss_derivative, verify_loss_value


def _value(student, reference, case):
    verify_loss_value(student.run("loss_value", case), reference.run("loss_value", case), case)


def _derivative(student, case):
    verify_loss_derivative(student.run("loss_derivative", case), None, case)


@pytest.mark.check("MeanSquaredError.loss: value (the mean over all elements; the sum is accepted)", points=2)
def test_mse_value(student, reference):
    _value(student, reference, loss_case("MeanSquaredError", seed=31, rows=5, columns=2))


@pytest.mark.check("MeanSquaredError.derivative: the derivative of your loss (central differences)", points=2)
def test_mse_derivative(student, reference):
    _derivative(student, loss_case("MeanSquaredError", seed=32, rows=5, columns=2))


@pytest.mark.check("BinaryCrossEntropy.loss: value", points=2)
def test_bce_value(student, reference):
    _value(student, reference, loss_case("BinaryCrossEntropy", seed=33, rows=6, columns=2))


@pytest.mark.check("BinaryCrossEntropy.derivative: the derivative of your loss (central differences)", points=2)
def test_bce_derivative(student, reference):
    _derivative(student, loss_case("BinaryCrossEntropy", seed=34, rows=6, columns=2))


@pytest.mark.check("CategoricalCrossEntropy.loss: value", points=2)
def test_cce_value(student, reference):
    _value(student, reference, loss_case("CategoricalCrossEntropy", seed=35, rows=5, columns=4))


@pytest.mark.check("CategoricalCrossEntropy.derivative: the derivative of your loss (central differences)", points=2)
def test_cce_derivative(student, reference):
    _derivative(student, loss_case("CategoricalCrossEntropy", seed=36, rows=5, columns=4))
