import numpy as np
import pytest

from grader.checks import assert_close

RNG = np.random.default_rng(7)
ARGS = dict(weights=RNG.normal(size=(4, 3)), biases=RNG.normal(size=(1, 3)), x=RNG.normal(size=(5, 4)))


@pytest.mark.check("DenseLayer.forward_propagation: output on given weights", points=2)
def test_dense_forward(student, reference):
    assert_close(student.run("dense_forward", ARGS), reference.run("dense_forward", ARGS), "output")
