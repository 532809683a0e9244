import numpy as np


def accuracy(y_true, y_pred):
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    n = len(y_pred)
    correct = 0
    for i in range(n):
        prediction, truth = np.ravel(y_pred[i]), np.ravel(y_true[i])
        predicted = np.argmax(prediction) if prediction.size > 1 else np.round(prediction[0])
        actual = np.argmax(truth) if truth.size > 1 else truth[0]
        if predicted == actual:
            correct += 1
    return correct / n


def mse(y_true, y_pred):
    y_pred = np.asarray(y_pred)
    y_true = np.reshape(y_true, y_pred.shape)
    return float(np.sum((y_true - y_pred) ** 2) / y_pred.size)
