"""Base class of every model of the course library: fit first, then predict and score."""


class Model:

    def __init__(self):
        self.is_fitted = False

    def fit(self, dataset):
        model = self._fit(dataset)
        self.is_fitted = True
        return model

    def predict(self, dataset):
        if not self.is_fitted:
            raise ValueError("Model must be fitted before calling predict")
        return self._predict(dataset)

    def score(self, dataset, scoring_func=None):
        if not self.is_fitted:
            raise ValueError("Model must be fitted before calling score")
        predictions = self.predict(dataset)
        return self._score(dataset, predictions, scoring_func)

    def _fit(self, dataset):
        raise NotImplementedError

    def _predict(self, dataset):
        raise NotImplementedError

    def _score(self, dataset, predictions, scoring_func):
        raise NotImplementedError
