"""LaTeX in a notebook's Markdown cells as MathML, offline: notebook.html loads no MathJax (it runs no script at
all), and browsers render MathML themselves.

A Markdown cell's ``$…$`` and ``$$…$$`` become placeholder words before the Markdown is rendered (so Markdown
never reads ``_`` or ``*`` inside a formula), and the placeholders become MathML afterwards. The LaTeX is the
student's: a formula whose conversion fails, or whose MathML holds anything but MathML elements, shows as its
source in a ``<code>``.
"""
from __future__ import annotations

import html
import re
import secrets
from html.parser import HTMLParser

#: code (fenced or inline) is left alone; then display math, then inline math (not ``\$``, not across lines)
_SPANS = re.compile(r"(?P<code>```.*?```|`[^`\n]*`)|(?<!\\)\$\$(?P<display>.+?)(?<!\\)\$\$"
                    r"|(?<![\\$])\$(?P<inline>[^$\n]+?)(?<!\\)\$", re.DOTALL)
MAX_FORMULA_CHARS = 2000

_MATHML_ELEMENTS = {"math", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "msub", "msup", "msubsup", "mfrac",
                    "msqrt", "mroot", "mstyle", "merror", "mpadded", "mphantom", "mfenced", "menclose", "munder",
                    "mover", "munderover", "mtable", "mtr", "mtd", "mlabeledtr", "semantics", "annotation"}
_MATHML_ATTRIBUTES = {"xmlns", "display", "stretchy", "fence", "separator", "lspace", "rspace", "mathvariant",
                      "columnalign", "columnspacing", "rowspacing", "columnlines", "rowlines", "frame",
                      "displaystyle", "scriptlevel", "linethickness", "accent", "accentunder", "movablelimits",
                      "width", "height", "depth", "form", "minsize", "maxsize", "symmetric", "largeop", "notation",
                      "open", "close", "separators", "encoding", "class"}


class _MathMLOnly(HTMLParser):
    """Finds any element or attribute that is not plain MathML presentation markup."""

    def __init__(self):
        super().__init__()
        self.foreign: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in _MATHML_ELEMENTS:
            self.foreign.append(tag)
        self.foreign += [name for name, _ in attrs if name not in _MATHML_ATTRIBUTES]

    def handle_endtag(self, tag):
        if tag not in _MATHML_ELEMENTS:
            self.foreign.append(tag)


def _fallback(latex: str, display: bool) -> str:
    source = f"$${latex}$$" if display else f"${latex}$"
    return f'<code class="nngrade-tex">{html.escape(source)}</code>'


def to_mathml(latex: str, display: bool = False) -> str:
    """The formula as MathML, or its escaped source in a ``<code>`` when it cannot be converted safely."""
    if len(latex) > MAX_FORMULA_CHARS:
        return _fallback(latex, display)
    try:
        from latex2mathml.converter import convert

        mathml = convert(latex, display="block" if display else "inline")
    except Exception:  # noqa: BLE001 (the converter on LaTeX it does not know: the source is shown instead)
        return _fallback(latex, display)
    checker = _MathMLOnly()
    checker.feed(mathml)
    checker.close()
    return _fallback(latex, display) if checker.foreign else mathml


class Formulas:
    """The formulas taken out of the Markdown cells of one page, and their placeholders: words with a random
    part, so that no text of the student's can be mistaken for one."""

    def __init__(self):
        self.mathml: list[str] = []
        self._word = f"nngrademath{secrets.token_hex(6)}n"
        self._placeholder = re.compile(re.escape(self._word) + r"(\d+)x")

    def extract(self, markdown: str) -> str:
        """``markdown`` with each formula replaced by a placeholder (code spans and blocks left alone)."""
        def replace(match: re.Match) -> str:
            if match["code"] is not None:
                return match[0]
            display = match["display"] is not None
            self.mathml.append(to_mathml((match["display"] if display else match["inline"]).strip(), display))
            return f"{self._word}{len(self.mathml) - 1}x"
        return _SPANS.sub(replace, markdown)

    def insert(self, page: str) -> str:
        """The rendered page with each placeholder back as its formula's MathML."""
        return self._placeholder.sub(lambda match: self.mathml[int(match[1])], page)
