"""The reports opened in a real headless browser (Debian's chromium; chromium-driver for the selenium tests).

Skipped only when chromium (or, for the layout tests, chromedriver and the selenium package) is not installed:
``apt-get install -y chromium chromium-driver`` and ``pip install 'nngrade[test]'``.
"""
from __future__ import annotations

import base64
import io
import shutil
import subprocess
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from PIL import Image as PILImage
from report_samples import SHUFFLE, SOFTMAX, TRANSPOSED, ranked_results, sample_results

from grader.feedback.files import write_reports
from grader.feedback.summary import write_class_outputs

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars"]
PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True}

needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / "profile"
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True,
                          text=True, timeout=120, check=True)


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("graded")
    write_reports(sample_results(seed=1), folder / "bob")
    write_reports(sample_results(seed=2, timeout=False), folder / "carol")
    write_class_outputs(folder)
    write_reports(ranked_results(), folder.parent / f"{folder.name}-single" / "ranked")
    return folder


@needs_chromium
def test_report_as_rendered_by_chromium_shows_score_failure_and_decodable_images(report_dir, tmp_path):
    page = report_dir / "bob" / "report.html"
    dom = BeautifulSoup(_chromium(tmp_path, "--dump-dom", page.as_uri()).stdout, "html.parser")
    assert dom.find(id="score").get_text(" ", strip=True) == "6 / 17 points"
    assert "failed" in dom.find("article", id="check-2")["class"]
    card = dom.find("article", id="mistake-dense-weight-gradient-transposed")
    assert "it equals the transpose of the expected value" in card.find("pre").get_text()
    images = dom.find_all("img")
    assert len(images) == 4
    for img in images:
        assert img["src"].startswith("data:image/png;base64,")
        PILImage.open(io.BytesIO(base64.b64decode(img["src"].split(",", 1)[1]))).verify()


@needs_chromium
@pytest.mark.parametrize("width", [1280, 390])
def test_report_screenshots_at_desktop_and_phone_width(report_dir, tmp_path, width):
    shot = tmp_path / f"report-{width}.png"
    page = (report_dir / "bob" / "report.html").as_uri()
    _chromium(tmp_path, f"--window-size={width},2000", f"--screenshot={shot}", page)
    with PILImage.open(shot) as picture:
        assert picture.size == (width, 2000)
        # a rendered page, not a blank one: the score bar and badges put several colours on it
        assert len(picture.convert("RGB").getcolors(maxcolors=1_000_000)) > 50


@pytest.fixture(scope="module")
def browser():
    """Chromium through chromedriver (selenium), for what only a live page can say: layout and loaded images."""
    if CHROMIUM is None or CHROMEDRIVER is None:
        pytest.skip("chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install selenium)")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _open(driver, page: Path, metrics: dict) -> None:
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    driver.get(page.as_uri())


LAYOUT = """return {
    images: [...document.images].map(i => [i.complete, i.naturalWidth, i.getBoundingClientRect().right]),
    scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth};"""


@pytest.mark.parametrize("metrics", [PHONE, {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False}],
                         ids=["phone", "desktop"])
@pytest.mark.parametrize("page", ["bob/report.html", "summary.html"])
def test_pages_fit_the_screen_and_every_image_loads(browser, report_dir, metrics, page):
    from selenium.webdriver.common.by import By

    _open(browser, report_dir / page, metrics)
    layout = browser.execute_script(LAYOUT)
    assert layout["scrollWidth"] <= layout["innerWidth"] == metrics["width"]  # nothing to scroll sideways
    assert layout["images"], "the page should have pictures"
    for complete, natural_width, right in layout["images"]:
        assert complete and natural_width > 0 and right <= metrics["width"]
    if page == "summary.html":
        assert browser.find_element(By.ID, "stats").text.startswith("2\nsubmissions graded")
    else:
        assert browser.find_element(By.ID, "score").text == "6 / 17 points"
        message = browser.find_element(By.CSS_SELECTOR, "#mistake-dense-weight-gradient-transposed pre")
        assert message.is_displayed() and "transpose" in message.text
        assert message.value_of_css_property("white-space") == "pre-wrap"
        assert "mono" in message.value_of_css_property("font-family").lower()


def _ranked(report_dir: Path) -> Path:
    return report_dir.parent / f"{report_dir.name}-single" / "ranked" / "report.html"


OPEN_ALL = "document.querySelectorAll('details').forEach(d => d.open = true);"
TOPS = """return arguments[0].map(s => { const e = document.querySelector(s);
    return e ? e.getBoundingClientRect().top + window.scrollY : null; });"""
OVERFLOW = """const page = document.scrollingElement;
return {scrollWidth: page.scrollWidth, innerWidth: window.innerWidth,
        clipped: [...document.querySelectorAll('pre, code, .check-name, h1, h2, h3, p, li')]
          .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5).map(e => e.outerHTML.slice(0, 80))};"""


def test_student_report_puts_score_then_ranked_mistakes_then_failed_then_passed(browser, report_dir):
    _open(browser, _ranked(report_dir), PHONE)
    browser.execute_script(OPEN_ALL)
    tops = browser.execute_script(TOPS, ["#score", "#mistake-nn-no-reshuffle", "#mistake-softmax-no-max-shift",
                                         "#failed", "#check-7", "#check-5", "#check-2", "#passed", "#by-class"])
    assert None not in tops and tops == sorted(tops), tops


@pytest.mark.parametrize("page", ["bob/report.html", "carol/report.html", "ranked"])
@pytest.mark.parametrize("collapsed", [True, False], ids=["collapsed", "opened"])
def test_nothing_scrolls_sideways_or_is_clipped_on_a_phone(browser, report_dir, page, collapsed):
    _open(browser, _ranked(report_dir) if page == "ranked" else report_dir / page, PHONE)
    if not collapsed:
        browser.execute_script(OPEN_ALL)
    layout = browser.execute_script(OVERFLOW)
    assert layout["scrollWidth"] <= layout["innerWidth"] == PHONE["width"]
    assert layout["clipped"] == []


@pytest.mark.parametrize("page, mistakes", [("bob/report.html", [TRANSPOSED]), ("ranked", [SHUFFLE, SOFTMAX])])
def test_each_explanation_is_on_the_page_once(browser, report_dir, page, mistakes):
    _open(browser, _ranked(report_dir) if page == "ranked" else report_dir / page, PHONE)
    browser.execute_script(OPEN_ALL)
    text = browser.execute_script("return document.body.innerText")
    for mistake in mistakes:
        assert text.count(mistake["explanation"]) == 1 and text.count(mistake["hint"]) == 1
    assert "Likely mistake" not in text


# --- notebook.html (grader.engine.notebook_html): phone layout and MathML ---

NOTEBOOK_LAYOUT = """return {
    scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth,
    clipped: [...document.querySelectorAll('.jp-Cell pre, .nngrade-note, .nngrade-printed pre')]
        .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent.slice(0, 60)),
    maths: [...document.querySelectorAll('math')].map(m => m.getBoundingClientRect().height),
    fraction: (() => { const f = document.querySelector('mfrac'); const n = f && f.firstElementChild;
                       return f ? [f.getBoundingClientRect().height, n.getBoundingClientRect().height] : null; })()};"""


@pytest.fixture(scope="module")
def notebook_page(tmp_path_factory):
    """The buggy backprop sample's notebook.html with a failed check at the cell of two_layer_backward."""
    from grader.engine.notebook_html import render_html
    from grader.submissions.notebooks import read_notebook

    notebook = read_notebook(Path(__file__).resolve().parents[1] / "samples" / "backprop" / "buggy.ipynb")
    long_line = "analytic " + "-1.34447 " * 30
    notes = {27: {"checks": [{"number": "21", "name": "two_layer_backward: hidden weight gradient (W1_grad)",
                              "message": f"W1_grad disagrees\n{long_line}", "mistakes": [
                                  {"title": "tanh derivative written (1 - h)^2 instead of 1 - h^2",
                                   "explanation": "d tanh(o)/do = 1 - h**2", "hint": "Check the parentheses."}]}],
                  "printed": "x" * 300 + "\n"}}
    page = tmp_path_factory.mktemp("notebook") / "notebook.html"
    page.write_text(render_html(notebook, notes), encoding="utf-8")
    return page


@pytest.mark.parametrize("metrics", [PHONE, {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False}],
                         ids=["phone", "desktop"])
def test_notebook_page_fits_the_screen_and_renders_its_formulas(browser, notebook_page, metrics):
    from selenium.webdriver.common.by import By

    _open(browser, notebook_page, metrics)
    layout = browser.execute_script(NOTEBOOK_LAYOUT)
    assert layout["scrollWidth"] <= layout["innerWidth"] == metrics["width"]  # nothing to scroll sideways
    assert layout["clipped"] == []                                            # code and notes wrap in their box
    assert len(layout["maths"]) > 20 and min(layout["maths"]) > 0
    fraction, numerator = layout["fraction"]
    assert fraction > 1.5 * numerator   # MathML laid out as a fraction (numerator over denominator), not as text
    note = browser.find_element(By.ID, "cell-27-check-21")
    assert note.is_displayed() and "Check the parentheses." in note.text


SUMMARY_OVERFLOW = """const outside = [...document.body.querySelectorAll('*')].filter(e => !e.closest('.table-wrap'))
    .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1).map(e => e.tagName + '.' + e.className);
return {outside: outside, scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth,
        boxes: [...document.querySelectorAll('.table-wrap')].map(w => w.getBoundingClientRect().right)};"""


def test_summary_of_a_varied_class_fits_a_phone(browser, tmp_path):
    """Long unbroken ids and titles, the skeleton, an empty submission: at 390 px nothing pokes out of the page;
    tables too wide scroll inside their own box."""
    from report_samples import nothing_results, skeleton_results, with_mistakes

    long_id = "student_" + "x" * 70
    mistake = "a-mistake-id-without-any-spaces-" + "y" * 40
    for seed, student in enumerate([long_id, "bob", "carol"]):
        write_reports(with_mistakes(sample_results(seed=seed, curves=False), [(mistake, 3.0), ("other", 1.0)]),
                      tmp_path / student)
    write_reports(skeleton_results(), tmp_path / "dora")
    write_reports(nothing_results(), tmp_path / "ed")
    write_class_outputs(tmp_path)
    _open(browser, tmp_path / "summary.html", PHONE)
    layout = browser.execute_script(SUMMARY_OVERFLOW)
    assert layout["outside"] == []
    assert layout["scrollWidth"] <= layout["innerWidth"] == PHONE["width"]
    assert layout["boxes"] and max(layout["boxes"]) <= PHONE["width"]
