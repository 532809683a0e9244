"""Figures that carry information: training curves against the reference and the threshold, with a reading of
their shape; analytic against numeric gradients; no figure on a passed check unless asked."""
from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from bs4 import BeautifulSoup
from report_samples import sample_results

from grader.checks import CheckFailure, assert_gradient, training_record
from grader.core.assignment import AssignmentError, find_assignment
from grader.core.types import CheckResult
from grader.engine.declared import declared_checks
from grader.engine.reference_curves import CURVES_FILE, attach_reference_curves
from grader.feedback.check_figures import gradient_figure, training_figure
from grader.feedback.curves import classify_loss, reading
from grader.feedback.html import render_html

REFERENCE = {"loss": [0.7 / e for e in range(1, 21)], "final": 0.97}


def _flat_record(**extra) -> dict:
    record = training_record("NeuralNetwork.fit on two blobs", [0.69] * 20, threshold=0.9, final=0.62)
    record["reference"] = copy.deepcopy(REFERENCE)
    return dict(record, **extra)


# --- the curve classifier -----------------------------------------------------------------------------------

@pytest.mark.parametrize("name, loss, kind", [
    ("flat", [0.69] * 15, "flat"),
    ("flat after a small first step", [0.70, 0.68] + [0.6795, 0.6801] * 8, "flat"),
    ("hardly moving, noisy", [2.19, 2.0, 1.99, 2.17, 2.17], "flat"),
    ("rising", [0.5 * 1.2 ** e for e in range(12)], "rising"),
    ("rising, then saturated", [0.7, 4.1, 15.6] + [19.2] * 20, "rising"),
    ("falls then climbs back", [1.0, 0.5, 0.3, 0.2, 0.4, 0.7, 0.9], "rising"),
    ("NaN", [0.5, 0.4, math.nan, math.nan], "not-finite"),
    ("None (as recorded)", [0.5, 0.4, 3.0, None, None], "not-finite"),
    ("infinite", [0.5, math.inf], "not-finite"),
    ("good", [1 / e for e in range(1, 21)], "falling"),
    ("good, noisy", [1 / e + 0.01 * ((-1) ** e) for e in range(1, 41)], "falling"),
    ("slow", [1 - 0.02 * e for e in range(20)], "slow"),
    ("oscillating", [1.0, 0.5, 0.9, 0.45, 0.85, 0.4, 0.9, 0.5, 0.8, 0.45], "oscillating"),
    ("too short", [0.5], "missing"),
])
def test_the_curve_classifier_names_the_shape(name, loss, kind):
    assert classify_loss(loss).kind == kind, name


def test_the_classifier_reads_scale_free_curves_the_same():
    for scale in (1e-4, 1.0, 1e4):
        assert classify_loss([scale * v for v in [0.69] * 10]).kind == "flat"
        assert classify_loss([scale / e for e in range(1, 21)]).kind == "falling"


def test_a_curve_that_levels_off_far_above_the_reference_is_stuck():
    loss = [1.0, 0.7, 0.6] + [0.55] * 17
    assert classify_loss(loss).kind == "falling"
    assert classify_loss(loss, REFERENCE["loss"]).kind == "stuck"


def test_the_reading_names_the_epoch_and_compares_with_the_threshold_and_the_reference():
    shape, text = reading(dict(_flat_record(), loss=[0.75, 0.70] + [0.69] * 10))
    assert shape.kind == "flat" and shape.epoch == 2
    assert text.startswith("Your loss stays flat after epoch 2: the weights are not updated")
    assert "Test accuracy 0.62 after training, below the 0.90 needed; a typical reference run reaches 0.97." in text
    _, nan_text = reading(dict(_flat_record(), loss=[0.9, 0.7, None, None]))
    assert nan_text.startswith("Your loss is NaN or infinite from epoch 3")
    _, by_epoch = reading(training_record("CNN on digits", [2.0, 1.0, 0.5, 0.3], 0.9, final=0.5,
                                          metric=[0.3, 0.5, 0.6, 0.6], metric_name="validation accuracy")
                          | {"reference": {"metric": [0.6, 0.85, 0.93, 0.95]}})
    assert "a typical reference run reaches 0.90 (validation accuracy) by epoch 3" in by_epoch


# --- what the figures draw ----------------------------------------------------------------------------------

def _legend(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_a_flat_failing_run_is_drawn_against_the_reference_and_the_threshold():
    fig, caption = training_figure(_flat_record())
    loss_ax, score_ax = fig.axes
    assert (loss_ax.get_xlabel(), loss_ax.get_ylabel()) == ("epoch", "loss")
    assert score_ax.get_ylabel() == "test accuracy"
    assert fig._suptitle.get_text() == "NeuralNetwork.fit on two blobs"
    assert _legend(loss_ax) == ["your run", "reference (typical run)"]
    assert "pass threshold (0.90)" in _legend(score_ax)
    mine = next(line for line in loss_ax.get_lines() if line.get_label() == "your run")
    assert list(mine.get_ydata()) == [0.69] * 20
    threshold = next(line for line in score_ax.get_lines() if line.get_label().startswith("pass threshold"))
    assert set(threshold.get_ydata()) == {0.9}
    assert [round(bar.get_height(), 2) for bar in score_ax.patches] == [0.62, 0.97]
    assert "flat" in caption


def test_a_metric_per_epoch_is_drawn_with_the_threshold_and_the_final_score():
    record = training_record("your CNN on digits", [2.0, 1.0, 0.6], 0.92, final=0.81, metric=[0.5, 0.7, 0.8],
                             metric_name="validation accuracy", val_loss=[2.1, 1.2, 0.9])
    fig, _ = training_figure(record)
    loss_ax, score_ax = fig.axes
    assert _legend(loss_ax) == ["your run", "your run, validation"]
    assert (score_ax.get_xlabel(), score_ax.get_ylabel()) == ("epoch", "validation accuracy")
    assert _legend(score_ax) == ["your run, validation accuracy", "your test accuracy", "pass threshold (0.92)"]


def test_a_gradient_that_disagrees_is_drawn_entry_by_entry_against_y_equals_x():
    numeric = np.array([[-3.6, -3.3, 0.66]])
    with pytest.raises(CheckFailure) as failure:
        assert_gradient(0.2 * numeric, numeric, "bias gradient vs central differences", 1e-4)
    record = failure.value.artifacts["gradient"]
    assert record["analytic"] == pytest.approx([-0.72, -0.66, 0.132]) and record["entries"] == 3
    fig, caption = gradient_figure(record)
    (ax,) = fig.axes
    assert ax.get_xlabel() == "numeric gradient (central differences)"
    assert ax.get_ylabel() == "your analytic gradient" and ax.get_title() == "bias gradient"
    diagonal, fitted = ax.get_lines()
    assert list(diagonal.get_xdata()) == list(diagonal.get_ydata())
    assert fitted.get_label() == "analytic = 0.2 × numeric"
    assert list(fitted.get_ydata()) == pytest.approx([0.2 * x for x in fitted.get_xdata()])
    (wrong,) = ax.collections
    assert wrong.get_label() == "entries that disagree" and len(wrong.get_offsets()) == 3
    assert caption.startswith("Every entry is 0.2 times the numeric one")
    _, flipped = gradient_figure(dict(record, analytic=(-numeric).ravel().tolist()))
    assert "opposite sign" in flipped
    _, zeros = gradient_figure(dict(record, analytic=[0.0, 0.0, 0.0]))
    assert "all zeros" in zeros


def test_a_gradient_check_that_passes_records_nothing():
    assert_gradient(np.ones(3), np.ones(3), "w", 1e-4)  # no exception, so nothing for the artifacts


# --- which checks get figures in report.html ----------------------------------------------------------------

def _with_training(check_passed: bool, hidden: bool = False, visible_to_students: bool = True) -> dict:
    results = sample_results(seed=1, curves=False)
    test = results["tests"][6]
    test["status"], test["score"] = ("passed", test["max_score"]) if check_passed else ("failed", 0.0)
    test["visibility"] = "after_published" if hidden else "visible"
    results["extra_data"]["checks"][6]["artifacts"] = {"training": _flat_record(),
                                                       "student_visible": visible_to_students}
    return results


def _figures(html: str, number: str = "7") -> list:
    return BeautifulSoup(html, "html.parser").find(id=f"check-{number}").find_all("figure")  # an article or a row


def test_a_failed_training_check_gets_its_figure_and_reading():
    (figure,) = _figures(render_html(_with_training(check_passed=False)))
    assert figure.find("figcaption").get_text().startswith("Your loss stays flat from the first epoch")
    assert figure.find("img")["alt"].startswith("Learning curves: NeuralNetwork.fit on two blobs")


def test_a_passed_check_gets_no_figure_unless_asked():
    results = _with_training(check_passed=True)
    assert _figures(render_html(results)) == []
    assert len(_figures(render_html(results, all_plots=True))) == 1
    results["tests"][6]["tags"].append("charged-elsewhere")  # the student's code failed; another part was charged
    assert len(_figures(render_html(results))) == 1


def test_a_hidden_check_figure_reaches_students_only_when_the_check_allows_it():
    results = _with_training(check_passed=False, hidden=True, visible_to_students=False)
    assert _figures(render_html(results)) == []
    assert len(_figures(render_html(results, student_view=False))) == 1


# --- the reference's curves ---------------------------------------------------------------------------------

def _training_result(name: str) -> CheckResult:
    result = CheckResult("t.py::t", "t", name, 1.0, False)
    result.artifacts["training"] = training_record("fit", [1.0, 0.5], 0.9, final=0.95)
    return result


def test_reference_curves_are_attached_by_check_name(tmp_path):
    curves = {"curves": {"fit: blobs": REFERENCE}}
    (tmp_path / CURVES_FILE).write_text(json.dumps(curves), encoding="utf-8")
    assignment = SimpleNamespace(checks_dir=tmp_path, name="demo")
    blobs, other = _training_result("fit: blobs"), _training_result("fit: xor")
    attach_reference_curves(assignment, [blobs, other])
    assert blobs.artifacts["training"]["reference"] == REFERENCE and "reference" not in other.artifacts["training"]


def test_a_broken_curves_file_names_itself_and_the_fix(tmp_path):
    (tmp_path / CURVES_FILE).write_text("{not json", encoding="utf-8")
    with pytest.raises(AssignmentError, match=r"reference_curves.json: cannot read it .*"
                                              r"python -m grader.authoring.reference_curves demo"):
        attach_reference_curves(SimpleNamespace(checks_dir=tmp_path, name="demo"), [_training_result("x")])


@pytest.mark.parametrize("name", ["numpy_nn", "cnn", "backprop", "torch_basics"])
def test_recorded_reference_curves_name_existing_checks(name):
    assignment = find_assignment(str(Path(__file__).resolve().parents[1] / "reference" / name))
    path = assignment.checks_dir / CURVES_FILE
    curves = json.loads(path.read_text(encoding="utf-8"))["curves"]
    declared = {check.name for check in declared_checks(assignment)}
    assert curves and set(curves) <= declared, f"{path}: regenerate it (a training check was renamed)"


def test_report_md_gives_the_readings_of_a_failed_check():
    from grader.feedback.markdown import render_markdown
    results = _with_training(check_passed=False)
    numeric = [-3.6, -3.3, 0.66]
    results["tests"][1]["output"] = "gradient check failed"
    results["extra_data"]["checks"][1]["artifacts"] = {"gradient": {"what": "bias gradient vs central differences",
                                                                   "analytic": [-v for v in numeric],
                                                                   "numeric": numeric, "tolerance": 1e-4}}
    markdown = render_markdown(results)
    assert "*Learning curve: Your loss stays flat from the first epoch" in markdown
    assert "*Gradient (bias gradient): Every entry has the opposite sign of the numeric gradient" in markdown


def test_a_run_that_recorded_no_loss_still_gets_its_score_and_threshold(recwarn):
    fig, caption = training_figure(training_record("fit", [], 0.9, final=0.3))
    loss_ax, score_ax = fig.axes
    assert loss_ax.get_legend() is None and "pass threshold (0.90)" in _legend(score_ax)
    assert caption == "Test accuracy 0.30 after training, below the 0.90 needed." and not recwarn.list


def test_report_command_draws_passed_checks_figures_with_plots_all(tmp_path):
    from click.testing import CliRunner

    from grader.cli import main
    from grader.core.schema import write_json_atomic
    write_json_atomic(tmp_path / "results.json", _with_training(check_passed=True))
    assert CliRunner().invoke(main, ["report", str(tmp_path)]).exit_code == 0
    assert _figures((tmp_path / "report.html").read_text(encoding="utf-8")) == []
    assert CliRunner().invoke(main, ["report", str(tmp_path), "--plots", "all"]).exit_code == 0
    assert len(_figures((tmp_path / "report.html").read_text(encoding="utf-8"))) == 1
