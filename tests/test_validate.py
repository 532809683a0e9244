"""Every assignment is proven by the default suite: its reference earns every point with no mistake named, and its
released skeleton almost none. The whole proof, every catalogued mistake caught and named, is `nngrade validate`,
which `.ci/run` runs for every assignment."""
import pytest

from grader.authoring.release import release
from grader.authoring.validate import SKELETON_MAX_FRACTION
from grader.core import assignment as assignments
from grader.engine.grade import grade

WITH_REFERENCE = [n for n in assignments.available() if assignments.find_assignment(n).has_reference]


def test_every_assignment_of_the_course_is_proven_here():
    assert set(WITH_REFERENCE) >= {"numpy_nn", "backprop", "torch_basics", "cnn"}


@pytest.mark.parametrize("name", WITH_REFERENCE)
def test_reference_full_marks_and_skeleton_near_zero(name, tmp_path):
    assignment = assignments.find_assignment(name)
    reference = grade(assignment, assignment.solution_dir)
    failed = [f"{t['name']}: {t['output']}" for t in reference["tests"] if t["status"] != "passed"]
    assert failed == [] and reference["score"] == reference["extra_data"]["max_score"] > 0
    assert reference["extra_data"]["misconceptions"] == [], "a mistake was named on the reference (false alarm)"
    bundle = release(assignment, tmp_path / "bundle")
    skeleton = grade(assignment, bundle / assignment.package, diagnose=False)
    assert skeleton["extra_data"]["max_score"] == reference["extra_data"]["max_score"]
    assert skeleton["score"] <= SKELETON_MAX_FRACTION * skeleton["extra_data"]["max_score"]
    assert skeleton["extra_data"]["grader_errors"] == 0
