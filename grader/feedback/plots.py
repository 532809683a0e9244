"""Images for the reports: matplotlib (Agg backend, no display) drawn into PNGs inlined as ``data:`` URIs.

What a check author may put in the ``artifacts`` fixture, and what the report draws from it. Values must be
plain JSON data (lists, numbers, strings; call ``.tolist()`` on arrays). Unknown shapes are ignored, never an
error, so a check cannot break its report. Figures are drawn for checks the student's code failed (also
those charged to another part's mistake); passed checks get theirs only with ``nngrade report DIR --plots all``.

A training check should record ``artifacts["training"] = training_record(...)`` and a gradient check gets
``artifacts["gradient"]`` from ``assert_gradient`` when it fails (:mod:`grader.checks.recording`): those are
drawn first, against the reference and the threshold, with a one-line reading
(:mod:`grader.feedback.check_figures`). The generic shapes below are for anything else.

Learning curves — every numeric series becomes a small line plot (one panel per series):

* a list of numbers: ``{"history": [0.92, 0.51, 0.33]}`` (the x axis counts epochs from 1)
* a dict epoch -> number: ``{"loss": {"1": 0.92, "2": 0.51}}``
* a dict epoch -> {name: number}, as ``NeuralNetwork.history`` records it:
  ``{"history": {"1": {"loss": 0.92, "metric": 0.61}, "2": {...}}}`` -> panels ``history: loss``, ``history: metric``
* a list of {name: number}, one per epoch: ``{"history": [{"loss": 0.92, "accuracy": 0.6}, ...]}``
* a dict of lists: ``{"curves": {"loss": [...], "accuracy": [...]}}``

A series named ``val_NAME`` (or ``validation_NAME``, ``test_NAME``) is drawn in the panel of ``NAME``, so
training and validation curves share axes. Values that are not finite (a diverging loss) are left out of the
line and the panel's caption says from which epoch.

Confusion matrix — ``{"confusion": [[50, 2], [3, 45]]}``: rows are true classes, columns predicted ones;
optional ``"class_names": ["cat", "dog"]``.

Decision regions — ``{"grid": [[0, 0, 1], [0, 1, 1], ...]}``: the model's predicted class (or probability)
on a regular grid, rows from the lowest y up; optional ``"extent": [x_min, x_max, y_min, y_max]`` (default the
grid's indices), ``"points": [[x, y], ...]`` and ``"point_labels": [0, 1, ...]`` scattered on top.

Anything else that is a number, a boolean or a short string (``"accuracy": 0.93, "threshold": 0.9``) is
listed next to the plots as a small table.

Visibility: the student report shows the artifacts of a *visible* check. Those of a hidden check are shown
to students only when the check sets ``artifacts["student_visible"] = True`` (points of a held-out set
must not leak); the instructor view always shows them.

Sizes are capped (series thinned to 1,000 points, 6 panels per check, grids to 200 x 200 cells, 2,000
points, 30 x 30 confusion matrices) and identical artifacts are drawn once per process (a cache), so a
batch of reports renders in seconds.
"""
from __future__ import annotations

import base64
import functools
import io
import json
import math
import threading
from dataclasses import dataclass
from typing import Callable

import matplotlib

matplotlib.use("Agg")  # before any pyplot import anywhere: the grader never opens a window

from matplotlib.figure import Figure  # noqa: E402  (the backend is chosen first)

MAX_SERIES_POINTS = 1000
MAX_PANELS = 6
MAX_GRID_CELLS = 200
MAX_POINTS = 2000
MAX_CONFUSION = 30
MAX_SCALAR_TEXT = 200
DPI = 100
RESERVED_KEYS = {"student_visible", "class_names", "extent", "points", "point_labels", "confusion", "grid",
                 "training", "gradient"}  # the last two: drawn by grader.feedback.check_figures
_PAIRED_PREFIXES = ("val_", "validation_", "test_")


@dataclass(frozen=True)
class Image:
    """One inline picture: what it shows (title, alt text for screen readers), a caption and the PNG data URI."""

    title: str
    alt: str
    caption: str
    src: str


_DRAWING = threading.Lock()


def serialised(draw):
    """Draw one figure at a time: matplotlib's font cache is shared and not thread-safe (a batch may render
    reports from several threads)."""
    @functools.wraps(draw)
    def locked(*args):
        with _DRAWING:
            return draw(*args)
    return locked


def png_data_uri(fig: Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _numbers(values) -> list[float] | None:
    """The list as floats when every entry is a number (NaN/inf allowed), else None."""
    if not isinstance(values, list) or len(values) < 2:
        return None
    out = [_number(v) for v in values]
    return None if any(v is None for v in out) else out


def _epoch_keys(mapping: dict) -> list[tuple[float, str]] | None:
    try:
        keys = sorted((float(k), k) for k in mapping)
    except (TypeError, ValueError):
        return None
    return keys if len(keys) >= 2 else None


def numeric_series(artifacts: dict) -> dict[str, tuple[list[float], list[float]]]:
    """Every series the module docstring describes: {name: (x values, y values)}, in the artifacts' order."""
    found: dict[str, tuple[list[float], list[float]]] = {}

    def add(name: str, ys: list[float], xs: list[float] | None = None) -> None:
        found[name] = (xs or [float(i) for i in range(1, len(ys) + 1)], ys)

    for key, value in artifacts.items():
        if key in RESERVED_KEYS:
            continue
        if (ys := _numbers(value)) is not None:
            add(key, ys)
        elif isinstance(value, list) and len(value) >= 2 and all(isinstance(v, dict) for v in value):
            for inner in value[0]:
                column = _numbers([row.get(inner) for row in value])
                if column is not None:
                    add(f"{key}: {inner}", column)
        elif isinstance(value, dict) and value:
            epochs = _epoch_keys(value)
            if epochs is not None:
                xs = [x for x, _ in epochs]
                rows = [value[k] for _, k in epochs]
                if (ys := _numbers(rows)) is not None:
                    add(key, ys, xs)
                elif all(isinstance(r, dict) for r in rows):
                    for inner in rows[0]:
                        column = _numbers([r.get(inner) for r in rows])
                        if column is not None:
                            add(f"{key}: {inner}", column, xs)
            else:
                for inner, series in value.items():
                    if (ys := _numbers(series)) is not None:
                        add(f"{key}: {inner}", ys)
    return found


def _thin(xs: list[float], ys: list[float]) -> tuple[list[float], list[float]]:
    if len(ys) <= MAX_SERIES_POINTS:
        return xs, ys
    step = math.ceil(len(ys) / MAX_SERIES_POINTS)
    keep = list(range(0, len(ys), step))
    if keep[-1] != len(ys) - 1:
        keep.append(len(ys) - 1)
    return [xs[i] for i in keep], [ys[i] for i in keep]


def _paired_name(name: str) -> str:
    """``val_loss`` -> ``loss`` (and ``history: val_loss`` -> ``history: loss``); other names unchanged."""
    head, sep, tail = name.rpartition(": ")
    for prefix in _PAIRED_PREFIXES:
        if tail.startswith(prefix):
            return f"{head}{sep}{tail[len(prefix):]}"
    return name


def _series_panels(series: dict) -> list[tuple[str, list[tuple[str, list[float], list[float]]]]]:
    panels: dict[str, list] = {}
    for name, (xs, ys) in series.items():
        base = _paired_name(name)
        if base != name and base in series:
            panels.setdefault(base, []).append((name, xs, ys))
        else:
            panels.setdefault(name, []).insert(0, (name, xs, ys))
    return list(panels.items())[:MAX_PANELS]


def _not_finite_note(lines) -> str:
    notes = []
    for name, xs, ys in lines:
        bad = next((x for x, y in zip(xs, ys) if not math.isfinite(y)), None)
        if bad is not None:
            notes.append(f"{name} is not a finite number from epoch {bad:g} on (diverged?)")
    return "; ".join(notes)


@functools.lru_cache(maxsize=512)
@serialised
def _series_image(panel_json: str) -> Image:
    title, lines = json.loads(panel_json)
    fig = Figure(figsize=(3.6, 2.3))
    ax = fig.add_subplot()
    for name, xs, ys in lines:
        xs, ys = _thin(xs, [y if math.isfinite(y) else math.nan for y in ys])
        ax.plot(xs, ys, marker="o" if len(ys) <= 30 else None, markersize=3, linewidth=1.5,
                label=name.rpartition(": ")[2])
    ax.set_title(title, fontsize=9)
    ax.set_xlabel("epoch", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.locator_params(nbins=4)  # fewer ticks: a third faster to draw, and legible at phone width
    ax.grid(alpha=0.3)
    if len(lines) > 1:
        ax.legend(fontsize=7)
    fig.subplots_adjust(left=0.15, right=0.97, top=0.89, bottom=0.2)
    first = lines[0]
    finite = [y for y in first[2] if math.isfinite(y)]
    summary = f"from {finite[0]:.4g} to {finite[-1]:.4g}" if finite else "no finite values"
    alt = f"Line plot of {title} over {len(first[2])} epochs, {summary}"
    return Image(title, alt, _not_finite_note(lines), png_data_uri(fig))


def _confusion_matrix(artifacts: dict) -> list[list[float]] | None:
    matrix = artifacts.get("confusion")
    if not isinstance(matrix, list) or not 1 <= len(matrix) <= MAX_CONFUSION:
        return None
    rows = [_numbers(row) if isinstance(row, list) and len(row) >= 2 else None for row in matrix]
    if len(matrix) < 2 or any(r is None or len(r) != len(matrix) for r in rows):
        return None
    return rows


@functools.lru_cache(maxsize=256)
@serialised
def _confusion_image(matrix_json: str) -> Image:
    matrix, names = json.loads(matrix_json)
    n = len(matrix)
    fig = Figure(figsize=(3.0, 3.0))
    ax = fig.add_subplot()
    shown = ax.imshow(matrix, cmap="Blues")
    annotate = n <= 12
    if not annotate:  # the counts are written in the cells when they fit; otherwise a colour scale says them
        fig.colorbar(shown, ax=ax, fraction=0.046, pad=0.04).ax.tick_params(labelsize=7)
    ticks = list(range(n))
    labels = names if names and len(names) == n else [str(i) for i in ticks]
    ax.set_xticks(ticks, labels, fontsize=7, rotation=45 if n > 6 else 0)
    ax.set_yticks(ticks, labels, fontsize=7)
    ax.set_xlabel("predicted class", fontsize=8)
    ax.set_ylabel("true class", fontsize=8)
    if annotate:
        peak = max(max(row) for row in matrix) or 1
        for i, row in enumerate(matrix):
            for j, value in enumerate(row):
                ax.text(j, i, f"{value:g}", ha="center", va="center", fontsize=7,
                        color="white" if value > peak / 2 else "black")
    ax.set_title("Confusion matrix", fontsize=9)
    fig.subplots_adjust(left=0.17, right=0.95, top=0.91, bottom=0.17)
    total = sum(sum(row) for row in matrix)
    correct = sum(matrix[i][i] for i in range(n))
    caption = f"{correct:g} of {total:g} on the diagonal (correct)" if total else ""
    alt = f"Confusion matrix of {n} classes; {caption}"
    return Image("Confusion matrix", alt, caption, png_data_uri(fig))


def _decision_grid(artifacts: dict) -> list[list[float]] | None:
    grid = artifacts.get("grid")
    if not isinstance(grid, list) or len(grid) < 2:
        return None
    rows = [_numbers(row) for row in grid]
    if any(r is None for r in rows) or len({len(r) for r in rows}) != 1:
        return None
    step_y = math.ceil(len(rows) / MAX_GRID_CELLS)
    step_x = math.ceil(len(rows[0]) / MAX_GRID_CELLS)
    return [row[::step_x] for row in rows[::step_y]]


def _points(artifacts: dict) -> tuple[list[list[float]], list[float] | None]:
    points = artifacts.get("points")
    if not isinstance(points, list):
        return [], None
    pairs = [p for p in points[:MAX_POINTS] if isinstance(p, list) and len(p) == 2
             and all(_number(v) is not None for v in p)]
    if len(pairs) != min(len(points), MAX_POINTS):
        return [], None
    labels = artifacts.get("point_labels")
    labels = labels[:len(pairs)] if isinstance(labels, list) else None
    if labels is not None and (len(labels) != len(pairs) or any(_number(v) is None for v in labels)):
        labels = None
    return pairs, labels


@functools.lru_cache(maxsize=128)
@serialised
def _regions_image(regions_json: str) -> Image:
    grid, extent, points, labels = json.loads(regions_json)
    fig = Figure(figsize=(3.4, 3.0))
    ax = fig.add_subplot()
    if extent is None:
        extent = [0, len(grid[0]) - 1, 0, len(grid) - 1]
    integers = all(float(v).is_integer() for row in grid for v in row)
    classes = sorted({v for row in grid for v in row}) if integers else []
    cmap = "tab10" if integers and len(classes) <= 10 else "coolwarm"
    low, high = (0, 9) if cmap == "tab10" else (None, None)
    ax.imshow(grid, origin="lower", extent=extent, aspect="auto", cmap=cmap, vmin=low, vmax=high, alpha=0.45,
              interpolation="nearest")
    if points:
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        ax.scatter(xs, ys, c=labels if labels else "black", cmap=cmap if labels else None,
                   vmin=low if labels else None, vmax=high if labels else None, s=9, edgecolors="black",
                   linewidths=0.4)
    ax.set_title("Decision regions", fontsize=9)
    ax.tick_params(labelsize=7)
    ax.locator_params(nbins=5)
    fig.subplots_adjust(left=0.1, right=0.97, top=0.91, bottom=0.09)
    what = f"{len(classes)} predicted classes" if integers else "predicted values"
    caption = f"{what} over the plane" + (f", with {len(points)} data points" if points else "")
    return Image("Decision regions", f"Decision regions: {caption}", caption, png_data_uri(fig))


def canonical(value) -> str:
    return json.dumps(value, sort_keys=True, allow_nan=True)


def planned_images(artifacts: dict) -> list[Callable[[], Image]]:
    """One drawing function per picture the artifacts call for (see the module docstring), learning curves
    first; a caller can count them and draw only as many as it has room for."""
    if not isinstance(artifacts, dict):
        return []
    plan = [functools.partial(_series_image, canonical([title, lines]))
            for title, lines in _series_panels(numeric_series(artifacts))]
    if (matrix := _confusion_matrix(artifacts)) is not None:
        names = artifacts.get("class_names")
        names = [str(n)[:20] for n in names] if isinstance(names, list) else None
        plan.append(functools.partial(_confusion_image, canonical([matrix, names])))
    if (grid := _decision_grid(artifacts)) is not None:
        extent = artifacts.get("extent")
        if not (isinstance(extent, list) and len(extent) == 4 and all(_number(v) is not None for v in extent)):
            extent = None
        points, labels = _points(artifacts)
        plan.append(functools.partial(_regions_image, canonical([grid, extent, points, labels])))
    return plan


def artifact_images(artifacts: dict) -> list[Image]:
    """The pictures one check's artifacts call for, drawn."""
    return [draw() for draw in planned_images(artifacts)]


def artifact_scalars(artifacts: dict) -> list[tuple[str, str]]:
    """(name, value as text) for the plain numbers, booleans and short strings among the artifacts."""
    if not isinstance(artifacts, dict):
        return []
    rows = []
    for key, value in artifacts.items():
        if key in RESERVED_KEYS:
            continue
        if isinstance(value, bool):
            rows.append((str(key), "yes" if value else "no"))
        elif isinstance(value, (int, float)):
            rows.append((str(key), f"{value:.4g}"))
        elif isinstance(value, str) and len(value) <= MAX_SCALAR_TEXT:
            rows.append((str(key), value))
    return rows


@functools.lru_cache(maxsize=64)
@serialised
def _histogram_image(scores_json: str) -> Image:
    scores, max_score, unit = json.loads(scores_json)
    fig = Figure(figsize=(5.0, 2.6))
    ax = fig.add_subplot()
    bins = min(20, max(5, int(max_score))) if max_score > 0 else 10
    ax.hist(scores, bins=bins, range=(0, max_score or 1), color="#3b6fb6", edgecolor="white")
    ax.set_xlabel(unit, fontsize=8)
    ax.set_ylabel("students", fontsize=8)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.tick_params(labelsize=7)
    ax.grid(axis="y", alpha=0.3)
    fig.subplots_adjust(left=0.1, right=0.98, top=0.95, bottom=0.17)
    alt = f"Histogram of {len(scores)} scores between 0 and {max_score:g} {unit}"
    return Image("Score distribution", alt, "", png_data_uri(fig))


def score_histogram(scores: list[float], max_score: float, unit: str = "points") -> Image:
    """A histogram of the class's scores on [0, max_score]."""
    return _histogram_image(canonical([[float(s) for s in scores], float(max_score), unit]))
