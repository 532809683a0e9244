"""Hidden checks of activations.py: other inputs, extremes, and softmax's backward pass."""
import numpy as np
import pytest

from numpy_nn_support import (activation_case, rng_for, verify_activation_derivative, verify_activation_layer,
                              verify_activation_values, verify_softmax_backward, verify_softmax_values)

pytestmark = pytest.mark.hidden


@pytest.mark.check("SigmoidActivation.activation_function: saturates to 0 and 1 on large inputs", points=1)
def test_hidden_sigmoid_extremes(student, reference):
    args = dict(name="SigmoidActivation", x=np.array([[-800.0, -40.0, -5.0, 0.0], [5.0, 40.0, 800.0, 0.5]]))
    verify_activation_values(student.run("activation_values", args), reference.run("activation_values", args), args)


@pytest.mark.check("ReLUActivation.derivative: matches central differences on a wide range", points=1)
def test_hidden_relu_derivative(student, reference):
    args = dict(name="ReLUActivation", x=activation_case(seed=1021, rows=6, columns=3, low=-40, high=40))
    verify_activation_derivative(student.run("activation_derivative", args), None, args)


@pytest.mark.check("TanhActivation.derivative: matches central differences (other inputs)", points=1)
def test_hidden_tanh_derivative(student, reference):
    args = dict(name="TanhActivation", x=activation_case(seed=1022, rows=2, columns=7, low=-2, high=2))
    verify_activation_derivative(student.run("activation_derivative", args), None, args)


@pytest.mark.check("SoftmaxActivation.activation_function: row-wise on two classes", points=1)
def test_hidden_softmax_two_classes(student, reference):
    args = dict(name="SoftmaxActivation", x=activation_case(seed=1023, rows=6, columns=2))
    verify_softmax_values(student.run("activation_values", args), reference.run("activation_values", args), args)


@pytest.mark.check("SoftmaxActivation.backward_propagation: the full Jacobian (or its diagonal) by central "
                   "differences", points=1)
def test_hidden_softmax_backward(student, reference):
    x = activation_case(seed=1024, rows=3, columns=4)
    args = dict(name="SoftmaxActivation", x=x, output_error=rng_for(1025).normal(size=x.shape))
    verify_softmax_backward(student.run("activation_backward", args), None, args)


@pytest.mark.check("ActivationLayer.backward_propagation: output_error * derivative(input) (other inputs)", points=1)
def test_hidden_activation_layer(student, reference):
    x = activation_case(seed=1026, rows=5, columns=2, low=-1.5, high=1.5)
    args = dict(x=x, output_error=rng_for(1027).normal(size=x.shape))
    verify_activation_layer(student.run("activation_layer", args), reference.run("activation_layer", args), args)
