"""Find text a person would read in a Jinja template that is not inside gettext.

The template is parsed into Jinja's AST (with the i18n extension, so a
`{% trans %}` block is already a gettext call and holds no template data). What
is left as literal markup is re-assembled in document order, with every
expression replaced by a placeholder, and read with an HTML parser:

- text between tags, and the visible attributes (`placeholder`, `title`,
  `alt`, `aria-label`, `label`, a button-like `<input value>`), may hold no
  letters (Unicode category L*): only digits, punctuation and symbols such as
  `·`, `—`, `×`, `←`, `#`;
- a string literal printed directly (`{{ 'copies' }}`, `{{ x or 'none' }}`,
  the branches of `a if b else c`) may hold no letters either.

Text-only templates (`.txt`, mail bodies and subjects) are read as text, all of it
visible. `<script>` and `<style>` contents are code, not text.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from html.parser import HTMLParser

from jinja2 import Environment, nodes

PLACEHOLDER = "\ue000"  # a private-use character: neither letter nor markup
VISIBLE_ATTRIBUTES = {"placeholder", "title", "alt", "aria-label", "label"}
BUTTON_INPUTS = {"submit", "button", "reset"}
PASS_THROUGH_FILTERS = {
    "e", "escape", "safe", "upper", "lower", "title", "capitalize", "trim",
    "striptags", "string", "truncate", "wordwrap", "center", "indent", "replace",
    "default", "d",
}  # fmt: skip


@dataclass(frozen=True)
class Finding:
    template: str
    text: str

    def __str__(self) -> str:
        return f"{self.template}: {self.text!r}"


def has_letters(text: str) -> bool:
    return any(unicodedata.category(ch).startswith("L") for ch in text)


def _visible_constants(expr: nodes.Node):
    """String literals whose value is printed as it is."""
    if isinstance(expr, nodes.Const):
        if isinstance(expr.value, str):
            yield expr.value
    elif isinstance(expr, nodes.CondExpr):
        yield from _visible_constants(expr.expr1)
        if expr.expr2 is not None:
            yield from _visible_constants(expr.expr2)
    elif isinstance(expr, (nodes.Or, nodes.And)):
        yield from _visible_constants(expr.left)
        yield from _visible_constants(expr.right)
    elif isinstance(expr, nodes.Concat):
        for node in expr.nodes:
            yield from _visible_constants(node)
    elif isinstance(expr, nodes.Filter):
        # `'x'|upper` still prints x; `'paid'|label('order')` prints a translation.
        if expr.node is not None and expr.name in PASS_THROUGH_FILTERS:
            yield from _visible_constants(expr.node)
        if expr.name in ("default", "d") and expr.args:
            yield from _visible_constants(expr.args[0])
    elif isinstance(expr, (nodes.MarkSafe, nodes.MarkSafeIfAutoescape)):
        yield from _visible_constants(expr.expr)


class _Markup(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._code_depth = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._code_depth += 1
        values = dict(attrs)
        for name, value in attrs:
            if value is None:
                continue
            if name in VISIBLE_ATTRIBUTES or (
                name == "value"
                and tag == "input"
                and (values.get("type") or "").lower() in BUTTON_INPUTS
            ):
                self.texts.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._code_depth:
            self._code_depth -= 1

    def handle_data(self, data):
        if not self._code_depth:
            self.texts.append(data)


def check_source(env: Environment, name: str, source: str) -> list[Finding]:
    tree = env.parse(source, name=name)
    pieces: list[str] = []
    findings: list[Finding] = []
    for output in tree.find_all(nodes.Output):
        for node in output.nodes:
            if isinstance(node, nodes.TemplateData):
                pieces.append(node.data)
            else:
                pieces.append(PLACEHOLDER)
                for text in _visible_constants(node):
                    if has_letters(text):
                        findings.append(Finding(name, text))
    markup = "".join(pieces)
    if name.endswith(".txt"):
        texts = [markup]
    else:
        parser = _Markup()
        parser.feed(markup)
        parser.close()
        texts = parser.texts
    for text in texts:
        for line in text.split(PLACEHOLDER):
            if has_letters(line):
                findings.append(Finding(name, line.strip()))
    return findings
