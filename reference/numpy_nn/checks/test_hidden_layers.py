"""Hidden checks of layers.py: other sizes and probabilities than the public ones."""
import pytest

from numpy_nn_support import (dense_case, rng_for, verify_dense_backward, verify_dense_initialize,
                              verify_dense_numeric, verify_dropout_backward, verify_dropout_forward, without)

pytestmark = pytest.mark.hidden

WIDE = dense_case(seed=1007, n_in=6, n_units=7, batch=9, learning_rate=0.05)


@pytest.mark.check("DenseLayer.initialize: takes n_in from set_input_shape when no input_shape was given", points=1)
def test_hidden_dense_initialize_later(student, reference):
    args = dict(n_in=6, n_units=2, via_set_input_shape=True)
    verify_dense_initialize(student.run("dense_initialize", args), None, args)


@pytest.mark.check("DenseLayer.backward_propagation: output, input error and both gradients on a wider layer",
                   points=3)
def test_hidden_dense_backward(student, reference):
    verify_dense_backward(student.run("dense_backward", WIDE), reference.run("dense_backward", WIDE), WIDE)


@pytest.mark.check("DenseLayer.backward_propagation: gradients match central differences (one input feature)",
                   points=2)
def test_hidden_dense_numeric(student, reference):
    args = without(dense_case(seed=1008, n_in=1, n_units=5, batch=3), "learning_rate")
    verify_dense_numeric(student.run("dense_numeric", args), None, args)


@pytest.mark.check("Dropout.forward_propagation: keeps about 1 - p of the units with p = 0.6, and all with p = 0",
                   points=2)
def test_hidden_dropout_forward(student, reference):
    args = dict(probability=0.6, x=rng_for(1009).uniform(-2.0, -0.5, size=(150, 120)))
    verify_dropout_forward(student.run("dropout_forward", args), None, args)
    args = dict(probability=0.0, x=rng_for(1010).uniform(0.5, 1.5, size=(8, 6)))
    verify_dropout_forward(student.run("dropout_forward", args), None, args)


@pytest.mark.check("Dropout.backward_propagation: error flows only through kept units (p = 0.2)", points=1)
def test_hidden_dropout_backward(student, reference):
    args = dict(probability=0.2, x=rng_for(1011).uniform(0.5, 1.5, (10, 4)), output_error=rng_for(1012).normal(size=(10, 4)))
    verify_dropout_backward(student.run("dropout_backward", args), None, args)
