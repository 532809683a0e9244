"""Correct numpy_nn submissions written the way the course writes its code earn full marks.

Each sample in COURSE_SAMPLES (samples/numpy_nn, described in samples/README.md)
was written from the course's description of the library (seed 003, CONTRACT §3)
in a style real course code uses: abstract bases, keyword calls, drop-last
mini-batches, networks holding optimizer instances, a Dataset that requires
labels, the softmax derivative as the Jacobian diagonal, float32, summed
losses, a Model base class that refuses predict before fit, a notebook. A
grader faithful to the course charges none of these choices.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from grader.core.assignment import find_assignment
from grader.engine.grade import grade

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples" / "numpy_nn"
COURSE_SAMPLES = ["gina", "hugo", "ines", "jonas", "kira", "liam", "mara", "nico", "olga", "pablo"]


@pytest.fixture(scope="module")
def assignment():
    return find_assignment("numpy_nn")


def _entry(student: str) -> Path:
    return next(p for p in SAMPLES.iterdir() if p.stem == student)


@pytest.mark.parametrize("student", COURSE_SAMPLES)
def test_course_style_sample_gets_full_marks(assignment, student):
    results = grade(assignment, _entry(student))
    lost = [f"{t['name']} ({t['score']:g}/{t['max_score']:g}): {t['output']}"
            for t in results["tests"] if t["status"] != "passed"]
    assert lost == [], "\n\n".join(lost)
    assert results["extra_data"]["grader_errors"] == 0
    assert results["score"] == results["extra_data"]["max_score"] > 100
    assert results["extra_data"]["misconceptions"] == []


def test_every_course_sample_is_described_in_the_samples_readme():
    readme = (ROOT / "samples" / "README.md").read_text(encoding="utf-8")
    described = set(re.findall(r"^\| `(\w+)` \|", readme, flags=re.MULTILINE))
    assert set(COURSE_SAMPLES) <= described
    assert all(_entry(student).exists() for student in COURSE_SAMPLES)
