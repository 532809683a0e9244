"""Public checks of optimizer.py: trajectories of SGD (with and without momentum) and Adam over several steps.

Each update gets fresh copies of w and the gradient, so an update that
changes w in place is accepted; only the array it returns counts.
"""
import pytest

from numpy_nn_support import adam, optimizer_case, sgd, verify_trajectory


def _steps(student, reference, name, settings, seed, shape=(3, 2), steps=4, scale=1.0):
    args = dict(name=name, settings=settings, **optimizer_case(seed, shape, steps, scale))
    verify_trajectory(student.run("optimizer_steps", args), reference.run("optimizer_steps", args), args)


@pytest.mark.check("SGD.update: plain gradient descent, w - learning_rate * grad (momentum 0)", points=2)
def test_sgd_plain(student, reference):
    _steps(student, reference, "SGD", sgd(0.1, 0.0), seed=41, steps=3)


@pytest.mark.check("SGD.update: momentum, retained = m * retained + (1 - m) * grad", points=3)
def test_sgd_momentum(student, reference):
    _steps(student, reference, "SGD", sgd(0.1, 0.9), seed=42)


@pytest.mark.check("Adam.update: moments with bias correction over several steps", points=3)
def test_adam(student, reference):
    _steps(student, reference, "Adam", adam(0.01), seed=43, steps=5)
