"""Public training checks: the student's whole network learns; the harness scores its predictions.

The worker gets the training data and the test inputs only; the test labels
stay here. Before training, quick tests of the parts the network is built
from run in the same worker, so a failure can name the likely cause.
Thresholds are in assignment.toml [thresholds].
"""
import pytest

from numpy_nn_support import adam, blobs_data, digits_data, run_training_check, xor_data

BLOBS = dict(layers=[["DenseLayer", 4], ["TanhActivation"], ["DenseLayer", 1], ["SigmoidActivation"]],
             loss="MeanSquaredError", optimizer="SGD",
             settings=dict(epochs=20, batch_size=16, learning_rate=0.5, momentum=0.0))
XOR = dict(layers=[["DenseLayer", 8], ["TanhActivation"], ["DenseLayer", 1], ["SigmoidActivation"]],
           loss="BinaryCrossEntropy", optimizer="SGD",
           settings=dict(epochs=40, batch_size=16, learning_rate=0.5, momentum=0.9))
DIGITS = dict(layers=[["DenseLayer", 32], ["ReLUActivation"], ["Dropout", 0.1], ["DenseLayer", 10],
                      ["SoftmaxActivation"]],
              loss="MeanSquaredError", optimizer="Adam",
              settings=dict(epochs=15, batch_size=32, momentum=0.0, **adam(0.005)))


@pytest.mark.check("NeuralNetwork.fit: classifies two blobs (Dense-Tanh-Dense-Sigmoid, MSE, SGD)", points=3,
                   timeout=20)
def test_fit_blobs(student, reference, thresholds, artifacts, checks_so_far):
    run_training_check(student, reference, thresholds, artifacts, BLOBS, blobs_data(seed=1), "blobs_accuracy",
                       "two blobs", checks_so_far)


@pytest.mark.check("NeuralNetwork.fit: learns XOR (Dense-Tanh-Dense-Sigmoid, binary cross-entropy, SGD with "
                   "momentum)", points=3, timeout=20)
def test_fit_xor(student, reference, thresholds, artifacts, checks_so_far):
    run_training_check(student, reference, thresholds, artifacts, XOR, xor_data(seed=2), "xor_accuracy", "XOR",
                       checks_so_far)


@pytest.mark.check("NeuralNetwork.fit: classifies handwritten digits (ReLU, Dropout, Softmax, mean squared "
                   "error, Adam)", points=4, timeout=40)
def test_fit_digits(student, reference, thresholds, artifacts, checks_so_far):
    run_training_check(student, reference, thresholds, artifacts, DIGITS, digits_data(seed=3), "digits_accuracy",
                       "held-out handwritten digits (sklearn's load_digits)", checks_so_far)
