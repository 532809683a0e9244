"""Public checks of neuralnet.py's mechanics, with stand-in layers, loss and optimizer from probes.py.

The stand-ins log how the network calls them, so these checks charge only
NeuralNetwork, whatever the state of the student's layers, losses and optimizers.
"""
import pytest

from numpy_nn_support import (fresh_seed, rng_for, verify_batch_sizes, verify_batches_cover, verify_batches_in_order,
                              verify_batches_shuffled, verify_batches_without_y, verify_fit_epochs,
                              verify_fit_history, verify_fit_learns, verify_fit_steps, verify_network_add,
                              verify_network_backward, verify_network_forward, verify_network_predict,
                              verify_network_score)

X = rng_for(51).normal(size=(5, 3))
FIT = dict(n=23, epochs=4, batch_size=6, learning_rate=0.1, seed_data=fresh_seed(52))


@pytest.mark.check("NeuralNetwork.add: gives each layer the previous one's output shape and initializes it", points=1)
def test_network_add(student, reference):
    args = dict(width=3)
    verify_network_add(student.run("network_add", args), reference.run("network_add", args), args)


@pytest.mark.check("NeuralNetwork.forward_propagation: through every layer in order, passing training on", points=2)
def test_network_forward(student, reference):
    args = dict(X=X, training=True)
    verify_network_forward(student.run("network_forward", args), reference.run("network_forward", args), args)


@pytest.mark.check("NeuralNetwork.backward_propagation: through the layers in reverse order", points=3)
def test_network_backward(student, reference):
    args = dict(X=X, output_error=rng_for(53).normal(size=X.shape))
    verify_network_backward(student.run("network_backward", args), reference.run("network_backward", args), args)


@pytest.mark.check("NeuralNetwork.get_mini_batches: every example once (the last, incomplete batch kept or "
                   "dropped), X and y rows together", points=3)
def test_batches_cover(student, reference):
    args = dict(n=22, batch_size=5, shuffle=True, with_y=True, calls=1)
    answer = student.run("mini_batches", args)
    verify_batches_cover(answer, None, args)
    verify_batch_sizes(answer, None, args)


@pytest.mark.check("NeuralNetwork.get_mini_batches: a new random order on every call", points=2)
def test_batches_shuffled(student, reference):
    args = dict(n=30, batch_size=8, shuffle=True, with_y=True, calls=3)
    verify_batches_shuffled(student.run("mini_batches", args), None, args)


@pytest.mark.check("NeuralNetwork.get_mini_batches: shuffle=False keeps the order; y=None gives None labels", points=1)
def test_batches_plain(student, reference):
    args = dict(n=12, batch_size=5, shuffle=False, with_y=True, calls=1)
    verify_batches_in_order(student.run("mini_batches", args), None, args)
    args = dict(n=12, batch_size=5, shuffle=True, with_y=False, calls=1)
    verify_batches_without_y(student.run("mini_batches", args), None, args)


@pytest.mark.check("NeuralNetwork.fit: each mini-batch goes forward, through loss.derivative, then backward", points=3)
def test_fit_steps(student, reference):
    verify_fit_steps(student.run("fit_mechanics", FIT), None, FIT)


@pytest.mark.check("NeuralNetwork.fit: every example once per epoch (an incomplete last batch may be left out), "
                   "reshuffled each epoch", points=2)
def test_fit_epochs(student, reference):
    verify_fit_epochs(student.run("fit_mechanics", FIT), None, FIT)


@pytest.mark.check("NeuralNetwork.fit: records one finite loss per epoch in history and returns self", points=2)
def test_fit_history(student, reference):
    verify_fit_history(student.run("fit_mechanics", FIT), None, FIT)


@pytest.mark.check("NeuralNetwork.fit: a stand-in layer output = input + b learns the data's offset", points=2)
def test_fit_learns(student, reference):
    args = dict(n=20, epochs=30, batch_size=8, learning_rate=0.1, seed_data=fresh_seed(54))
    verify_fit_learns(student.run("fit_mechanics", args), None, args)


@pytest.mark.check("NeuralNetwork.predict: the output at inference (training=False)", points=2)
def test_predict(student, reference):
    args = dict(X=X)
    verify_network_predict(student.run("network_predict", args), reference.run("network_predict", args), args)


@pytest.mark.check("NeuralNetwork.score: the metric, or scoring_func when given, of (y, predictions)", points=1)
def test_score(student, reference):
    args = dict(X=X, y=rng_for(55).normal(size=(5, 3)))
    verify_network_score(student.run("network_score", args), reference.run("network_score", args), args)
