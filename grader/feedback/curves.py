"""Reading a learning curve: its shape in words, computed by trusted code from the numbers a check recorded.

:func:`classify_loss` names the shape of a training-loss curve with general rules that look only at the
curve itself (its scale is the student's, so it is never compared value by value with the reference's):

- ``missing``: fewer than two finite values;
- ``not-finite``: a NaN or infinite value from some epoch on (the updates blew up);
- ``rising``: it ends clearly above where it started (the step goes uphill), or climbs back by half
  of its drop after its lowest point;
- ``flat``: after an early epoch the loss moves by less than 2% of its starting size, having
  dropped by less than 10% before that, or it never gets 10% below its start (the weights are not being
  updated, or hardly);
- ``oscillating``: it changes direction at most epochs, by jumps comparable to its overall drop;
- ``slow``: it falls, but it was still falling clearly over the last quarter of the epochs and ended
  above half of where it started;
- ``stuck``: it falls, but ends (relative to where each starts) at least 4 times higher than the
  reference's curve, and above 5% of its start;
- ``falling``: it falls and levels off, as training should.

:func:`reading` turns the shape, the final metric against its threshold, and the reference's typical
run into the one line shown under the figure.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise

FLAT_BAND = 0.02        # a plateau moves by less than this fraction of the starting loss...
FLAT_DROP = 0.10        # ...after dropping by less than this fraction: "not updated", not "converged"
RISE = 0.05             # ends this fraction above the start: rising
REBOUND = 0.5           # climbs back by this fraction of its drop after its lowest point: rising again
TURNS = 0.5             # direction changes at more than this fraction of the steps...
JUMP = 0.5              # ...with mean jumps above this fraction of the overall drop: oscillating
STILL_FALLING = 0.15    # last quarter's drop, as a fraction of the whole drop, for "slow"
STUCK = 4               # ends this many times higher, relative to its start, than the reference's: stuck


@dataclass(frozen=True)
class Shape:
    """A curve's shape: ``kind`` (one of the module docstring's names), the epoch it concerns (1-based; the
    plateau's start or the first non-finite value, else 0) and the sentence that explains it."""

    kind: str
    epoch: int
    text: str


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _plateau_start(values: list[float], band: float) -> int:
    """The earliest index from which every later value stays within ``band`` of each other."""
    low = high = values[-1]
    start = len(values) - 1
    for i in range(len(values) - 1, -1, -1):
        low, high = min(low, values[i]), max(high, values[i])
        if high - low > band:
            break
        start = i
    return start


def classify_loss(loss: list, reference: list | None = None) -> Shape:
    """The shape of a training-loss curve (one value per epoch; ``None``, NaN or inf where not finite);
    ``reference``, the reference's loss curve, only tells a curve that levels off too early (``stuck``)."""
    bad = next((i for i, v in enumerate(loss) if not _finite(v)), None)
    if bad is not None:
        when = "from epoch" if not any(_finite(v) for v in loss[bad:]) else "at epoch"
        return Shape("not-finite", bad + 1, f"your loss is NaN or infinite {when} {bad + 1}: the updates blew up "
                     "(a step far too large, or a log or division of 0)")
    values = [float(v) for v in loss if _finite(v)]
    if len(values) < 2:
        return Shape("missing", 0, "too few finite loss values to read a learning curve")
    first, last = values[0], values[-1]
    scale = max(abs(first), max(abs(v) for v in values) * 1e-3, 1e-12)
    if last > first + RISE * scale:
        return Shape("rising", 0, f"your loss rises, from {first:.3g} to {last:.3g}: the steps go uphill (a sign "
                     "flipped in the update or the gradient, or steps far too large)")
    start = _plateau_start(values, FLAT_BAND * scale)
    if start <= max(2, len(values) // 3) and (first - values[start]) < FLAT_DROP * scale and len(values) >= 3:
        when = "from the first epoch" if start == 0 else f"after epoch {start + 1}"
        return Shape("flat", start + 1, f"your loss stays flat {when}: the weights are not updated "
                     "(or the update is far too small)")
    if first - min(values) < FLAT_DROP * scale and len(values) >= 3:
        return Shape("flat", 1, f"your loss hardly moves: it never gets {FLAT_DROP:.0%} below its first value "
                     f"({first:.3g}): the weights are barely updated, or not in the right direction")
    drop = max(first - min(values), 1e-12)
    lowest = values.index(min(values))
    if last - values[lowest] > REBOUND * drop and lowest < len(values) - 1:
        return Shape("rising", lowest + 1, f"your loss falls until epoch {lowest + 1}, then rises again: the "
                     "steps become too large (or the learning rate grows)")
    steps = [b - a for a, b in pairwise(values)]
    turns = sum(1 for a, b in pairwise(steps) if a * b < 0)
    mean_jump = sum(abs(s) for s in steps) / len(steps)
    if len(steps) >= 4 and turns > TURNS * (len(steps) - 1) and mean_jump > JUMP * drop:
        return Shape("oscillating", 0, "your loss jumps up and down: the steps are too large, or the gradient "
                     "is not averaged over the batch")
    quarter = values[-max(2, len(values) // 4):]
    if quarter[0] - quarter[-1] > STILL_FALLING * drop and last > 0.5 * first:
        return Shape("slow", 0, "your loss falls, but slowly and still at the last epoch: the updates may be "
                     "scaled down (a learning rate applied twice, a gradient divided twice)")
    theirs = [float(v) for v in reference or [] if _finite(v)]
    reference_ratio = theirs[-1] / theirs[0] if len(theirs) >= 2 and theirs[0] > 0 else None
    if reference_ratio is not None and first > 0 and last / first > max(STUCK * reference_ratio, 0.05):
        return Shape("stuck", 0, f"your loss falls, but ends at {last / first:.0%} of its first value where the "
                     f"reference's ends at {reference_ratio:.1%}: training makes far less progress than it should")
    return Shape("falling", 0, "your loss falls and levels off as it should")


def _first_reaching(curve: list, threshold: float) -> int | None:
    return next((i + 1 for i, v in enumerate(curve or []) if _finite(v) and v >= threshold), None)


def metric_sentence(record: dict) -> str:
    """The final score against the threshold, and when the reference's typical run reaches it ('' if unknown)."""
    final, threshold = record.get("final"), record.get("threshold")
    if not _finite(threshold):
        return ""
    name = str(record.get("final_name") or "accuracy")
    reference = record.get("reference") if isinstance(record.get("reference"), dict) else {}
    reached = _first_reaching(reference.get("metric"), threshold)
    theirs = reference.get("final")
    if reached is not None:
        metric = record.get("metric_name", "metric")
        how = f"a typical reference run reaches {threshold:.2f} ({metric}) by epoch {reached}"
    elif _finite(theirs):
        how = f"a typical reference run reaches {theirs:.2f}"
    else:
        how = ""
    if not _finite(final):
        return f"no {name} could be computed; {threshold:.2f} is needed" + (f"; {how}" if how else "")
    if final >= threshold:
        return f"{name} {final:.2f}, at or above the {threshold:.2f} needed"
    return f"{name} {final:.2f} after training, below the {threshold:.2f} needed" + (f"; {how}" if how else "")


def reading(record: dict) -> tuple[Shape, str]:
    """The loss curve's shape and the one-line reading of a training record (see grader.checks.recording)."""
    reference = record.get("reference") if isinstance(record.get("reference"), dict) else {}
    shape = classify_loss(record.get("loss") or [], reference.get("loss"))
    sentence = metric_sentence(record)
    below = _finite(record.get("final")) and _finite(record.get("threshold")) and record["final"] < record["threshold"]
    parts = [] if shape.kind == "missing" and sentence else [shape.text]
    if shape.kind == "falling" and below:
        parts = [shape.text + ", so look at how the predictions are made from the trained network"]
    parts += [sentence] if sentence else []
    return shape, " ".join(p[0].upper() + p[1:] + "." for p in parts)
