"""What a check author uses: comparisons whose failure messages a student can act on.

``assert_close(got, want, "weight gradient")`` fails with the shapes and
dtypes when they differ, the largest absolute and relative error, the first
differing entries side by side, and a plain-words pattern when one fits (the
transpose of the expected value, the opposite sign, a constant factor away).
"""
from __future__ import annotations

import math

import numpy as np

from grader.checks.recording import gradient_record
from grader.sandbox.wire import Unencodable

MAX_ENTRIES_SHOWN = 3


class CheckFailure(AssertionError):
    """A failed check with a student-facing message and, optionally, the catalogued mistake it shows and data
    for the report's figures (``artifacts``, merged into the check's artifacts: recorded on failure only)."""

    def __init__(self, message: str, misconception: str | None = None, artifacts: dict | None = None):
        super().__init__(message)
        self.message, self.misconception, self.artifacts = message, misconception, dict(artifacts or {})


def fail(message: str, misconception: str | None = None):
    raise CheckFailure(message, misconception)


def _is_number(value) -> bool:
    return isinstance(value, (int, float, complex, np.number, bool, np.bool_)) and not isinstance(value, Unencodable)


def _fmt(x) -> str:
    if isinstance(x, (float, np.floating)):
        return f"{float(x):.6g}"
    return str(x)


def _tolerances(got: np.ndarray, rtol: float, atol: float) -> tuple[float, float]:
    # A correct float32 (or float16) solution must pass: loosen to its precision.
    if got.dtype.kind == "f" and got.dtype.itemsize < 8:
        eps = float(np.finfo(got.dtype).eps)
        return max(rtol, 50 * eps), max(atol, 50 * eps)
    return rtol, atol


def _pattern(got: np.ndarray, want: np.ndarray, rtol: float, atol: float) -> str | None:
    """A plain-words description of how ``got`` relates to ``want``, when a simple one fits."""
    if got.dtype.kind == "b" or want.dtype.kind == "b":  # no sign or scale pattern for booleans
        return None
    if got.ndim == 2 and got.shape == want.T.shape and got.shape != want.shape and np.allclose(got, want.T, rtol, atol):
        return "it equals the transpose of the expected value"
    if got.shape != want.shape or "b" in (got.dtype.kind, want.dtype.kind):  # booleans have no sign or scale
        return None
    if np.allclose(got, -want, rtol, atol) and np.abs(want).max(initial=0) > atol:
        return "it has the opposite sign of the expected value"
    flat_w, flat_g = want.ravel().astype(float), got.ravel().astype(float)
    if np.count_nonzero(np.abs(flat_w) > atol) >= 2:  # any two single numbers are "a factor apart"
        factor = float(flat_g @ flat_w / (flat_w @ flat_w))
        if abs(factor) > 1e-12 and not math.isclose(factor, 1.0, rel_tol=1e-3) and np.allclose(flat_g, factor * flat_w, rtol, atol):
            return f"it is {factor:.6g} times the expected value (a missing or extra scale factor?)"
    return None


def compare(got, want, what: str = "output", rtol: float = 1e-5, atol: float = 1e-8) -> str | None:
    """``None`` when ``got`` matches ``want``; otherwise a short message that says how it differs."""
    if isinstance(got, Unencodable):
        return f"{what}: your code returned {got!r}, expected {_kind_of(want)}"
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return f"{what}: expected a dict, got {_kind_of(got)}"
        for key in want:
            if key not in got:
                return f"{what}: missing entry {key!r}"
            message = compare(got[key], want[key], f"{what}[{key!r}]" if what else key, rtol, atol)
            if message:
                return message
        return None
    if isinstance(want, (list, tuple)) and not _numeric_sequence(want):
        if not isinstance(got, (list, tuple)):
            return f"{what}: expected a sequence of {len(want)}, got {_kind_of(got)}"
        if len(got) != len(want):
            return f"{what}: expected {len(want)} items, got {len(got)}"
        for i, (g, w) in enumerate(zip(got, want)):
            message = compare(g, w, f"{what}[{i}]", rtol, atol)
            if message:
                return message
        return None
    if want is None or isinstance(want, str):
        return None if got == want else f"{what}: got {_fmt(got)!r}, expected {_fmt(want)!r}"
    return _compare_arrays(got, want, what, rtol, atol)


def _numeric_sequence(value) -> bool:
    return all(_is_number(v) for v in value)


def _kind_of(value) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    if value is None:
        return "None"
    return f"a {type(value).__name__}" if not isinstance(value, Unencodable) else repr(value)


def _compare_arrays(got, want, what: str, rtol: float, atol: float) -> str | None:
    if got is None:
        return f"{what}: your code returned None (a missing return statement?)"
    try:
        got_arr = np.asarray(got)
        want_arr = np.asarray(want)
    except Exception:  # noqa: BLE001
        return f"{what}: got {_kind_of(got)}, expected {_kind_of(want)}"
    if got_arr.dtype.kind not in "biufc":
        return f"{what}: got {_kind_of(got)}, expected numbers"
    if want_arr.ndim == 0 and got_arr.size == 1:
        got_arr = got_arr.reshape(())
    rtol, atol = _tolerances(got_arr, rtol, atol)
    if got_arr.shape != want_arr.shape:
        if got_arr.size == want_arr.size and np.allclose(got_arr.ravel(), want_arr.ravel(), rtol, atol) and want_arr.ndim:
            return f"{what}: right values, wrong shape {got_arr.shape} (expected {want_arr.shape})"
        extra = _pattern(got_arr, want_arr, rtol, atol)
        return f"{what}: shape {got_arr.shape}, expected {want_arr.shape}" + (f"; {extra}" if extra else "")
    if not np.all(np.isfinite(got_arr)) and np.all(np.isfinite(want_arr)):
        bad = np.argwhere(~np.isfinite(got_arr))
        where = tuple(int(i) for i in bad[0]) if bad.size and got_arr.ndim else ()
        return f"{what}: contains nan or inf (first at index {list(where)}: {_fmt(got_arr[where])}); expected finite values"
    if np.allclose(got_arr, want_arr, rtol=rtol, atol=atol, equal_nan=True):
        return None
    diff = np.abs(got_arr.astype(complex if got_arr.dtype.kind == "c" else float) - want_arr)
    max_abs = float(np.nanmax(diff)) if diff.size else 0.0
    scale = float(np.nanmax(np.abs(want_arr))) if want_arr.size else 0.0
    rel = max_abs / scale if scale > 0 else float("inf")
    lines = [f"{what}: max abs error {max_abs:.3g} (relative {rel:.3g})"]
    dtype_note = "" if got_arr.dtype == want_arr.dtype or got_arr.dtype.kind == want_arr.dtype.kind else \
        f", dtype {got_arr.dtype} (expected {want_arr.dtype})"
    if dtype_note:
        lines[0] += dtype_note
    pattern = _pattern(got_arr, want_arr, rtol, atol)
    if pattern:
        lines.append(pattern)
    if got_arr.ndim == 0:
        lines.append(f"got {_fmt(got_arr[()])}, expected {_fmt(want_arr[()])}")
    else:
        bad = np.argwhere(~np.isclose(got_arr, want_arr, rtol=rtol, atol=atol))
        lines[0] += f"; {len(bad)} of {got_arr.size} entries differ"
        where = _where_differences_are(bad, got_arr.shape) or _same_offset_in_every_row(got_arr, want_arr, rtol, atol)
        if where:
            lines.append(where)
        lines.append("first differing entries:")
        lines += _entry_table(got_arr, want_arr, bad[:MAX_ENTRIES_SHOWN])
    return "\n".join(lines)


def _where_differences_are(bad: np.ndarray, shape: tuple) -> str | None:
    """'only in column 2' and the like, when the wrong entries of a matrix share a row or a column."""
    if len(shape) != 2 or len(bad) < 2:
        return None
    for axis, word in ((1, "column"), (0, "row")):
        lines = sorted({int(i) for i in bad[:, axis]})
        if len(lines) <= 2 and len(lines) < shape[axis] and len(bad) >= 2 * len(lines):
            return f"the differences are only in {word}{'s' if len(lines) > 1 else ''} {' and '.join(map(str, lines))}"
    return None


def _same_offset_in_every_row(got: np.ndarray, want: np.ndarray, rtol: float, atol: float) -> str | None:
    """A matrix off by one row vector added to every row: what a wrong bias looks like."""
    if got.ndim != 2 or got.shape[0] < 2 or got.dtype.kind == "c":
        return None
    offset = got.astype(float) - want
    if np.allclose(offset, offset[:1], rtol=rtol, atol=max(atol, rtol * float(np.abs(want).max(initial=0)))):
        return "the difference is the same in every row (a wrong bias?)"
    return None


def _entry_table(got: np.ndarray, want: np.ndarray, indices: np.ndarray) -> list[str]:
    """One aligned line per entry: index, the student's value, the expected one."""
    rows = [(f"[{', '.join(str(int(i)) for i in idx)}]", _fmt(got[tuple(idx)]), _fmt(want[tuple(idx)]))
            for idx in indices]
    width_index = max(len(r[0]) for r in rows)
    width_got = max(len(r[1]) for r in rows)
    return [f"  {i:<{width_index}}  got {g:<{width_got}}  expected {w}" for i, g, w in rows]


def assert_close(got, want, what: str = "output", rtol: float = 1e-5, atol: float = 1e-8,
                 misconception: str | None = None) -> None:
    message = compare(got, want, what, rtol, atol)
    if message:
        raise CheckFailure(message, misconception)


def relative_error(analytic, numeric) -> float:
    """max |a - n| / max(|a| + |n|, tiny): the gradient-check measure (≈1e-7 or less when right)."""
    a = np.asarray(analytic, dtype=float)
    n = np.asarray(numeric, dtype=float)
    if a.shape != n.shape:
        return float("inf")
    denominator = np.maximum(np.abs(a) + np.abs(n), 1e-12)
    return float(np.max(np.abs(a - n) / denominator)) if a.size else 0.0


def assert_gradient(analytic, numeric, what: str, tolerance: float = 1e-4) -> None:
    """Analytic gradient against central differences, reported side by side."""
    if analytic is None or isinstance(analytic, Unencodable):
        fail(f"{what}: your code returned {_kind_of(analytic)}, expected a gradient array")
    a, n = np.asarray(analytic), np.asarray(numeric)
    if a.shape != n.shape:
        fail(f"{what}: analytic gradient has shape {a.shape}, the numeric one {n.shape}")
    error = relative_error(a, n)
    if not error <= tolerance:
        worst = np.unravel_index(int(np.argmax(np.abs(a - n))), a.shape) if a.ndim else ()
        message = (f"{what}: analytic and numeric gradients disagree (relative error {error:.2g}, tolerance "
                   f"{tolerance:g})\nat index {list(int(i) for i in worst)}: analytic {_fmt(a[worst])}, numeric "
                   f"{_fmt(n[worst])}" + (f"\n{_pattern(a, n, 1e-4, 1e-7)}" if _pattern(a, n, 1e-4, 1e-7) else ""))
        raise CheckFailure(message, artifacts={"gradient": gradient_record(a, n, what, tolerance, error)})
