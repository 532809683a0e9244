"""What a check records in its ``artifacts`` for the report's diagnostic figures (plain JSON data).

``artifacts["training"] = training_record(...)``: a training check's learning curves, what it asks for
(the threshold on the final metric) and what the run reached. The report draws them against the
reference's typical run (recorded once per assignment in ``checks/reference_curves.json`` and attached
by the engine, :mod:`grader.engine.reference_curves`) and reads their shape in one line
(:mod:`grader.feedback.curves`).

``gradient_record(...)``: a failed comparison of an analytic gradient with central differences, both
arrays flattened (capped); :func:`grader.checks.assertions.assert_gradient` attaches it to its failure,
and the plugin copies it into the check's artifacts, so it is recorded for failed checks only.

Values that are not finite (a diverging loss) are stored as ``None``: results.json stays strict JSON.
"""
from __future__ import annotations

import math

import numpy as np

MAX_CURVE_POINTS = 2000
MAX_GRADIENT_ENTRIES = 400


def finite_or_none(values, limit: int) -> list[float | None]:
    """The first ``limit`` entries of ``values`` (flattened) as floats, ``None`` where not finite."""
    flat = np.asarray(values, dtype=float).ravel()[:limit]
    return [float(v) if math.isfinite(v) else None for v in flat]


def training_record(task: str, loss, threshold: float, final: float | None = None, metric=None,
                    metric_name: str = "accuracy", final_name: str = "test accuracy", val_loss=None) -> dict:
    """A training check's curves for the report.

    ``task`` says what was trained on what ("NeuralNetwork.fit on two blobs"); ``loss`` is the training
    loss per epoch; ``metric`` (optional) the metric per epoch (e.g. validation accuracy); ``threshold``
    is what ``final`` (the score the check computed, e.g. the held-out accuracy) must reach.
    """
    record = {"task": str(task), "loss": finite_or_none(loss, MAX_CURVE_POINTS), "threshold": float(threshold),
              "metric_name": str(metric_name), "final_name": str(final_name)}
    if val_loss is not None and len(val_loss):
        record["val_loss"] = finite_or_none(val_loss, MAX_CURVE_POINTS)
    if metric is not None and len(metric):
        record["metric"] = finite_or_none(metric, MAX_CURVE_POINTS)
    if final is not None:
        record["final"] = float(final) if math.isfinite(final) else None
    return record


def gradient_record(analytic, numeric, what: str, tolerance: float, error: float) -> dict:
    """Both gradients of a failed gradient check, flattened and capped, for the analytic-vs-numeric figure."""
    size = int(np.asarray(numeric).size)
    return {"what": str(what), "analytic": finite_or_none(analytic, MAX_GRADIENT_ENTRIES),
            "numeric": finite_or_none(numeric, MAX_GRADIENT_ENTRIES), "entries": size,
            "tolerance": float(tolerance), "relative_error": float(error) if math.isfinite(error) else None}
