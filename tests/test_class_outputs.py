"""The instructor's class outputs from synthetic results: summary.html's ranking and sections, the statuses,
gradebook.csv's new columns, misconceptions.csv, and the CSV-injection guard."""
from __future__ import annotations

import csv
import io

import pytest
from bs4 import BeautifulSoup
from report_samples import (
    cascade_results,
    grader_error_results,
    import_error_results,
    nothing_results,
    sample_results,
    skeleton_results,
    with_mistakes,
)

from grader.core.schema import write_json_atomic
from grader.feedback.files import INSTRUCTOR_REPORT, write_reports
from grader.feedback.standing import (
    GRADED,
    GRADER_ERROR,
    IMPORT_ERROR,
    NOT_ATTEMPTED,
    NOTHING,
    SKELETON,
    standing_of,
)
from grader.feedback.summary import write_class_outputs


def _class(folder, students: dict[str, dict]):
    for student, results in students.items():
        write_reports(results, folder / student)
    write_class_outputs(folder)
    return folder


def _soup(folder) -> BeautifulSoup:
    return BeautifulSoup((folder / "summary.html").read_text(encoding="utf-8"), "html.parser")


def _csv(folder, name: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO((folder / name).read_text(encoding="utf-8"))))


def _clean(seed: int = 0) -> dict:
    return sample_results(seed=seed, fail_dense=False, timeout=False, hidden_fails=False, curves=False)


# --- ranking ---------------------------------------------------------------------------------------------------

def test_mistakes_are_ranked_by_students_then_points_with_total_and_mean(tmp_path):
    folder = _class(tmp_path, {
        "ann": with_mistakes(_clean(1), [("few-costly", 10.0), ("common", 1.0)]),
        "ben": with_mistakes(_clean(2), [("common", 2.0), ("pair-cheap", 1.0), ("pair-dear", 4.0)]),
        "cat": with_mistakes(_clean(3), [("common", 3.0), ("pair-cheap", 1.0), ("pair-dear", 2.0)]),
        "dan": _clean(4),
    })
    items = _soup(folder).find(id="mistakes").find_all("li", recursive=False)
    assert [li.find("strong").get_text() for li in items] == [
        "Title of common", "Title of pair-dear", "Title of pair-cheap", "Title of few-costly"]
    common = items[0]
    assert common.find(class_="affected").get_text() == "3 students"
    assert common.find(class_="lost").get_text() == "6 points lost"
    assert "(2 per student)" in common.find(class_="cost").get_text()
    assert common.find(class_="why").get_text(" ", strip=True) == "Why common is wrong. (common)"   # one line
    assert [a.get_text() for a in common.find_all("a")] == ["ann", "ben", "cat"]
    # the mistakes open the page: before the distribution and the pass rates
    headings = [h.get_text() for h in _soup(folder).find_all("h2")]
    assert headings[:3] == ["Mistakes of the class, most widespread first", "Score distribution",
                            "Checks by pass rate, lowest first"]


def test_student_links_go_to_instructor_reports_that_exist(tmp_path):
    folder = _class(tmp_path, {"ann": sample_results(seed=1, curves=False), "ben": skeleton_results()})
    (folder / "ben" / INSTRUCTOR_REPORT).unlink()           # graded before instructor reports were written
    write_class_outputs(folder)
    links = [a["href"] for a in _soup(folder).find_all("a")]
    assert links and all(link.endswith("/" + INSTRUCTOR_REPORT) for link in links)
    for link in set(links):
        assert (folder / link).is_file()
    assert "hidden-probe-input" in (folder / "ann" / INSTRUCTOR_REPORT).read_text(encoding="utf-8")


# --- statuses: skeleton, nothing, import error, grader error ------------------------------------------------------

@pytest.mark.parametrize("results, status, label", [
    (_clean(), GRADED, GRADED),
    (sample_results(seed=1), GRADED, GRADED),
    (import_error_results(), IMPORT_ERROR, IMPORT_ERROR),
    (skeleton_results(), NOT_ATTEMPTED, SKELETON),
    (nothing_results(), NOT_ATTEMPTED, NOTHING),
    (grader_error_results(), GRADER_ERROR, GRADER_ERROR),
], ids=["full-marks", "some-failures", "import-error", "skeleton", "nothing", "grader-error"])
def test_status_of_each_kind_of_submission(results, status, label):
    standing = standing_of(results)
    assert (standing.status, standing.label) == (status, label)


def test_work_beyond_the_skeleton_is_graded_not_skeleton():
    partial = skeleton_results()                       # one method written: it passes, the rest still raise
    partial["tests"][4].update(status="passed", score=partial["tests"][4]["max_score"], output="")
    partial["score"] = partial["tests"][4]["max_score"]
    assert standing_of(partial).status == GRADED
    wrong = skeleton_results()                         # most methods written, wrong: failing, not with the placeholder
    for test, check in list(zip(wrong["tests"], wrong["extra_data"]["checks"]))[:5]:
        test["output"] = "output: got 0.5, expected 0.25"
        check["kind"] = "failed"
    assert standing_of(wrong).status == GRADED
    mostly = skeleton_results()                        # a placeholder's result fails what uses it: still the skeleton
    for test, check in list(zip(mostly["tests"], mostly["extra_data"]["checks"]))[:4]:
        test["output"] = "y_block is a ellipsis, not a torch tensor"
        check["kind"] = "failed"
    assert standing_of(mostly).label == SKELETON


def test_skeleton_and_nothing_are_shown_as_such_and_left_out_of_pass_rates(tmp_path):
    folder = _class(tmp_path, {"ann": _clean(), "ben": skeleton_results(), "cat": nothing_results(),
                               "dan": import_error_results(), "eve": grader_error_results()})
    soup = _soup(folder)
    named = {li.find("a").get_text(): li.get_text(" ", strip=True) for li in soup.find(id="not-attempted")("li")}
    assert sorted(named) == ["ben", "cat"]
    assert "submitted the skeleton" in named["ben"]
    assert "nothing to grade" in named["cat"] and "none of the expected files" in named["cat"]
    rows = {tr.find("a").get_text(): [td.get_text(" ", strip=True) for td in tr("td")]
            for tr in soup.find(id="students").find("tbody")("tr")}
    assert rows["ben"][2] == "submitted the skeleton" and rows["ben"][4] == "–"     # not "0 mistakes"
    assert rows["cat"][2] == "nothing to grade" and rows["ann"][2] == "graded"
    first = soup.find(id="checks").find("tbody").find("tr")("td")
    assert first[2].get_text(strip=True).split(" (")[0].endswith("/ 2")                # ann and dan only
    assert {r["student_id"]: r["status"] for r in _csv(folder, "gradebook.csv")} == {
        "ann": "graded", "ben": "not attempted", "cat": "not attempted", "dan": "import error",
        "eve": "grader error"}


# --- pass rates: sorted, cascades apart -------------------------------------------------------------------------

def test_checks_sorted_by_pass_rate_with_cascades_apart_from_own_failures(tmp_path):
    folder = _class(tmp_path, {"ann": cascade_results(0), "ben": cascade_results(2), "cat": sample_results(seed=1),
                               "dan": _clean(4)})
    rows = [[td.get_text(" ", strip=True) for td in tr("td")]
            for tr in _soup(folder).find(id="checks").find("tbody")("tr")]
    rates = [int(row[2].split("(")[1].rstrip("%)")) for row in rows]
    assert rates == sorted(rates)
    fit = next(row for row in rows if row[0].startswith("NeuralNetwork.fit"))
    # ann and ben failed it only through DenseLayer (charged in check 2), cat failed it on her own, dan passed
    assert fit[2:] == ["1 / 4 (25%)", "1", "2"]


# --- gradebook.csv and misconceptions.csv ---------------------------------------------------------------------------

def test_gradebook_has_a_misconception_column_each_and_misconceptions_csv_a_row_each(tmp_path):
    folder = _class(tmp_path, {"ann": with_mistakes(_clean(1), [("b-mistake", 2.0), ("a-mistake", 5.0)]),
                               "ben": with_mistakes(_clean(2), [("b-mistake", 1.5)]), "cat": _clean(3)})
    gradebook = _csv(folder, "gradebook.csv")
    assert [k for k in gradebook[0] if k.startswith("mistake: ")] == ["mistake: b-mistake", "mistake: a-mistake"]
    assert [(r["mistake: a-mistake"], r["mistake: b-mistake"]) for r in gradebook] == [
        ("1", "1"), ("0", "1"), ("0", "0")]
    assert [(r["student_id"], r["mistake_id"], r["title"], r["points_lost"])
            for r in _csv(folder, "misconceptions.csv")] == [
        ("ann", "a-mistake", "Title of a-mistake", "5"), ("ann", "b-mistake", "Title of b-mistake", "2"),
        ("ben", "b-mistake", "Title of b-mistake", "1.5")]


def test_csv_cells_never_start_a_formula(tmp_path):
    hostile = with_mistakes(_clean(1), [("=cmd|' /C calc'!A0", 2.0)])
    hostile["extra_data"]["misconceptions"][0]["title"] = "+SUM(A1:A9)"
    hostile["tests"][0]["name"] = "@check"
    for student in ("=HYPERLINK(1)", "+1", "-2", "@x"):
        write_json_atomic(tmp_path / student / "results.json", hostile)
    write_class_outputs(tmp_path)
    for name in ("gradebook.csv", "misconceptions.csv"):
        rows = list(csv.reader(io.StringIO((tmp_path / name).read_text(encoding="utf-8"))))
        assert len(rows) == 5                                             # one header row, one row per student
        cells = [cell for row in rows for cell in row]
        assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@")]
        assert "'=HYPERLINK(1)" in cells and "'-2" in cells
    assert "'+SUM(A1:A9)" in (tmp_path / "misconceptions.csv").read_text(encoding="utf-8")


def test_a_class_with_no_graded_code_says_so_instead_of_an_empty_table(tmp_path):
    soup = _soup(_class(tmp_path, {"ann": skeleton_results(), "ben": nothing_results()}))
    assert soup.find(id="checks") is None
    assert "No submission's code was graded" in soup.get_text()
