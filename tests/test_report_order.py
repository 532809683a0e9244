"""The student report puts the biggest mistake first, says each explanation once, and says of a hidden check
only what results.json gives students (no browser needed; tests/test_browser.py checks the same in Chromium)."""
from __future__ import annotations

import json

from bs4 import BeautifulSoup
from report_samples import (
    SECRET_INPUT,
    SHUFFLE,
    SOFTMAX,
    SYNTAX_ERROR,
    TRANSPOSED,
    ranked_results,
    sample_results,
)

from grader.checks.mistakes import Catalogue
from grader.core import assignment as assignments
from grader.core.schema import (
    HIDDEN_OUTPUTS,
    STUDENT_SAFE,
    full_output,
    misconception_lines,
    shorten,
)
from grader.core.types import CheckResult
from grader.engine.results import _check_entry, _test_entry
from grader.feedback.html import render_html
from grader.feedback.markdown import render_markdown
from grader.feedback.view import build_view


def _soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def test_mistakes_are_ranked_by_the_points_they_cost_not_by_check_order():
    view = build_view(ranked_results())
    assert [(m.rank, m.id, m.cost) for m in view.misconceptions] == [(1, SHUFFLE["id"], 6.0),
                                                                     (2, SOFTMAX["id"], 1.0)]
    shuffle = view.misconceptions[0]
    assert shuffle.evidence.number == "2"                    # the first check whose message students may see
    assert shuffle.where.targets == ["NeuralNetwork.get_mini_batches", "NeuralNetwork.fit"]
    assert view.misconceptions[1].where.cells == [19]


def test_sections_come_in_order_score_mistakes_failed_passed_classes():
    html = render_html(ranked_results())
    order = [html.index(f'id="{section}"') for section in ("score", "mistakes", "failed", "passed", "by-class")]
    assert order == sorted(order)
    soup = _soup(html)
    cards = [card["id"] for card in soup.find(id="mistakes").find_all("article")]
    assert cards == ["mistake-nn-no-reshuffle", "mistake-softmax-no-max-shift"]
    failed = [article["id"] for article in soup.find(id="failed").find_all("article")]
    # unexplained first, costliest first (the syntax error's six checks, then the crash); then the explained
    assert failed == ["check-7", "check-5", "check-2", "check-3", "check-4", "check-1"]
    assert soup.find("details", id="passed").find(id="check-6") is not None


def test_each_explanation_appears_once_and_later_checks_refer_back():
    results = ranked_results()
    soup = _soup(render_html(results))
    text = soup.get_text()
    markdown = render_markdown(results)
    for mistake in (SHUFFLE, SOFTMAX):
        assert text.count(mistake["explanation"]) == 1 and text.count(mistake["hint"]) == 1
        assert markdown.count(mistake["explanation"]) == 1 and markdown.count(mistake["hint"]) == 1
    assert "Likely mistake" not in text and "Likely mistake" not in markdown
    for number in ("2", "3", "4"):
        refer = soup.find(id=f"check-{number}").find(class_="refer")
        assert refer.get_text(" ", strip=True).startswith("Same mistake as above: " + SHUFFLE["title"])
        assert refer.find("a")["href"] == "#mistake-nn-no-reshuffle"
    assert soup.find(id="check-2").find("pre") is None          # its message is the card's evidence
    assert "all 4 epochs" in soup.find(id="check-3").find("pre").get_text()   # its own evidence differs


def test_a_message_shared_by_many_checks_is_shown_once():
    soup = _soup(render_html(ranked_results()))
    group = soup.find(id="check-7")
    assert [pre.get_text() for pre in soup.find_all("pre") if SYNTAX_ERROR in pre.get_text()] == [SYNTAX_ERROR]
    also = group.find(class_="also")
    assert also.get_text(" ", strip=True).startswith("Also failed for the same reason: checks 8 , 9 , 10 , 11 , 12")
    assert [a["href"] for a in also.find_all("a")] == ["#check-8", "#check-9", "#check-10", "#check-11", "#check-12"]
    assert all(group.find(id=f"check-{n}") for n in range(8, 13))   # the links land on the listed names
    assert "activations.py:38" in group.find(class_="where").get_text()
    markdown = render_markdown(ranked_results())
    assert markdown.count(f"```\n{SYNTAX_ERROR}\n```") == 1 and "checks 8, 9, 10, 11, 12 (6 of 6 points" in markdown


def test_notebook_cells_and_file_lines_become_where_and_links():
    soup = _soup(render_html(ranked_results()))
    card = soup.find(id="mistake-softmax-no-max-shift")
    links = [a["href"] for a in card.find_all("a")]
    assert links.count("notebook.html#cell-19") == 2          # in "Where" and inside the quoted message
    assert "optimizer.py:23" in soup.find(id="check-5").find(class_="where").get_text()


def test_notebook_location_after_the_mistake_lines_does_not_repeat_the_mistake():
    """grader.engine.notebook_report appends "defined in cell N" after the 'Likely mistake' lines."""
    results = ranked_results()
    assert results["tests"][0]["output"].split("\n")[1].startswith("Likely mistake: ")
    view = build_view(results)
    message = next(c for c in view.checks if c.number == "1").message
    assert message == "softmax of scores near ±1000: contains nan\n" \
                      "softmax is defined in cell 19 of your notebook (see notebook.html#cell-19)"


def test_hidden_check_says_its_mistake_and_target_in_report_and_results_alike():
    numpy_nn = assignments.find_assignment("numpy_nn")
    catalogue = Catalogue(numpy_nn)
    mistake = catalogue.get(TRANSPOSED["id"])
    result = CheckResult("test_h.py::test_wide", "test_wide", "DenseLayer.backward_propagation: a wider layer", 3,
                         hidden=True, message=f"weight gradient at input {SECRET_INPUT}: shape (7, 6)",
                         kind="failed", misconceptions=[TRANSPOSED["id"]])
    test, full = _test_entry(1, result, catalogue)
    check = _check_entry(test, full, result)
    assert SECRET_INPUT not in test["output"] and SECRET_INPUT in check["instructor_output"]
    for shown in (mistake.title, mistake.explanation, mistake.hint, "DenseLayer.backward_propagation",
                  "inputs and expected values are not shown"):
        assert shown in test["output"]
    results = {"score": 0, "tests": [test], "extra_data": {"checks": [check], HIDDEN_OUTPUTS: STUDENT_SAFE,
               "misconceptions": [{"id": mistake.id, "title": mistake.title, "explanation": mistake.explanation,
                                   "hint": mistake.hint, "checks": [result.name], "points_lost": 3}]}}
    assert full_output(json.loads(json.dumps(results)), "1") == check["instructor_output"]
    student = _soup(render_html(results)).get_text()
    assert SECRET_INPUT not in student
    for shown in (mistake.title, mistake.explanation, mistake.hint,
                  "This hidden check concerns DenseLayer.backward_propagation.",
                  "Its inputs and expected values are not shown."):
        assert shown in student
    assert "Seen in hidden checks only" in student
    assert SECRET_INPUT in render_html(results, student_view=False)


def test_visible_passed_and_import_failed_hidden_checks_keep_their_message():
    catalogue = Catalogue(assignments.find_assignment("numpy_nn"))
    visible = CheckResult("t.py::a", "a", "DenseLayer.forward_propagation: x", 2, hidden=False, message="got 1",
                          kind="failed")
    imported = CheckResult("t.py::b", "b", "ReLUActivation.derivative: y", 1, hidden=True, message=SYNTAX_ERROR,
                           kind="import")
    for result in (visible, imported):
        test, full = _test_entry(1, result, catalogue)
        assert test["output"] == full and "instructor_output" not in _check_entry(test, full, result)


def test_a_long_message_is_shortened_but_keeps_its_mistake_lines():
    catalogue = Catalogue(assignments.find_assignment("numpy_nn"))
    mistake = catalogue.get(TRANSPOSED["id"])
    result = CheckResult("t.py::a", "a", "DenseLayer.backward_propagation: x", 2, hidden=False,
                         message="word " * 2000, kind="failed", misconceptions=[TRANSPOSED["id"]])
    test, _ = _test_entry(1, result, catalogue)
    assert test["output"].endswith("\n".join(misconception_lines(mistake.title, mistake.explanation, mistake.hint)))
    assert "word … (shortened)\nLikely mistake" in test["output"] and len(test["output"]) <= 4100


def test_shortening_cuts_at_a_word_boundary():
    text = "the weight gradient has shape (3, 4) " * 20
    short = shorten(text, 100)
    assert short.endswith(" … (shortened)") and len(short) <= 100 + len(" … (shortened)")
    assert text.startswith(short[: -len(" … (shortened)")] + " ")       # whole words only
    assert shorten("short", 100) == "short"
    assert shorten("x" * 300, 100) == "x" * 100 + " … (shortened)"     # one long word: cut inside it


def test_old_results_without_student_safe_marker_still_hide_hidden_messages():
    results = sample_results(seed=1, student_safe=False)
    view = build_view(results)
    hidden = next(c for c in view.checks if c.number == "8")
    assert hidden.message == "" and hidden.redacted
