"""The whole pipeline on real MNIST digits: your CNN, trained by your fit, on held-out images (final grading)."""
import pytest

pytestmark = pytest.mark.hidden


@pytest.mark.check("CNN on MNIST: held-out test accuracy reaches the threshold", points=10)
def test_mnist_accuracy(accuracy_check):
    accuracy_check("mnist")
