"""The whole pipeline on scikit-learn's 8x8 digits: your CNN, trained by your fit, on held-out images."""
import pytest


@pytest.mark.check("CNN on digits: held-out test accuracy reaches the threshold", points=5)
def test_digits_accuracy(accuracy_check):
    accuracy_check("digits")
