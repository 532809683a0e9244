"""Every assignment is proven by the default suite: its reference earns every point with no mistake named, its
released skeleton almost none, and every accepted variant (variants.toml) every point with no mistake named. The
rest of the proof, every catalogued mistake caught and named, is `nngrade validate`, which `.ci/run` runs for every
assignment."""
import shutil

import pytest
from rich.console import Console

from grader.authoring.leaks import MIN_CHARS, find_leaks, solution_lines
from grader.authoring.release import release
from grader.authoring.validate import (
    SKELETON_MAX_FRACTION,
    ValidationReport,
    _grade_variant,
)
from grader.authoring.variants import VARIANTS_FILE, load_variants
from grader.cli_validate import validation_table
from grader.core import assignment as assignments
from grader.core.assignment import Assignment, AssignmentError
from grader.core.paths import course_root
from grader.engine.grade import grade

WITH_REFERENCE = [n for n in assignments.available() if assignments.find_assignment(n).has_reference]
VARIANTS = [(name, variant.id) for name in WITH_REFERENCE
            for variant in load_variants(assignments.find_assignment(name))]


def test_every_assignment_of_the_course_is_proven_here():
    assert set(WITH_REFERENCE) >= {"numpy_nn", "backprop", "torch_basics", "cnn"}


def test_the_course_declares_its_accepted_variants():
    per_assignment = {name: sum(1 for n, _ in VARIANTS if n == name) for name in WITH_REFERENCE}
    assert len(VARIANTS) >= 25 and all(per_assignment[n] >= 3 for n in ("numpy_nn", "backprop", "torch_basics", "cnn"))


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
    assert not (bundle / VARIANTS_FILE).exists(), "the variants (edits of the reference) must never be released"


@pytest.mark.parametrize("name, variant_id", VARIANTS)
def test_accepted_variant_full_marks(name, variant_id):
    assignment = assignments.find_assignment(name)
    variant = next(v for v in load_variants(assignment) if v.id == variant_id)
    outcome = _grade_variant((str(assignment.root), variant, 0))   # seed 0: the recorded check inputs
    assert outcome.failed_checks == [] and outcome.named_mistakes == [], variant.title
    assert outcome.score == outcome.max_score > 0


def _course_copy(tmp_path, variants_text):
    source = assignments.find_assignment("numpy_nn")
    root = tmp_path / "numpy_nn"
    shutil.copytree(source.root, root, ignore=shutil.ignore_patterns("__pycache__"))
    (root / VARIANTS_FILE).write_text(variants_text, encoding="utf-8")
    return Assignment.from_dir(root)


@pytest.mark.parametrize("text, message", [
    ('[[variant]]\nid = "a"\nclass = "SGD"\ntitle = "t"\n', "lacks edit"),
    ('[[variant]]\nid = "a"\nclass = "SGD"\ntitle = "t"\n[[variant.edit]]\nfile = "optimizer.py"\n'
     'find = "no such line"\nreplace = "x"\n', "occurs 0 times in optimizer.py"),
    ('[[variant]]\nid = "a"\nclass = "SGD"\ntitle = "t"\n[[variant.edit]]\nfile = "optimizer.py"\nfind = "x"\n',
     "lacks replace"),
    ('[[variant]]\nid = "a"\nclass = "SGD"\ntitle = "t"\n[[variant.edit]]\nfile = "nope.py"\nfind = "x"\n'
     'replace = "y"\n', "the reference has no nope.py"),
    ('[[variant]]\nid = "a"\nclass = "SGD"\ntitle = "t"\n[[variant.edit]]\nfile = "optimizer.py"\n'
     'find = "class SGD(Optimizer):"\nreplace = "class SGD(Optimizer):"\n' * 2, "two variants have the id 'a'"),
    ("[[variant]\n", "is not valid TOML"),
])
def test_a_broken_variants_file_is_named_with_the_fix(tmp_path, text, message):
    assignment = _course_copy(tmp_path, text)
    with pytest.raises(AssignmentError, match="variants.toml") as raised:
        load_variants(assignment)
    assert message in str(raised.value)


def test_a_variant_the_checks_charge_fails_validate(tmp_path):
    """The proof can fail: a 'variant' that is really a mistake loses points, and the report is not valid."""
    assignment = _course_copy(tmp_path, '[[variant]]\nid = "transposed"\nclass = "DenseLayer"\ntitle = "t"\n'
                                        '[[variant.edit]]\nfile = "layers.py"\n'
                                        'find = "weights_error = self.input.T @ output_error"\n'
                                        'replace = "weights_error = (output_error.T @ self.input).T * 2"\n')
    (variant,) = load_variants(assignment)
    outcome = _grade_variant((str(assignment.root), variant, 0))   # seed 0: the recorded check inputs
    assert not outcome.full_marks and outcome.score < outcome.max_score
    assert any(f.startswith("DenseLayer.backward_propagation: weight gradient") for f in outcome.failed_checks)
    report = ValidationReport("numpy_nn", outcome.max_score, outcome.max_score, 0.0, [], [], [], [outcome])
    assert not report.ok and report.variants_full_marks == 0
    with Console(record=True, width=120) as console:
        console.print(validation_table(report))
    assert "variants at full marks │ 0 / 1" in console.export_text()


def test_a_hint_quoting_a_solution_line_is_a_leak_named_with_file_and_line(tmp_path):
    """The proof fails when the bundle hands over the solution: a hint that repeats a solution line, spaced
    differently, is named with its file, its line and the solution line it repeats."""
    assignment = assignments.find_assignment("numpy_nn")
    bundle = tmp_path / "bundle"
    shutil.copytree(course_root() / "assignments" / "numpy_nn", bundle)
    catalogue = bundle / "mistakes.toml"
    lines = catalogue.read_text(encoding="utf-8").splitlines()
    lines.append('hint = "Try:  input_error  =  output_error @ self.weights.T"')
    catalogue.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (leak,) = find_leaks(assignment, bundle)
    assert (leak.file, leak.line) == ("mistakes.toml", len(lines))
    assert leak.solution_line == "input_error = output_error @ self.weights.T"
    assert "mistakes.toml line" in str(leak) and "input_error = output_error @ self.weights.T" in str(leak)
    report = ValidationReport("numpy_nn", 1.0, 1.0, 0.0, [], [], [], leaks=[leak])
    assert not report.ok
    with Console(record=True, width=120) as console:
        console.print(validation_table(report))
    assert "solution leaks         │ 1" in console.export_text()


def test_a_todo_text_stating_the_solution_line_is_a_leak(tmp_path):
    assignment = assignments.find_assignment("numpy_nn")
    bundle = tmp_path / "bundle"
    shutil.copytree(course_root() / "assignments" / "numpy_nn", bundle)
    layers = bundle / "numpy_nn" / "layers.py"
    text = layers.read_text(encoding="utf-8")
    layers.write_text(text.replace("# TODO: ", "# TODO: bias_error = np.sum(output_error, axis=0, keepdims=True); ", 1),
                      encoding="utf-8")
    leaks = find_leaks(assignment, bundle)
    assert [leak.file for leak in leaks] == ["numpy_nn/layers.py"]
    assert leaks[0].solution_line == "bias_error = np.sum(output_error, axis=0, keepdims=True)"


def test_given_code_and_trivial_lines_are_not_searched_for():
    wanted = set(solution_lines(assignments.find_assignment("numpy_nn")).values())
    assert "input_error = output_error @ self.weights.T" in wanted
    assert not any(line.startswith("#") or len(line.replace(" ", "")) < MIN_CHARS for line in wanted)
    assert "return self.output" not in wanted and "self.input = input" not in wanted


@pytest.mark.parametrize("name", WITH_REFERENCE)
def test_the_shipped_bundles_hand_over_no_solution_line(name):
    assignment = assignments.find_assignment(name)
    leaks = find_leaks(assignment, course_root() / "assignments" / name)
    assert leaks == [], "\n".join(str(leak) for leak in leaks)
