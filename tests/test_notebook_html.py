"""notebook.html from a notebook and grading notes, without grading: anchors, notes at cells, outputs shown as
inert text and pictures, LaTeX as MathML with a readable fallback."""
import base64
import io

import nbformat
from bs4 import BeautifulSoup
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from PIL import Image

from grader.engine.notebook_html import render_html
from grader.engine.notebook_math import Formulas, to_mathml
from grader.engine.notebook_report import _check_note, _explain_once

MISTAKE = {"id": "tanh-derivative-squared", "title": "tanh derivative written (1 - h)^2",
           "explanation": "d tanh(o)/do = 1 - h**2.", "hint": "Check the parentheses.",
           "checks": ["two_layer_backward: hidden weight gradient", "two_layer_backward: hidden bias gradient",
                      "two_layer_backward: held-out shapes"]}


def _png() -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (3, 2), "red").save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def _notebook() -> nbformat.NotebookNode:
    code = new_code_cell("def two_layer_backward(x):\n    return x  # a line long enough to wrap on a phone screen "
                         "rather than be clipped at its right edge", outputs=[
        new_output("stream", name="stdout", text="\x1b[31mred\x1b[0m <b>not bold</b>\n"),
        new_output("error", ename="ValueError", evalue="bad",
                   traceback=["\x1b[0;31mValueError\x1b[0m: bad <script>alert(1)</script>"]),
        new_output("display_data", data={"text/html": "<iframe src='https://example.com'></iframe>",
                                         "text/plain": "<Figure size 640x480>", "image/png": _png()}),
        new_output("display_data", data={"image/png": 'AAAA" onerror="alert(1)'}),
        new_output("execute_result", data={"text/html": "<b>only html</b>"}, execution_count=1),
        new_output("execute_result", data={"text/plain": "array([1, 2]) <tag>"}, execution_count=2)])
    return new_notebook(cells=[
        new_markdown_cell("# Title\n\nInline $q = \\frac{1}{1 + e^{-o}}$, code `$not math$`, and\n\n"
                          "$$L = -\\frac1K \\sum_k y_k \\log q_k$$\n\n<script>alert(1)</script> and \\$5"),
        code,
        new_markdown_cell("Broken: $\\frac{1}{$ stays readable")])


def _notes() -> dict:
    tests = [{"number": "21", "name": MISTAKE["checks"][0], "visibility": "visible",
              "output": "W1_grad: analytic and numeric gradients disagree\nLikely mistake: tanh …\nHint: Check"},
             {"number": "22", "name": MISTAKE["checks"][1], "visibility": "visible",
              "output": "b1_grad: analytic and numeric gradients disagree\nLikely mistake: tanh …"},
             {"number": "40", "name": MISTAKE["checks"][2], "visibility": "after_published",
              "output": "W1_grad on the secret input [[0.123, 4.56]] disagrees\nLikely mistake: tanh …"}]
    notes = {2: {"checks": [_check_note(test, [MISTAKE]) for test in tests], "printed": "loss 0.69 <i>x</i>\n",
                 "problems": ["When graded, cell 2 raised ValueError: bad"]}}
    _explain_once(notes)
    return notes


def _page() -> BeautifulSoup:
    return BeautifulSoup(render_html(_notebook(), _notes()), "html.parser")


def test_every_cell_has_its_anchor_and_failed_checks_show_message_mistake_and_hint_at_their_cell():
    page = _page()
    assert [s["id"] for s in page.select("section.nngrade-cell")] == ["cell-1", "cell-2", "cell-3"]
    cell = page.find(id="cell-2")
    notes = cell.select(".nngrade-check")
    assert [n["id"] for n in notes] == ["cell-2-check-21", "cell-2-check-22", "cell-2-check-40"]
    first = notes[0].get_text(" ", strip=True)
    assert "Check 21 failed" in first and "W1_grad: analytic and numeric gradients disagree" in first
    assert "d tanh(o)/do = 1 - h**2." in first and "Hint: Check the parentheses." in first
    assert "explained at check 21 above" in notes[1].get_text() and "Hint" not in notes[1].get_text()
    assert "When graded, cell 2 raised ValueError" in cell.get_text()
    assert cell.select_one(".nngrade-printed pre").get_text() == "loss 0.69 <i>x</i>\n"


def test_a_hidden_checks_note_names_the_mistake_and_hint_never_its_message():
    hidden = _check_note({"number": "40", "name": "f: held-out", "visibility": "after_published",
                          "output": "got 1.0 on the secret input [[0.123]]\nLikely mistake: x"}, [
        {**MISTAKE, "checks": ["f: held-out"]}])
    assert hidden["message"] == "" and hidden["mistakes"][0]["title"] == MISTAKE["title"]
    assert hidden["mistakes"][0]["hint"] == MISTAKE["hint"] and hidden["mistakes"][0]["explanation"] == ""
    assert "secret input" not in render_html(_notebook(), {2: {"checks": [hidden]}})


def test_outputs_show_as_inert_text_and_pictures():
    page = _page()
    cell = page.find(id="cell-2")
    text = cell.get_text()
    assert "red <b>not bold</b>" in text and "\x1b" not in text         # ANSI removed, HTML shown as text
    assert "ValueError: bad <script>alert(1)</script>" in text
    assert "array([1, 2]) <tag>" in text
    assert not page.find("iframe") and not page.find("script") and "only html" not in text
    images = cell.find_all("img")
    assert len(images) == 1 and images[0]["src"].startswith("data:image/png;base64,")
    assert "onerror" not in str(page)


def test_latex_becomes_mathml_offline_with_the_source_as_fallback():
    page = _page()
    first = page.find(id="cell-1")
    maths = first.find_all("math")
    assert [m["display"] for m in maths] == ["inline", "block"]
    assert maths[0].find("mfrac") is not None
    assert "$not math$" in first.find("code").get_text()                  # code is left alone
    assert "<script>alert(1)</script>" in first.get_text()                 # the student's HTML, as text
    fallback = page.find(id="cell-3").find("code", class_="nngrade-tex")
    assert fallback.get_text() == "$\\frac{1}{$"
    assert "mathjax" not in str(page).lower() and "Content-Security-Policy" in str(page)


def test_mathml_with_anything_but_mathml_falls_back_to_the_source():
    assert to_mathml("x^2").startswith("<math")
    assert to_mathml("\\href{javascript:alert(1)}{x}").startswith(("<math", "<code"))
    assert "javascript" not in to_mathml("\\href{javascript:alert(1)}{x}").split("<code")[0]
    formulas = Formulas()
    text = formulas.extract("a $x$ b nngrademath0x")
    assert formulas.insert(text).count("<math") == 1 and "nngrademath0x" in formulas.insert(text)
