from .data import Dataset
from .neuralnet import NeuralNetwork
