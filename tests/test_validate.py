"""`nngrade validate numpy_nn`: the reference earns everything, the skeleton almost nothing, every mistake is caught."""
from grader import assignment as assignments
from grader.validate import SKELETON_MAX_FRACTION, validate


def test_numpy_nn_checks_are_proven():
    report = validate(assignments.load("numpy_nn"), workers=2)
    assert report.reference_failures == [] and report.reference_score == report.max_score
    assert report.reference_misconceptions == [], "a misconception was named on the reference (false alarm)"
    assert report.skeleton_score <= SKELETON_MAX_FRACTION * report.max_score
    assert len(report.mistakes) >= 30
    missed = [m.id for m in report.mistakes if not m.caught]
    assert missed == [], f"mistakes no check of their class catches: {missed}"
    unnamed = [m.id for m in report.mistakes if not m.named]
    assert unnamed == [], f"mistakes caught but not named: {unnamed}"
    assert report.ok
