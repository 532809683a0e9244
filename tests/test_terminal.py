"""The self-check's terminal and JSON rendering (grader.feedback.terminal), from stored results: no grading."""
import io
import json
import re

from report_samples import SECRET_INPUT, sample_results
from rich.console import Console

from grader.authoring.release import release
from grader.core.assignment import find_assignment
from grader.engine.declared import (
    HIDDEN_SUMMARY_FILE,
    declared_checks,
    hidden_checks_summary,
)
from grader.feedback.terminal import HiddenChecks, print_check, results_for_tools

TWO_HIDDEN = HiddenChecks(2, 6)


def _printed(results, width=70, verbose=False, hidden=TWO_HIDDEN):
    out = io.StringIO()
    print_check(results, Console(file=out, width=width, color_system=None), hidden, verbose=verbose)
    return out.getvalue()


def test_failed_checks_come_apart_with_whole_message_mistake_and_hint():
    text = _printed(sample_results(seed=1))
    words = " ".join(text.split())
    assert words.index("Failed (2)") > words.index("Passed (")
    assert "it equals the transpose of the expected value" in words
    assert "Likely mistake:" in words and "Hint:" in words
    assert "SGD.update: momentum (timed out)" in words
    assert "Final grading adds 2 hidden check(s) worth 6 point(s)" in words
    assert SECRET_INPUT not in text and "held-out batch" not in text  # hidden checks: not even their names


def test_lines_fit_a_narrow_terminal():
    assert max(len(line.rstrip()) for line in _printed(sample_results(seed=1), width=40).splitlines()) <= 40


def test_verbose_adds_the_evidence():
    results = sample_results(seed=1)
    failed = next(t for t in results["tests"] if t["status"] == "failed" and t["visibility"] == "visible")
    entry = next(c for c in results["extra_data"]["checks"] if c["number"] == failed["number"])
    entry["artifacts"] = {"got": [[1.5, 2.0]], "expected": [[2.0, 1.5]]}
    assert "got: [[1.5, 2.0]]" not in _printed(results)
    assert "got: [[1.5, 2.0]]" in _printed(results, width=200, verbose=True)


def test_json_has_public_checks_only_and_the_hidden_summary():
    document = results_for_tools(sample_results(seed=1), HiddenChecks(2, 6))
    json.dumps(document)
    assert [t["number"] for t in document["tests"]] == ["1", "2", "3", "4", "5", "6"]
    assert document["hidden"] == {"checks": 2, "points": 6}
    dense = document["tests"][1]
    assert dense["misconceptions"][0]["hint"] and "Likely mistake" not in dense["message"]


def test_release_records_the_hidden_checks_count_and_points_only(tmp_path):
    reference = find_assignment("backprop")
    hidden = [c for c in declared_checks(reference) if c.hidden]
    bundle = release(reference, tmp_path / "backprop")
    summary = (bundle / "checks" / HIDDEN_SUMMARY_FILE).read_text()
    assert json.loads(summary) == {"checks": len(hidden), "points": sum(c.points for c in hidden)}
    assert hidden_checks_summary(type(reference).from_dir(bundle, "backprop")) == (len(hidden),
                                                                                   sum(c.points for c in hidden))


def test_a_run_of_checks_with_one_message_prints_it_once():
    results = sample_results(seed=1)
    for test in results["tests"][:3]:
        test.update(status="failed", score=0.0, output="activations.py has a syntax error at line 38")
    text = _printed(results, width=120)
    assert text.count("activations.py has a syntax error at line 38") == 1
    assert all(re.search(rf"FAILED +{n} ", text) for n in (1, 2, 3))
