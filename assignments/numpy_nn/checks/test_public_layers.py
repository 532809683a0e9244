"""Public checks of layers.py: Layer, DenseLayer, Dropout."""
import pytest

from numpy_nn_support import (dense_case, rng_for, verify_dense_bias_gradient, verify_dense_counts,
                              verify_dense_forward, verify_dense_initialize, verify_dense_input_error,
                              verify_dense_numeric, verify_dense_optimizer_copies, verify_dense_stores_update,
                              verify_dense_weight_gradient, verify_dropout_backward, verify_dropout_forward,
                              verify_dropout_inference, without)
from grader.checks import assert_close

DENSE = dense_case(seed=7, n_in=4, n_units=3, batch=5)
DROPOUT_X = rng_for(8).uniform(0.5, 1.5, size=(200, 100))


@pytest.mark.check("Layer.set_input_shape: input_shape() returns it; layer_name() is the class name", points=1)
def test_layer_base(student, reference):
    args = dict(shape=[6])
    got, want = student.run("layer_base", args), reference.run("layer_base", args)
    for key in ("input_shape", "layer_name", "dense_name"):
        assert_close(got[key], want[key], key)


@pytest.mark.check("DenseLayer.initialize: weights (n_in, n_units), biases (1, n_units), random start, returns self",
                   points=2)
def test_dense_initialize(student, reference):
    args = dict(n_in=4, n_units=3, via_set_input_shape=False)
    verify_dense_initialize(student.run("dense_initialize", args), None, args)


@pytest.mark.check("DenseLayer.parameters: counts weights and biases; output_shape() is (n_units,)", points=1)
def test_dense_counts(student, reference):
    args = dict(n_in=5, n_units=2, via_set_input_shape=False)
    verify_dense_counts(student.run("dense_initialize", args), reference.run("dense_initialize", args), args)


@pytest.mark.check("DenseLayer.forward_propagation: output on given weights", points=2)
def test_dense_forward(student, reference):
    args = without(DENSE, "output_error", "learning_rate")
    verify_dense_forward(student.run("dense_forward", args), reference.run("dense_forward", args), args)


@pytest.mark.check("DenseLayer.backward_propagation: input error, with the weights before the update", points=3)
def test_dense_input_error(student, reference):
    verify_dense_input_error(student.run("dense_backward", DENSE), reference.run("dense_backward", DENSE), DENSE)


@pytest.mark.check("DenseLayer.backward_propagation: weight gradient handed to the optimizer", points=3)
def test_dense_weight_gradient(student, reference):
    verify_dense_weight_gradient(student.run("dense_backward", DENSE), reference.run("dense_backward", DENSE), DENSE)


@pytest.mark.check("DenseLayer.backward_propagation: bias gradient handed to the optimizer", points=2)
def test_dense_bias_gradient(student, reference):
    verify_dense_bias_gradient(student.run("dense_backward", DENSE), reference.run("dense_backward", DENSE), DENSE)


@pytest.mark.check("DenseLayer.backward_propagation: keeps the parameters its optimizers return", points=2)
def test_dense_stores_update(student, reference):
    verify_dense_stores_update(student.run("dense_backward", DENSE), None, DENSE)


@pytest.mark.check("DenseLayer.initialize: separate optimizer copies for weights and biases", points=2)
def test_dense_optimizer_copies(student, reference):
    verify_dense_optimizer_copies(student.run("dense_backward", DENSE), None, DENSE)


@pytest.mark.check("DenseLayer.backward_propagation: gradients match central differences", points=3)
def test_dense_numeric(student, reference):
    args = without(DENSE, "learning_rate")
    verify_dense_numeric(student.run("dense_numeric", args), None, args)


@pytest.mark.check("Dropout.forward_propagation: keeps about 1 - p of the units, scaled by 1/(1-p)", points=3)
def test_dropout_forward(student, reference):
    args = dict(probability=0.3, x=DROPOUT_X)
    verify_dropout_forward(student.run("dropout_forward", args), None, args)


@pytest.mark.check("Dropout.forward_propagation: identity at inference", points=2)
def test_dropout_inference(student, reference):
    args = dict(probability=0.3, x=DROPOUT_X[:20])
    verify_dropout_inference(student.run("dropout_inference", args), None, args)


@pytest.mark.check("Dropout.backward_propagation: error flows only through kept units", points=2)
def test_dropout_backward(student, reference):
    args = dict(probability=0.4, x=rng_for(9).uniform(0.5, 1.5, (6, 5)), output_error=rng_for(10).normal(size=(6, 5)))
    verify_dropout_backward(student.run("dropout_backward", args), None, args)
