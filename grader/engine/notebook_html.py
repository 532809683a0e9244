"""``notebook.html``: the submitted notebook as one self-contained, inert page, with the grading at its cells.

Each cell is a ``<section id="cell-N">`` (N counts every cell from 1, as the checks and reports say "cell N"),
with what grading found there: the cell's own failure when it ran, each failed check of the function it
defines (message, recognised mistake and hint; a hidden check shows its name, mistake and hint, never its
message), and what the cell printed when graded. The student's saved outputs show as text and pictures only
(text/plain, streams, tracebacks with ANSI colours removed, PNG and JPEG); Markdown cells have their HTML
sanitised and their LaTeX rendered as MathML (:mod:`grader.engine.notebook_math`).

No network and no script: no MathJax or require.js from a CDN, and a Content-Security-Policy that lets no
script run and nothing load.
"""
from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING

from grader.engine.notebook_math import Formulas

if TYPE_CHECKING:
    import nbformat

HTML_IMAGES_MAX_BYTES = 20 * 1024 * 1024
#: the kinds of displayed output kept: plain text and pictures (HTML, SVG, JavaScript and widgets are dropped)
SHOWN_MIMES = ("text/plain", "image/png", "image/jpeg")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")
_BASE64 = re.compile(r"[A-Za-z0-9+/=\s]*")

CSS = """
.nngrade-cell { position: relative; }
.nngrade-label { display: block; font: 12px monospace; color: #666; margin: 12px 0 0 8px; text-decoration: none; }
.nngrade-note { margin: 2px 0 4px 8px; padding: 4px 8px; border-left: 4px solid #d9534f; background: #fdf2f2;
                font: 13px/1.4 sans-serif; white-space: pre-wrap; overflow-wrap: anywhere; }
.nngrade-info { border-left-color: #5bc0de; background: #f2f9fc; }
.nngrade-check { white-space: normal; }
.nngrade-check strong { display: block; }
.nngrade-message { white-space: pre-wrap; }
.nngrade-mistake, .nngrade-hint { margin-top: 4px; }
.nngrade-printed { margin: 2px 0 4px 8px; padding: 4px 8px; border-left: 4px solid #999; background: #f7f7f7; }
.nngrade-printed pre { margin: 2px 0 0; font: 12px/1.35 monospace; white-space: pre-wrap; overflow-wrap: anywhere; }
.nngrade-printed span { font: 12px sans-serif; color: #555; }
.nngrade-tex { white-space: pre-wrap; }
/* Nothing wider than the screen: code and outputs wrap inside their box, a wide formula scrolls in its own. */
body, .jp-Notebook, .jp-Cell, .jp-InputArea, .jp-OutputArea-child { min-width: 0; max-width: 100%; }
.jp-InputArea-editor, .jp-OutputArea-output, .jp-RenderedMarkdown, .jp-RenderedHTMLCommon { min-width: 0;
  overflow-wrap: anywhere; }
.jp-Cell pre, .highlight pre, .jp-OutputArea-output pre { white-space: pre-wrap; overflow-wrap: anywhere;
  word-break: normal; }
.jp-OutputArea-output img { max-width: 100%; height: auto; }
math[display="block"], .jp-RenderedMarkdown table { display: block; max-width: 100%; overflow-x: auto; }
math { font-size: 1.1em; }
@media (max-width: 600px) {
  .jp-InputPrompt, .jp-OutputPrompt { display: none; }
  .jp-Notebook { padding: 4px; }
  .jp-Cell { padding: 2px; }
}
"""

TEMPLATE = r"""{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
{%- endblock html_head_js -%}
{%- block html_head_css -%}<style>{{ resources.nngrade_css }}</style>{%- endblock html_head_css -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
{% block any_cell scoped %}
{%- set info = cell.metadata.get('nngrade', {}) -%}
<section class="nngrade-cell" id="cell-{{ info.number }}"><a class="nngrade-label" href="#cell-{{ info.number }}">cell {{ info.number }}</a>
{%- for note in info.problems %}<div class="nngrade-note">{{ note | escape_html }}</div>{% endfor -%}
{%- for check in info.checks %}<div class="nngrade-note nngrade-check" id="cell-{{ info.number }}-check-{{ check.number | escape_html }}">
<strong>Check {{ check.number | escape_html }} failed: {{ check.name | escape_html }}</strong>
{%- if check.message %}<div class="nngrade-message">{{ check.message | escape_html }}</div>{% endif -%}
{%- for mistake in check.mistakes %}
<div class="nngrade-mistake"><b>Likely mistake:</b> {{ mistake.title | escape_html }}.{% if mistake.explanation %} {{ mistake.explanation | escape_html }}{% endif %}{% if mistake.same_as %} (explained at check {{ mistake.same_as | escape_html }} above){% endif %}</div>
{%- if mistake.hint %}<div class="nngrade-hint"><b>Hint:</b> {{ mistake.hint | escape_html }}</div>{% endif -%}
{%- endfor -%}
</div>{% endfor -%}
{%- for note in info.infos %}<div class="nngrade-note nngrade-info">{{ note | escape_html }}</div>{% endfor -%}
{{ super() }}
{%- if info.printed %}<div class="nngrade-printed"><span>Printed when graded (the end of it):</span><pre>{{ info.printed | escape_html }}</pre></div>{% endif -%}
</section>
{% endblock any_cell %}
"""


_MARKDOWN_TAGS = ["p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "em", "strong", "b", "i", "a", "code",
                  "pre", "blockquote", "hr", "br", "table", "thead", "tbody", "tr", "th", "td", "span", "div", "img",
                  "del", "sup", "sub", "details", "summary", "kbd"]
_MARKDOWN_ATTRIBUTES = {"*": ["id", "class"], "a": ["href", "title"], "img": ["src", "alt", "width", "height"],
                        "th": ["align"], "td": ["align"], "ol": ["start"]}


def clean_markdown_html(page: str) -> str:
    """A Markdown cell's HTML with only the elements Markdown makes (the student's own HTML shows as text):
    no script, style, form or frame, no event attribute, links to the web or the page only, images inline."""
    import bleach

    return bleach.clean(page, tags=_MARKDOWN_TAGS, attributes=_MARKDOWN_ATTRIBUTES,
                        protocols=["http", "https", "mailto", "data"])


def _shown_output(output: dict) -> dict | None:
    """The output as text and pictures only, ANSI colours removed; None when nothing of it is kept."""
    kind = output.get("output_type")
    if kind == "stream":
        output["text"] = _ANSI.sub("", "".join(output.get("text", "")))
        return output
    if kind == "error":
        output["traceback"] = [_ANSI.sub("", str(line)) for line in output.get("traceback", [])]
        return output
    data = output.get("data", {})
    kept = {mime: value for mime, value in data.items() if mime in SHOWN_MIMES}
    for mime in ("image/png", "image/jpeg"):
        if mime in kept and not (isinstance(kept[mime], str) and _BASE64.fullmatch(kept[mime])):
            kept.pop(mime)
    if "text/plain" in kept:
        kept["text/plain"] = _ANSI.sub("", "".join(kept["text/plain"]))
    output["data"] = kept
    return output if kept else None


def _prepare(notebook: nbformat.NotebookNode, notes: dict[int, dict], formulas: Formulas) -> nbformat.NotebookNode:
    shown = copy.deepcopy(notebook)
    images_bytes = 0
    for number, cell in enumerate(shown.cells, start=1):
        cell.setdefault("metadata", {})["nngrade"] = {"number": number, "problems": [], "checks": [], "infos": [],
                                                      "printed": "", **notes.get(number, {})}
        if cell.get("cell_type") == "markdown":
            cell["source"] = formulas.extract(cell.get("source", ""))
        outputs = [kept for kept in (_shown_output(o) for o in cell.get("outputs", [])) if kept is not None]
        if "outputs" in cell:
            cell["outputs"] = outputs
        images_bytes += sum(len(v) for o in outputs for k, v in o.get("data", {}).items() if k.startswith("image/"))
    if images_bytes > HTML_IMAGES_MAX_BYTES:
        for cell in shown.cells:
            for output in cell.get("outputs", []):
                output["data"] = {k: v for k, v in output.get("data", {}).items() if not k.startswith("image/")}
    shown.metadata.pop("widgets", None)
    return shown


def render_html(notebook: nbformat.NotebookNode, notes: dict[int, dict]) -> str:
    """The page; ``notes`` maps a cell number to what grading says there: ``problems`` and ``infos`` (lines),
    ``checks`` (dicts with number, name, message, mistakes: title, explanation, hint) and ``printed``."""
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    formulas = Formulas()
    shown = _prepare(notebook, notes, formulas)
    exporter = HTMLExporter(extra_loaders=[DictLoader({"nngrade_notebook.html.j2": TEMPLATE})],
                            template_file="nngrade_notebook.html.j2", embed_images=True, sanitize_html=True,
                            filters={"clean_html": clean_markdown_html})
    body, _ = exporter.from_notebook_node(shown, resources={"nngrade_css": CSS})
    return formulas.insert(body)
