"""Hidden checks of neuralnet.py: other sizes, a whole-network gradient check, and training on two moons."""
import pytest

from numpy_nn_support import (adam, likely_causes, moons_data, network_gradient_case, rng_for,
                              run_training_check, selftest, verify_batch_sizes, verify_batches_cover,
                              verify_fit_epochs, verify_fit_steps, verify_network_gradient, verify_network_predict)
from grader.checks import CheckFailure, fail, fresh_seed

pytestmark = pytest.mark.hidden

MOONS = dict(layers=[["DenseLayer", 16], ["ReLUActivation"], ["DenseLayer", 16], ["ReLUActivation"],
                     ["DenseLayer", 1], ["SigmoidActivation"]],
             loss="BinaryCrossEntropy", optimizer="Adam",
             settings=dict(epochs=60, batch_size=16, momentum=0.0, **adam(0.02)))


@pytest.mark.check("NeuralNetwork.get_mini_batches: other sizes (the last, incomplete batch kept or dropped)",
                   points=1)
def test_hidden_other_batches(student, reference):
    args = dict(n=17, batch_size=6, shuffle=True, with_y=True, calls=1)
    answer = student.run("mini_batches", args)
    verify_batches_cover(answer, None, args)
    verify_batch_sizes(answer, None, args)


@pytest.mark.check("NeuralNetwork.fit: mini-batch steps, and every example once per epoch, reshuffled, with other "
                   "sizes", points=2)
def test_hidden_fit_mechanics(student, reference):
    args = dict(n=31, epochs=3, batch_size=4, learning_rate=0.05, seed_data=fresh_seed(1051))
    answer = student.run("fit_mechanics", args)
    verify_fit_steps(answer, None, args)
    verify_fit_epochs(answer, None, args)


@pytest.mark.check("NeuralNetwork.predict: inference output on other inputs", points=1)
def test_hidden_predict(student, reference):
    args = dict(X=rng_for(1052).normal(size=(7, 2)))
    verify_network_predict(student.run("network_predict", args), reference.run("network_predict", args), args)


@pytest.mark.check("NeuralNetwork.backward_propagation: whole-network gradient (your DenseLayer, TanhActivation, "
                   "SigmoidActivation, MeanSquaredError) matches central differences", points=2)
def test_hidden_network_gradient(student, reference, checks_so_far):
    args = network_gradient_case(seed=1053, n_in=3, n_hidden=4, n_out=2, batch=5)
    try:
        verify_network_gradient(student.run("network_gradient", args), None, args)
    except CheckFailure as failure:
        problems = selftest(student, reference, ["DenseLayer", "TanhActivation", "SigmoidActivation",
                                                 "MeanSquaredError", "NeuralNetwork.forward_propagation",
                                                 "NeuralNetwork.backward_propagation"])
        fail(f"{failure.message}\n{likely_causes(problems, uses='differentiates', checks_so_far=checks_so_far)}")


@pytest.mark.check("NeuralNetwork.fit: classifies two moons (ReLU, binary cross-entropy, Adam)", points=3, timeout=20)
def test_hidden_fit_moons(student, reference, thresholds, artifacts, checks_so_far):
    run_training_check(student, reference, thresholds, artifacts, MOONS, moons_data(seed=4), "moons_accuracy",
                       "two moons", checks_so_far)
