"""The reports as a student and an instructor read them: report.md, report.html, gradebook.csv, summary.html."""
from __future__ import annotations

import base64
import copy
import csv
import io
import shutil
import subprocess
import sys

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner
from PIL import Image as PILImage
from report_samples import SECRET_INPUT, TRANSPOSED, sample_results

from grader.cli import main
from grader.core import assignment as assignments
from grader.feedback.files import write_reports
from grader.feedback.html import MAX_IMAGES_PER_REPORT, render_html
from grader.feedback.markdown import render_markdown
from grader.feedback.plots import artifact_images, artifact_scalars, numeric_series
from grader.feedback.summary import gradebook_csv, load_batch, write_class_outputs
from grader.feedback.view import clean_text

HOSTILE = "<script>alert('x')</script> {{ 7*7 }} {% raw %} \x1b[31mred\x1b[0m \x07bell"


def _soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def _check_article(soup: BeautifulSoup, number: str):
    return soup.find("article", id=f"check-{number}")


# --- report.html / report.md of one submission -------------------------------------------------------------

def test_report_shows_score_classes_and_each_failure_with_its_misconception():
    soup = _soup(render_html(sample_results(seed=1)))
    assert soup.find(id="score").get_text(" ", strip=True) == "6 / 17 points"
    classes = {row.find("td").get_text(): [td.get_text(" ", strip=True) for td in row.find_all("td")[1:]]
               for row in soup.find(id="classes").find("tbody").find_all("tr")}
    assert classes == {"DenseLayer": ["4 / 7", "2 / 3"], "SigmoidActivation": ["1 / 1", "1 / 1"],
                       "MeanSquaredError": ["1 / 1", "1 / 1"], "SGD": ["0 / 2", "0 / 1"],
                       "NeuralNetwork": ["0 / 6", "0 / 2"]}
    card = soup.find(id="mistake-dense-weight-gradient-transposed")
    assert card.find("pre").get_text() == "weight gradient: shape (3, 4), expected (4, 3); " \
                                          "it equals the transpose of the expected value"
    text = card.get_text(" ", strip=True)
    assert TRANSPOSED["title"] in text and TRANSPOSED["explanation"] in text and TRANSPOSED["hint"] in text
    assert "−3 points" in text and "DenseLayer.backward_propagation" in text
    assert "Likely mistake" not in soup.get_text()  # shown once, as a card, not also in the message
    dense = _check_article(soup, "2")
    assert "failed" in dense["class"] and dense.find("pre") is None  # its message is the card's evidence
    assert dense.find(class_="refer").find("a")["href"] == "#mistake-dense-weight-gradient-transposed"
    assert _check_article(soup, "6").find(class_="badge").get_text() == "timed out"
    passed = soup.find("details", id="passed")
    assert passed.find(id="check-1") is not None and passed.find("pre") is None and "open" not in passed.attrs


def test_student_view_hides_hidden_checks_details_and_the_printed_output():
    results = sample_results(seed=1)
    student = render_html(results)
    assert SECRET_INPUT not in student and SECRET_INPUT not in render_markdown(results)
    hidden = _check_article(_soup(student), "8")
    assert hidden.find(class_="check-name").get_text() == "8. NeuralNetwork.predict: held-out batch"
    text = hidden.get_text(" ", strip=True)
    assert "0 / 2" in text and "This hidden check concerns NeuralNetwork.predict." in text
    assert "inputs and expected values are not shown" in text
    instructor = render_html(results, student_view=False)
    assert instructor.count(SECRET_INPUT) == 2  # the hidden check's message and the submission's output
    assert SECRET_INPUT in render_markdown(results, student_view=False)


def test_results_written_before_the_student_safe_rule_show_no_hidden_message():
    results = sample_results(seed=1, student_safe=False)
    assert SECRET_INPUT in results["tests"][7]["output"]
    student = render_html(results)
    assert SECRET_INPUT not in student and SECRET_INPUT not in render_markdown(results)
    assert "Hidden check: its details are not shown." in _check_article(_soup(student), "8").get_text()
    assert render_html(results, student_view=False).count(SECRET_INPUT) == 2


def test_hidden_check_artifacts_reach_students_only_when_the_check_allows_it():
    results = sample_results(seed=1)
    assert len(_check_article(_soup(render_html(results)), "7").find_all("img")) == 4
    del results["extra_data"]["checks"][6]["artifacts"]["student_visible"]
    assert _check_article(_soup(render_html(results)), "7").find_all("img") == []
    assert len(_check_article(_soup(render_html(results, student_view=False)), "7").find_all("img")) == 4


def test_images_are_inline_pngs_with_alt_text():
    soup = _soup(render_html(sample_results(seed=2), all_plots=True))  # the training check passed at seed 2
    images = soup.find_all("img")
    assert len(images) == 4  # loss and metric curves, confusion matrix, decision regions
    for img in images:
        assert img["src"].startswith("data:image/png;base64,")
        picture = PILImage.open(io.BytesIO(base64.b64decode(img["src"].split(",", 1)[1])))
        picture.verify()
        assert picture.format == "PNG" and img["alt"]
    assert "history: loss" in [img["title"] for img in images]


def test_page_is_self_contained_and_script_free():
    html = render_html(sample_results(seed=1))
    soup = _soup(html)
    assert soup.find("script") is None and soup.find("link") is None
    assert soup.find("meta", attrs={"name": "viewport"})
    csp = soup.find("meta", attrs={"http-equiv": "Content-Security-Policy"})["content"]
    assert "default-src 'none'" in csp and "img-src data:" in csp
    assert "http://" not in html and "https://" not in html


def test_hostile_text_is_escaped_stripped_and_capped():
    results = sample_results(seed=1)
    results["tests"][1]["output"] = HOSTILE + "A" * 3_000_000
    results["tests"][0]["name"] = "DenseLayer.forward: " + HOSTILE
    results["extra_data"]["notes"] = [HOSTILE]
    results["extra_data"]["misconceptions"][0]["hint"] = HOSTILE
    for html in (render_html(results), render_html(results, student_view=False)):
        assert "<script>" not in html and "&lt;script&gt;" in html
        text = _soup(html).get_text()
        assert "{{ 7*7 }}" in text and "49" not in text and "{% raw %}" in text
        assert "\x1b" not in html and "\x07" not in html and "[31m" not in html
        assert len(html) < 200_000 and "A … (shortened)" in html
    markdown = render_markdown(results)
    assert "\x1b" not in markdown and len(markdown) < 20_000
    outside_code = markdown.split("```")[::2]  # raw text stays inside code blocks, where Markdown shows it as is
    assert not any("<" in part for part in outside_code) and "&lt;script&gt;" in markdown
    assert clean_text("\x1b[1;32mok\x1b[0m\x00") == "ok"


def test_markdown_has_the_same_sections():
    results = sample_results(seed=1)
    markdown = render_markdown(results)
    accuracy = results["extra_data"]["checks"][6]["artifacts"]["accuracy"]
    assert markdown.startswith("# numpy_nn: a neural-network library in numpy: 6 / 17\n")
    assert "| DenseLayer | 4 / 7 | 2 / 3 |" in markdown
    assert f"### 1. {TRANSPOSED['title']} (−3 points)" in markdown
    assert f"*Why it is wrong:* {TRANSPOSED['explanation']}\n\n*Hint:* {TRANSPOSED['hint']}" in markdown
    assert "Likely mistake" not in markdown and markdown.count(TRANSPOSED["explanation"]) == 1
    assert "#### 6. SGD.update: momentum: timed out, 0 / 2" in markdown
    assert f"Same mistake as above: **{TRANSPOSED['title']}** (this check's message is shown there)." in markdown
    assert f"accuracy: {accuracy:.4g} · threshold: 0.9\n" in markdown
    assert "#### 8. NeuralNetwork.predict: held-out batch (hidden): failed, 0 / 2\n\n```\nThis hidden check " \
        "concerns NeuralNetwork.predict." in markdown
    order = [markdown.index(h) for h in ("## What to fix first", "## Failed checks", "## Passed checks",
                                         "## Points by class")]
    assert order == sorted(order)


def test_results_without_extra_data_still_render():
    results = {"score": 1, "tests": [{"name": "f: x", "score": 1, "max_score": 2, "status": "failed",
                                      "output": "nope"}]}
    assert "nope" in render_html(results) and "# Assignment: 1 / 2" in render_markdown(results)


# --- plots: what check authors may put in artifacts -----------------------------------------------------------

def test_every_documented_series_shape_is_found():
    artifacts = {
        "history": [3, 2, 1],
        "loss": {"2": 0.5, "1": 0.9},
        "fit": {"1": {"loss": 0.9, "metric": 0.1}, "2": {"loss": 0.5, "metric": 0.4}},
        "rows": [{"loss": 1.0, "accuracy": 0.2}, {"loss": 0.7, "accuracy": 0.5}],
        "curves": {"train": [1, 2], "val_train": [1.5, 2.5]},
        "accuracy": 0.93, "name": "blobs", "confusion": [[1, 2], [3, 4]],
    }
    series = numeric_series(artifacts)
    assert series["history"] == ([1.0, 2.0, 3.0], [3.0, 2.0, 1.0])
    assert series["loss"] == ([1.0, 2.0], [0.9, 0.5])
    assert series["fit: metric"] == ([1.0, 2.0], [0.1, 0.4])
    assert series["rows: accuracy"][1] == [0.2, 0.5]
    assert set(series) == {"history", "loss", "fit: loss", "fit: metric", "rows: loss", "rows: accuracy",
                           "curves: train", "curves: val_train"}
    images = artifact_images(artifacts)
    titles = [i.title for i in images]
    assert titles == ["history", "loss", "fit: loss", "fit: metric", "rows: loss", "rows: accuracy",  # 6 at most
                      "Confusion matrix"]
    assert artifact_scalars(artifacts) == [("accuracy", "0.93"), ("name", "blobs")]


def test_validation_series_share_the_panel_of_their_training_series():
    images = artifact_images({"loss": [1.0, 0.5, 0.2], "val_loss": [1.1, 0.7, 0.6]})
    assert [i.title for i in images] == ["loss"]


def test_a_diverging_loss_is_named_in_the_caption():
    (image,) = artifact_images({"history": [1.0, 0.5, float("nan"), float("inf")]})
    assert image.caption == "history is not a finite number from epoch 3 on (diverged?)"


def test_malformed_artifacts_are_ignored_not_fatal():
    junk = {"grid": "x", "confusion": [[1, 2], [3]], "history": [1, "a"], "points": 7,
            "extent": [0, 1], "loss": {"a": "b"}, "nested": {"x": {"y": [1, 2]}}, 5: None}
    assert artifact_images(junk) == []
    assert artifact_images(None) == [] and artifact_scalars(["not", "a", "dict"]) == []
    results = sample_results(seed=1)
    results["extra_data"]["checks"][6]["artifacts"] = junk
    assert "This hidden check concerns" in render_html(results)


def test_large_artifacts_are_capped():
    big_grid = [[(x + y) % 3 for x in range(1000)] for y in range(500)]
    (curve, regions) = artifact_images({"history": list(range(100_000)), "grid": big_grid})
    assert len(curve.src) < 100_000 and len(regions.src) < 200_000


def test_a_report_draws_a_bounded_number_of_figures():
    results = sample_results(seed=1)
    six_curves = {f"curve{i}": [1.0, 0.5, float(i)] for i in range(6)}
    for check in results["extra_data"]["checks"]:
        check["artifacts"] = dict(six_curves, student_visible=True)
    soup = _soup(render_html(results, all_plots=True))
    assert len(soup.find_all("img")) == MAX_IMAGES_PER_REPORT == 16
    assert "32 more figures were not drawn (a report shows at most 16)." in soup.get_text()


# --- a real graded submission -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def graded_without_bias(tmp_path_factory):
    """A handmade submission that forgets the bias in DenseLayer.forward_propagation, graded for real."""
    from grader.engine.grade import grade

    numpy_nn = assignments.find_assignment("numpy_nn")
    submission = tmp_path_factory.mktemp("submission")
    for path in numpy_nn.solution_dir.glob("*.py"):
        shutil.copy(path, submission / path.name)
    layers = submission / "layers.py"
    source = layers.read_text(encoding="utf-8")
    assert source.count("self.output = input @ self.weights + self.biases") == 1
    layers.write_text(source.replace("self.output = input @ self.weights + self.biases",
                                     "print('<script>debug</script>')\n        self.output = input @ self.weights"),
                      encoding="utf-8")
    return grade(numpy_nn, submission)


def test_graded_submission_report_names_the_failing_check(graded_without_bias, tmp_path):
    write_reports(graded_without_bias, tmp_path)
    assert {p.name for p in tmp_path.iterdir()} == {"results.json", "report.md", "report.html"}
    soup = _soup((tmp_path / "report.html").read_text(encoding="utf-8"))
    failed = soup.find_all("article", class_="failed")
    names = [a.find(class_="check-name").get_text() for a in failed]
    assert any("DenseLayer.forward_propagation" in n for n in names)
    dense = next(a for a in failed if "DenseLayer.forward_propagation" in a.get_text())
    message = dense.find("pre").get_text()
    assert "max abs error" in message and "first differing entries:" in message
    assert "<script>debug" not in (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "DenseLayer.forward_propagation" in (tmp_path / "report.md").read_text(encoding="utf-8")


# --- a class: gradebook.csv and summary.html ----------------------------------------------------------------

@pytest.fixture
def batch_dir(tmp_path):
    """Five graded students (one with a hostile id), one unreadable results.json, one folder that is no student."""
    plans = {"alice": dict(seed=0, fail_dense=False, timeout=False, hidden_fails=False, seconds=2.0),
             "bob": dict(seed=1, fail_dense=True, timeout=True, seconds=4.0),
             "carol": dict(seed=2, fail_dense=True, timeout=False, seconds=3.0),
             "dave": dict(seed=3, fail_dense=False, timeout=True, curves=False, seconds=9.0),
             "=HYPERLINK(1)": dict(seed=4, fail_dense=True, timeout=False, seconds=1.0)}
    for student, plan in plans.items():
        write_reports(sample_results(**plan), tmp_path / student)
    (tmp_path / "erin").mkdir()
    (tmp_path / "erin" / "results.json").write_text("{half a file", encoding="utf-8")
    (tmp_path / "logs").mkdir()
    return tmp_path


def test_gradebook_has_a_row_per_student_and_a_column_per_check(batch_dir):
    write_class_outputs(batch_dir)
    rows = list(csv.reader(io.StringIO((batch_dir / "gradebook.csv").read_text(encoding="utf-8"))))
    header = rows[0]
    checks = [t["name"] for t in sample_results()["tests"]]
    # the columns of earlier versions first, unchanged, so existing imports keep working
    assert header[:len(checks) + 3] == ["student_id", *checks, "total", "max"]
    assert header[len(checks) + 3:] == ["status", "percentage", f"mistake: {TRANSPOSED['id']}"]
    table = {row[0]: dict(zip(header, row)) for row in rows[1:]}
    assert sorted(table) == ["'=HYPERLINK(1)", "alice", "bob", "carol", "dave"]  # erin's file is unreadable
    assert table["alice"]["total"] == "16" and table["alice"]["max"] == "17"
    assert table["alice"]["percentage"] == "94.12" and table["alice"]["status"] == "graded"
    assert table["alice"]["SigmoidActivation.derivative: values"] == "0"
    assert table["bob"]["DenseLayer.backward_propagation: weight gradient"] == "0"
    assert table["bob"]["total"] == "6"
    assert {s: row[f"mistake: {TRANSPOSED['id']}"] for s, row in table.items()} == {
        "'=HYPERLINK(1)": "1", "alice": "0", "bob": "1", "carol": "1", "dave": "0"}
    for row in table.values():
        assert float(row["total"]) == sum(float(row[c]) for c in checks)


def test_gradebook_makes_repeated_check_names_unique(batch_dir):
    results = sample_results(seed=0)
    results["tests"][2]["name"] = results["tests"][1]["name"]
    write_reports(results, batch_dir / "frank")
    header = gradebook_csv(load_batch(batch_dir)).splitlines()[0]
    assert "DenseLayer.backward_propagation: weight gradient (#2)" in header
    assert "DenseLayer.backward_propagation: weight gradient (#3)" in header


def test_summary_shows_distribution_pass_rates_mistakes_failures_and_timings(batch_dir):
    write_class_outputs(batch_dir)
    soup = _soup((batch_dir / "summary.html").read_text(encoding="utf-8"))
    stats = soup.find(id="stats").get_text(" ", strip=True)
    assert stats.startswith("5 submissions graded")
    (histogram,) = soup.find_all("img")
    assert histogram["src"].startswith("data:image/png;base64,") and "5 scores" in histogram["alt"]
    rates = {r.find("td").get_text(" ", strip=True): r.find_all("td")[2].get_text(strip=True)
             for r in soup.find(id="checks").find("tbody").find_all("tr")}
    assert rates["DenseLayer.backward_propagation: weight gradient"] == "2 / 5 (40%)"
    assert rates["NeuralNetwork.predict: held-out batch hidden"] == "1 / 5 (20%)"
    (mistake,) = soup.find(id="mistakes").find_all("li")
    assert TRANSPOSED["title"] in mistake.find("strong").get_text()
    assert mistake.find(class_="affected").get_text() == "3 students"
    assert mistake.find(class_="lost").get_text() == "9 points lost"                 # 3 points each, charged once
    assert mistake.find("p", class_="who").get_text(" ", strip=True) == "Students: =HYPERLINK(1) , bob , carol"
    assert [a["href"] for a in mistake.find_all("a")] == ["%3DHYPERLINK%281%29/instructor-report.html",
                                                          "bob/instructor-report.html", "carol/instructor-report.html"]
    (timeouts,) = soup.find(id="failures").find("tbody").find_all("tr")
    assert [td.get_text(" ", strip=True) for td in timeouts.find_all("td")] == ["timed out", "2", "bob , dave"]
    assert " ".join(soup.find(id="timings").get_text().split()) == \
        "Per submission: mean 3.8 s, median 3.0 s, max 9.0 s (dave); 19 s in all over 5 submissions."
    assert "erin/results.json: not valid JSON" in soup.find(class_="notes").get_text()
    assert "logs" not in [r.find("a").get_text() for r in soup.find(id="students").find("tbody").find_all("tr")]


def test_summary_escapes_hostile_student_ids_and_names(batch_dir):
    results = sample_results(seed=5)
    results["tests"][0]["name"] = HOSTILE
    results["extra_data"]["misconceptions"][0]["title"] = HOSTILE
    write_reports(results, batch_dir / "<img src=x onerror=alert(1)>")
    write_class_outputs(batch_dir)
    html = (batch_dir / "summary.html").read_text(encoding="utf-8")
    assert "<script>" not in html and "<img src=x" not in html and "\x1b" not in html
    text = _soup(html).get_text().replace(str(batch_dir), "")   # pytest's folder (pytest-149/…) may hold a 49
    assert "{{ 7*7 }}" in text and "49" not in text


def test_an_empty_batch_gives_a_header_only_gradebook_and_an_empty_summary(tmp_path):
    write_class_outputs(tmp_path)
    assert (tmp_path / "gradebook.csv").read_text(encoding="utf-8") == "student_id,total,max,status,percentage\n"
    assert (tmp_path / "misconceptions.csv").read_text(encoding="utf-8") == "student_id,mistake_id,title,points_lost\n"
    soup = _soup((tmp_path / "summary.html").read_text(encoding="utf-8"))
    assert soup.find(id="stats").get_text(" ", strip=True).startswith("0 submissions graded")
    assert soup.find("img") is None


# --- nngrade report DIR -------------------------------------------------------------------------------------

def test_report_command_rebuilds_a_single_submission(tmp_path):
    write_reports(sample_results(seed=1), tmp_path)
    (tmp_path / "report.html").unlink()
    (tmp_path / "report.md").write_text("stale", encoding="utf-8")
    outcome = CliRunner().invoke(main, ["report", str(tmp_path)])
    assert outcome.exit_code == 0, outcome.output
    assert (tmp_path / "report.md").read_text(encoding="utf-8") == render_markdown(sample_results(seed=1))
    assert (tmp_path / "report.html").read_text(encoding="utf-8") == render_html(sample_results(seed=1))
    assert not (tmp_path / "instructor-report.html").exists()
    assert CliRunner().invoke(main, ["report", str(tmp_path), "--instructor"]).exit_code == 0
    assert SECRET_INPUT in (tmp_path / "instructor-report.html").read_text(encoding="utf-8")


def test_report_command_rebuilds_a_batch_without_regrading(batch_dir):
    for student in ("alice", "bob"):
        (batch_dir / student / "report.html").unlink()
    before = (batch_dir / "bob" / "results.json").read_bytes()
    # A real process, as an instructor runs it (rich's console state is per process).
    outcome = subprocess.run([sys.executable, "-m", "grader", "report", str(batch_dir)], capture_output=True,
                             text=True, timeout=300)
    assert outcome.returncode == 0, outcome.stderr
    assert "Rewrote the reports of 5 submissions" in outcome.stdout and "erin" in outcome.stdout
    assert (batch_dir / "alice" / "report.html").exists() and (batch_dir / "bob" / "report.html").exists()
    assert (batch_dir / "bob" / "results.json").read_bytes() == before
    assert (batch_dir / "gradebook.csv").exists() and (batch_dir / "summary.html").exists()
    assert (batch_dir / "misconceptions.csv").exists()
    for student in ("alice", "bob", "carol", "dave", "=HYPERLINK(1)"):        # the summary links to them
        assert (batch_dir / student / "instructor-report.html").is_file()


def test_report_command_explains_a_folder_without_results(tmp_path):
    (tmp_path / "empty").mkdir()
    outcome = CliRunner().invoke(main, ["report", str(tmp_path / "empty")])
    assert outcome.exit_code == 2
    assert "holds no results.json" in outcome.output and "grade-batch" in outcome.output
    (tmp_path / "one").mkdir()
    (tmp_path / "one" / "results.json").write_text("[]", encoding="utf-8")
    outcome = CliRunner().invoke(main, ["report", str(tmp_path / "one")])
    assert outcome.exit_code == 2 and "not an nngrade results.json" in outcome.output


def test_report_view_does_not_change_the_results_it_reads():
    results = sample_results(seed=1)
    kept = copy.deepcopy(results)
    render_html(results)
    render_markdown(results, student_view=False)
    assert results == kept
