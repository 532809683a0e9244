"""Check inputs: today's at grading seed 0 (the self-check), fresh ones at final grading, fixed in hidden checks."""
from __future__ import annotations

import numpy as np

from grader.checks import fresh_seed, rng_for
from grader.checks.inputs import drawing_inputs, grading_seed, new_grading_seed


def _draw_in(file_name: str):
    """rng_for(3) and fresh_seed(3) as code in a check file of that name sees them."""
    namespace = {"rng_for": rng_for, "fresh_seed": fresh_seed}
    exec(compile("value = rng_for(3).normal(size=4)\nseed = fresh_seed(3)", f"/course/checks/{file_name}", "exec"),
         namespace)
    return namespace["value"], namespace["seed"]


def test_seed_zero_draws_todays_inputs():
    assert grading_seed() == 0
    value, seed = _draw_in("test_public_layers.py")
    assert np.array_equal(value, np.random.default_rng(3).normal(size=4)) and seed == 3


def test_a_grading_seed_draws_other_inputs_and_the_same_seed_the_same_ones():
    with drawing_inputs(12345):
        first, first_seed = _draw_in("test_public_layers.py")
        again, _ = _draw_in("test_public_layers.py")
    with drawing_inputs(54321):
        other, other_seed = _draw_in("test_public_layers.py")
    assert np.array_equal(first, again) and not np.array_equal(first, other)
    assert first_seed != 3 and other_seed != first_seed and 0 <= first_seed < 2**31
    assert grading_seed() == 0


def test_hidden_checks_keep_their_inputs():
    with drawing_inputs(12345):
        value, seed = _draw_in("test_hidden_layers.py")
    assert np.array_equal(value, np.random.default_rng(3).normal(size=4)) and seed == 3


def test_new_grading_seeds_are_never_the_self_checks():
    assert all(0 < new_grading_seed() < 2**31 for _ in range(100))


def test_the_references_answer_cache_stays_bounded_across_gradings(monkeypatch):
    from grader.checks import probing
    from grader.core.assignment import find_assignment
    from grader.engine.kinds import kind_of

    reference = kind_of(find_assignment("numpy_nn")).trusted_reference()
    monkeypatch.setattr(probing, "CACHE_BYTES", 2000)
    rng = np.random.default_rng(0)
    for _ in range(200):   # 200 gradings' worth of fresh inputs
        args = dict(name="mse", y_true=rng.normal(size=(7, 2)), y_pred=rng.normal(size=(7, 2)))
        value = reference.run("metric_value", args)
        assert value == reference.run("metric_value", args)   # the answer just computed is kept
    assert len(reference._cache) < 200 and reference._cache_bytes <= 2000
