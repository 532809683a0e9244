"""Stable keys for probe calls, so a harness can cache answers and a bundle can carry recorded ones."""
from __future__ import annotations

import hashlib

import numpy as np

from grader.sandbox import wire


def probe_name(probe) -> str:
    return probe if isinstance(probe, str) else probe.__name__


def probe_key(probe, kwargs: dict, seed: int) -> str:
    """A stable key for a probe call: floats rounded so the key survives platform noise."""
    def canonical(value):
        if isinstance(value, np.ndarray) and value.dtype.kind in "fc":
            return np.round(value.astype(np.float64), 9)
        if isinstance(value, float):
            return round(value, 9)
        if isinstance(value, dict):
            return {k: canonical(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(canonical(v) for v in value)
        return value
    data = wire.encode([probe_name(probe), canonical(dict(kwargs)), seed])
    return hashlib.sha256(data).hexdigest()[:32]
