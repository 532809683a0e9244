"""The figures of one check: diagnostic ones first (a training run against the reference and the threshold,
an analytic gradient against central differences), then the generic pictures of :mod:`grader.feedback.plots`.

A check records the data with :func:`grader.checks.recording.training_record` (``artifacts["training"]``)
or, for gradients, :func:`grader.checks.assertions.assert_gradient` does it when it fails
(``artifacts["gradient"]``). Each figure comes with a one-line reading computed here, by trusted code, from
the recorded numbers (:mod:`grader.feedback.curves`). The reference curve of a training figure is the
reference solution's run recorded once per assignment (``checks/reference_curves.json``): the inputs are
drawn anew at every grading, so it is labelled "reference (typical run)".

:func:`training_figure` and :func:`gradient_figure` return the matplotlib Figure before it is saved, so
tests can read its axes, lines and labels; :func:`planned_figures` is what the report calls.
"""
from __future__ import annotations

import functools
import json
import math

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, NullFormatter

from grader.feedback.curves import reading
from grader.feedback.plots import (
    Image,
    canonical,
    planned_images,
    png_data_uri,
    serialised,
)

YOURS, REFERENCE, THRESHOLD = "#1f5fa8", "#8c8c8c", "#c0392b"
YOUR_LABEL, REFERENCE_LABEL, THRESHOLD_LABEL = "your run", "reference (typical run)", "pass threshold"


def _curve(values) -> list[float] | None:
    """A recorded curve as floats (``None`` entries, the non-finite ones, become NaN); None when unusable."""
    if not isinstance(values, list) or not values:
        return None
    if not all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in values):
        return None
    return [math.nan if v is None else float(v) for v in values]


def _epochs(values: list[float]) -> list[int]:
    return list(range(1, len(values) + 1))


def _plot(ax, values, color: str, label: str, style: str = "-") -> None:
    ax.plot(_epochs(values), values, style, color=color, label=label, linewidth=1.6,
            marker="o" if len(values) <= 30 else None, markersize=3)


def _loss_panel(ax, record: dict, reference: dict) -> None:
    loss = _curve(record.get("loss")) or []
    drawn = [v for v in loss if math.isfinite(v)]
    if loss:
        _plot(ax, loss, YOURS, YOUR_LABEL)
    if (val_loss := _curve(record.get("val_loss"))) is not None:
        _plot(ax, val_loss, YOURS, f"{YOUR_LABEL}, validation", "--")
        drawn += [v for v in val_loss if math.isfinite(v)]
    if (theirs := _curve(reference.get("loss"))) is not None:
        _plot(ax, theirs, REFERENCE, REFERENCE_LABEL)
        drawn += [v for v in theirs if math.isfinite(v)]
    bad = next((i + 1 for i, v in enumerate(loss) if not math.isfinite(v)), None)
    if bad is not None:
        ax.axvline(bad, color=THRESHOLD, linestyle=":", linewidth=1.2, label=f"NaN/inf from epoch {bad}")
    if drawn and min(drawn) > 0 and max(drawn) / min(drawn) > 30:
        ax.set_yscale("log")  # losses that fall over orders of magnitude: the end of the curve stays readable
        ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_title("training loss", fontsize=9)
    ax.set_xlabel("epoch", fontsize=8)
    ax.set_ylabel("loss", fontsize=8)


def _metric_panel(ax, record: dict, reference: dict) -> None:
    threshold, final = record.get("threshold"), record.get("final")
    metric_name, final_name = str(record.get("metric_name", "accuracy")), str(record.get("final_name", "accuracy"))
    mine, theirs = _curve(record.get("metric")), _curve(reference.get("metric"))
    if mine is not None:
        _plot(ax, mine, YOURS, f"{YOUR_LABEL}, {metric_name}")
        if theirs is not None:
            _plot(ax, theirs, REFERENCE, REFERENCE_LABEL)
        if isinstance(final, (int, float)):
            ax.plot([len(mine)], [final], "*", color=YOURS, markersize=10, label=f"your {final_name}")
        ax.set_xlabel("epoch", fontsize=8)
        ax.set_ylabel(metric_name, fontsize=8)
        ax.set_title(f"{metric_name} per epoch", fontsize=9)
    else:  # the score is measured once, after training: your run and the reference's side by side
        names, values, colours = [YOUR_LABEL], [final if isinstance(final, (int, float)) else 0.0], [YOURS]
        if isinstance(reference.get("final"), (int, float)):
            names, values, colours = names + [REFERENCE_LABEL], values + [reference["final"]], colours + [REFERENCE]
        ax.bar(names, values, color=colours, width=0.5)
        for x, value in enumerate(values):
            ax.text(x, value, f"{value:.2f}", ha="center", va="bottom", fontsize=7)
        ax.set_xlabel("after training", fontsize=8)
        ax.set_ylabel(final_name, fontsize=8)
        ax.set_title(f"{final_name} after training", fontsize=9)
    if isinstance(threshold, (int, float)):
        ax.axhline(threshold, color=THRESHOLD, linestyle="--", linewidth=1.2,
                   label=f"{THRESHOLD_LABEL} ({threshold:.2f})")
    ax.set_ylim(0, 1.05)


def training_figure(record: dict) -> tuple[Figure, str]:
    """The training figure (loss per epoch; the metric against the threshold) and its one-line reading."""
    reference = record.get("reference") if isinstance(record.get("reference"), dict) else {}
    fig = Figure(figsize=(7.4, 2.9))
    loss_ax, metric_ax = fig.subplots(1, 2)
    _loss_panel(loss_ax, record, reference)
    _metric_panel(metric_ax, record, reference)
    for ax in (loss_ax, metric_ax):
        ax.tick_params(which="both", labelsize=7)
        if ax.get_xlabel() == "epoch":
            ax.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))  # whole epochs, and few ticks: ticks
        if ax.get_yscale() == "linear":                                       # are most of the drawing time
            ax.yaxis.set_major_locator(MaxNLocator(nbins=5))
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:  # a run that recorded no loss has nothing to name
            ax.legend(fontsize=6.5, loc="best")
    fig.suptitle(str(record.get("task", "training"))[:90], fontsize=9.5)
    fig.subplots_adjust(left=0.08, right=0.98, top=0.83, bottom=0.17, wspace=0.28)
    return fig, reading(record)[1]


@functools.lru_cache(maxsize=256)
@serialised
def _training_image(record_json: str) -> Image:
    record = json.loads(record_json)
    fig, caption = training_figure(record)
    title = f"Learning curves: {record.get('task', 'training')}"
    return Image(title, f"{title}. {caption}", caption, png_data_uri(fig))


def _short_what(record: dict) -> str:
    """The gradient's name without the comparison ("bias gradient", not "bias gradient vs central ...")."""
    return str(record.get("what", "gradient")).split(" vs ")[0][:60]


def constant_factor(analytic: np.ndarray, numeric: np.ndarray) -> float | None:
    """c when analytic = c * numeric entry by entry (c != 1), else None."""
    scale = max(float(np.max(np.abs(numeric))), 1e-12)
    factor = float(np.dot(analytic, numeric) / max(float(np.dot(numeric, numeric)), 1e-300))
    fits = np.allclose(analytic, factor * numeric, rtol=1e-3, atol=1e-6 * scale)
    return factor if fits and abs(factor - 1) > 1e-3 and abs(factor) > 1e-12 else None


def gradient_reading(analytic: np.ndarray, numeric: np.ndarray, tolerance: float) -> str:
    """What the two gradients' entries show, in one line: all zeros, the opposite sign, a constant factor,
    or how many entries disagree."""
    size = analytic.size
    scale = max(float(np.max(np.abs(numeric))), 1e-12)
    if np.all(np.abs(analytic) < 1e-12 * scale):
        return "Your analytic gradient is all zeros: nothing reaches this parameter in the backward pass."
    factor = constant_factor(analytic, numeric)
    if factor is not None:
        if abs(factor + 1) < 1e-2:
            return "Every entry has the opposite sign of the numeric gradient: a sign is flipped."
        return (f"Every entry is {factor:.3g} times the numeric one: a constant factor is off (an average "
                "missed or taken twice, a factor of 2 from a square).")
    disagree = np.abs(analytic - numeric) / np.maximum(np.abs(analytic) + np.abs(numeric), 1e-12) > tolerance
    text = f"{int(disagree.sum())} of {size} entries disagree"
    sizes = float(np.median(np.abs(analytic))) / max(float(np.median(np.abs(numeric))), 1e-300)
    if not 0.5 <= sizes <= 2:
        text += f"; yours are typically {sizes:.2g} times as large as the numeric ones"
    elif float(np.mean(np.sign(analytic) == np.sign(numeric))) < 0.5:
        text += "; most have the wrong sign"
    return text + "."


def _gradient_arrays(record: dict) -> tuple[np.ndarray, np.ndarray] | None:
    """The entries of both gradients that are finite on both sides; None when there are none to draw."""
    analytic, numeric = _curve(record.get("analytic")), _curve(record.get("numeric"))
    if analytic is None or numeric is None or len(analytic) != len(numeric):
        return None
    a, n = np.asarray(analytic), np.asarray(numeric)
    keep = np.isfinite(a) & np.isfinite(n)
    return (a[keep], n[keep]) if keep.any() else None


def gradient_figure(record: dict) -> tuple[Figure, str]:
    """Analytic against numeric gradient, one dot per entry, with the line y = x (the record must have
    drawable arrays: see :func:`planned_figures`)."""
    a, n = _gradient_arrays(record)
    tolerance = float(record.get("tolerance") or 1e-4)
    wrong = np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), 1e-12) > tolerance
    fig = Figure(figsize=(3.8, 3.3))
    ax = fig.add_subplot()
    low, high = float(min(a.min(), n.min())), float(max(a.max(), n.max()))
    pad = 0.05 * (high - low or 1.0)
    ax.plot([low - pad, high + pad], [low - pad, high + pad], "--", color=REFERENCE, linewidth=1,
            label="analytic = numeric")
    if (factor := constant_factor(a, n)) is not None:  # the entries lie on another line: draw it, named
        ax.plot([low - pad, high + pad], [factor * (low - pad), factor * (high + pad)], ":", color=THRESHOLD,
                linewidth=1, label=f"analytic = {factor:.3g} × numeric")
        ax.set_ylim(min(a.min(), n.min()) - pad, max(a.max(), n.max()) + pad)
    for chosen, colour, label in ((~wrong, YOURS, "entries that agree"), (wrong, THRESHOLD, "entries that disagree")):
        if chosen.any():
            ax.scatter(n[chosen], a[chosen], s=14, color=colour, label=label)
    ax.set_xlabel("numeric gradient (central differences)", fontsize=8)
    ax.set_ylabel("your analytic gradient", fontsize=8)
    ax.set_title(_short_what(record), fontsize=8)
    ax.tick_params(labelsize=7)
    ax.locator_params(nbins=5)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=6.5, loc="best")
    fig.subplots_adjust(left=0.17, right=0.97, top=0.9, bottom=0.15)
    shown = "" if record.get("entries", a.size) <= a.size else f" (the first {a.size} of {record['entries']} entries)"
    return fig, gradient_reading(a, n, tolerance) + shown


@functools.lru_cache(maxsize=256)
@serialised
def _gradient_image(record_json: str) -> Image:
    record = json.loads(record_json)
    fig, caption = gradient_figure(record)
    title = f"Analytic vs numeric gradient: {_short_what(record)}"
    return Image(title, f"{title}. {caption}", caption, png_data_uri(fig))


def planned_figures(artifacts: dict, failed: bool, all_plots: bool = False) -> list:
    """The drawing functions of one check's figures, diagnostic ones first. ``failed``: the student's code
    failed the check (also when the points were charged to another part's mistake); a check it passed gets
    none unless ``all_plots`` (its curves are there on request, not in the way)."""
    if not isinstance(artifacts, dict) or not (failed or all_plots):
        return []
    plan = []
    if isinstance(artifacts.get("training"), dict):
        plan.append(functools.partial(_training_image, canonical(artifacts["training"])))
    if isinstance(artifacts.get("gradient"), dict) and _gradient_arrays(artifacts["gradient"]) is not None:
        plan.append(functools.partial(_gradient_image, canonical(artifacts["gradient"])))
    return plan + planned_images(artifacts)


def figure_readings(artifacts: dict) -> list[str]:
    """The one-line readings of a check's diagnostic figures, without drawing them (for report.md)."""
    if not isinstance(artifacts, dict):
        return []
    readings = []
    if isinstance(artifacts.get("training"), dict):
        readings.append("Learning curve: " + reading(artifacts["training"])[1])
    if isinstance(artifacts.get("gradient"), dict) and (arrays := _gradient_arrays(artifacts["gradient"])):
        tolerance = float(artifacts["gradient"].get("tolerance") or 1e-4)
        readings.append(f"Gradient ({_short_what(artifacts['gradient'])}): " + gradient_reading(*arrays, tolerance))
    return readings
