"""Public checks of activations.py: ActivationLayer and the sigmoid, ReLU, tanh and softmax layers."""
import numpy as np
import pytest

from numpy_nn_support import (activation_case, rng_for, verify_activation_derivative, verify_activation_layer,
                              verify_activation_values, verify_relu_at_zero, verify_softmax_stability,
                              verify_softmax_values)

X = activation_case(seed=21, rows=4, columns=5)


def _values(student, reference, name, x=X, verdict=verify_activation_values):
    args = dict(name=name, x=x)
    verdict(student.run("activation_values", args), reference.run("activation_values", args), args)


def _derivative(student, name, x=X):
    args = dict(name=name, x=x)
    verify_activation_derivative(student.run("activation_derivative", args), None, args)


@pytest.mark.check("ActivationLayer.forward_propagation: applies activation_function; backward multiplies by "
                   "derivative(input)", points=2)
def test_activation_layer(student, reference):
    args = dict(x=X, output_error=rng_for(22).normal(size=X.shape))
    verify_activation_layer(student.run("activation_layer", args), reference.run("activation_layer", args), args)


@pytest.mark.check("SigmoidActivation.activation_function: values", points=1)
def test_sigmoid_values(student, reference):
    _values(student, reference, "SigmoidActivation")


@pytest.mark.check("SigmoidActivation.derivative: matches central differences of your sigmoid", points=2)
def test_sigmoid_derivative(student, reference):
    _derivative(student, "SigmoidActivation")


@pytest.mark.check("ReLUActivation.activation_function: values", points=1)
def test_relu_values(student, reference):
    _values(student, reference, "ReLUActivation")


@pytest.mark.check("ReLUActivation.derivative: matches central differences of your ReLU (0 or 1 at 0)", points=2)
def test_relu_derivative(student, reference):
    _derivative(student, "ReLUActivation")
    args = dict(name="ReLUActivation", width=3)
    verify_relu_at_zero(student.run("activation_at_zero", args), None, args)


@pytest.mark.check("TanhActivation.activation_function: values", points=1)
def test_tanh_values(student, reference):
    _values(student, reference, "TanhActivation")


@pytest.mark.check("TanhActivation.derivative: matches central differences of your tanh", points=2)
def test_tanh_derivative(student, reference):
    _derivative(student, "TanhActivation")


@pytest.mark.check("SoftmaxActivation.activation_function: each row sums to 1", points=2)
def test_softmax_values(student, reference):
    _values(student, reference, "SoftmaxActivation", verdict=verify_softmax_values)


@pytest.mark.check("SoftmaxActivation.activation_function: numerical stability on large scores", points=2)
def test_softmax_stability(student, reference):
    x = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -1001.0, -1002.0], [0.0, 0.0, 0.0], [710.0, -5.0, 3.0]])
    _values(student, reference, "SoftmaxActivation", x=x, verdict=verify_softmax_stability)


@pytest.mark.check("SoftmaxActivation.derivative: the Jacobian's diagonal s * (1 - s), by central differences",
                   points=2)
def test_softmax_derivative(student, reference):
    _derivative(student, "SoftmaxActivation")
