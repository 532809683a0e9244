"""The wording of grader.checks messages: short, aligned, and pointing at what to fix."""
from __future__ import annotations

import numpy as np

from grader.checks import compare

RNG = np.random.default_rng(3)
WANT = RNG.normal(size=(5, 3))


def test_differing_entries_are_counted_and_listed_one_per_line_aligned():
    got = WANT.copy()
    got[1, 1], got[3, 0] = 9.0, -1.0
    lines = compare(got, WANT, "output").splitlines()
    assert lines[0].startswith("output: max abs error") and lines[0].endswith("; 2 of 15 entries differ")
    assert lines[1] == "first differing entries:"
    assert lines[2].startswith("  [1, 1]  got 9   expected ")
    assert lines[3].startswith("  [3, 0]  got -1  expected ")
    assert len(lines) == 4


def test_differences_confined_to_one_column_are_pointed_out():
    got = WANT.copy()
    got[:, 2] += 0.5  # e.g. one bias entry wrong
    message = compare(got, WANT, "output")
    assert "5 of 15 entries differ" in message
    assert "the differences are only in column 2" in message.splitlines()


def test_differences_confined_to_one_row_are_pointed_out():
    got = WANT.copy()
    got[4] *= 3
    assert "the differences are only in row 4" in compare(got, WANT, "output").splitlines()


def test_no_location_claim_when_differences_are_everywhere():
    message = compare(WANT + RNG.normal(size=WANT.shape), WANT, "output")
    assert "only in" not in message and "every row" not in message and "15 of 15 entries differ" in message


def test_a_single_wrong_number_is_not_called_a_scale_factor():
    assert compare(1.5, 2.0, "loss") == "loss: max abs error 0.5 (relative 0.25)\ngot 1.5, expected 2"


def test_a_scaled_array_is_still_called_one():
    assert "it is 2 times the expected value" in compare(2 * WANT, WANT, "gradient")


def test_messages_stay_short_for_a_large_array():
    want = RNG.normal(size=(200, 300))
    message = compare(want + RNG.normal(size=want.shape), want, "output")
    assert len(message.splitlines()) == 5 and len(message) < 400


def test_the_same_offset_in_every_row_is_named_as_a_bias_problem():
    bias = RNG.normal(size=(1, 3))
    message = compare(WANT + bias, WANT, "output")
    assert message.splitlines()[1] == "the difference is the same in every row (a wrong bias?)"
    noisy = WANT + bias + RNG.normal(size=WANT.shape) * 0.1
    assert "every row" not in compare(noisy, WANT, "output")
