"""Hidden checks of optimizer.py: other settings, every hyper-parameter used, one state per object.

Every constructor argument is given: defaults are not graded (course code gives Adam's learning rate none, or
another one)."""
import pytest

from numpy_nn_support import adam, optimizer_case, sgd, verify_trajectory

pytestmark = pytest.mark.hidden


def _steps(student, reference, name, settings, case):
    args = dict(name=name, settings=settings, **case)
    verify_trajectory(student.run("optimizer_steps", args), reference.run("optimizer_steps", args), args)


@pytest.mark.check("SGD.update: learning rate 0.01 without momentum, and momentum 0.5, on a vector", points=2)
def test_hidden_sgd_vector(student, reference):
    _steps(student, reference, "SGD", sgd(0.01, 0.0), optimizer_case(1041, (5,), 3))
    _steps(student, reference, "SGD", sgd(0.05, 0.5), optimizer_case(1044, (4,), 6))


@pytest.mark.check("SGD.update: each SGD object keeps its own retained gradient", points=1)
def test_hidden_sgd_own_state(student, reference):
    args = dict(name="SGD", settings=sgd(0.2, 0.5),
                first=optimizer_case(1042, (2, 2), 4), second=optimizer_case(1043, (2, 2), 4))
    got, want = student.run("optimizer_interleaved", args), reference.run("optimizer_interleaved", args)
    for which in (0, 1):
        verify_trajectory(got[which], want[which], args)


@pytest.mark.check("Adam.update: moments with bias correction under other learning_rate, beta_1, beta_2 and "
                   "epsilon", points=3)
def test_hidden_adam_settings(student, reference):
    _steps(student, reference, "Adam", adam(0.05, beta_1=0.8, beta_2=0.95, epsilon=0.05),
           optimizer_case(1045, (3, 3), 4, scale=0.1))
    _steps(student, reference, "Adam", adam(0.001), optimizer_case(1046, (2, 4), 3))
