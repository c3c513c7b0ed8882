"""Find English text that Python code hands to people without gettext.

The places where app code speaks to a person are few and fixed: a flash message,
a `ServiceError` (or a subclass) message, an error body built by hand (`fail`,
Connect's `error_response`), a Werkzeug `abort()` description, a WTForms
`ValidationError`, and helpers that pass one of their parameters on to those.
This walks the AST of each module and reports a string literal, an f-string or
a `"..." + x` / `"..." % x` / `"...".format()` expression in those places;
`_("...")`, `_l("...")`, `ngettext(...)` and plain variables pass (a variable's
text is checked where it is written, if it is written in one of these places).

Helpers are found by themselves: a function that raises or returns an error
built from one of its own parameters, or flashes one, is a message helper, and
a literal passed in that parameter's position is reported at the call.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ERROR_BASE = "ServiceError"
GETTEXT = frozenset({"_", "_l", "gettext", "lazy_gettext", "ngettext", "lazy_ngettext"})


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    where: str
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.where}: {self.text}"


def is_plain_text(node: ast.AST | None) -> bool:
    """True when `node` builds text for people from an untranslated literal."""
    if node is None:
        return False
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and any(ch.isalpha() for ch in node.value)
    if isinstance(node, ast.JoinedStr):
        return any(is_plain_text(part) for part in node.values)
    if isinstance(node, ast.BinOp):
        return is_plain_text(node.left) or is_plain_text(node.right)
    if isinstance(node, ast.IfExp):
        return is_plain_text(node.body) or is_plain_text(node.orelse)
    if isinstance(node, ast.BoolOp):
        return any(is_plain_text(v) for v in node.values)
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("format", "join", "strip", "capitalize")
    ):
        return is_plain_text(node.func.value)
    return False


def _name(func: ast.AST) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _argument(call: ast.Call, index: int, keyword: str) -> ast.AST | None:
    for kw in call.keywords:
        if kw.arg == keyword:
            return kw.value
    return call.args[index] if len(call.args) > index else None


def error_classes(trees: dict[str, ast.Module]) -> set[str]:
    """ServiceError and every class in the code that derives from it."""
    found = {ERROR_BASE}
    changed = True
    while changed:
        changed = False
        for tree in trees.values():
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.ClassDef)
                    and node.name not in found
                    and any(_name(base) in found for base in node.bases)
                ):
                    found.add(node.name)
                    changed = True
    return found


class _Sinks:
    """Where text for people goes: (callable name) -> (position, keyword)."""

    def __init__(self, errors: set[str]):
        self.places: dict[str, tuple[int, str]] = {
            "flash": (0, "message"),
            "ValidationError": (0, "message"),  # WTForms shows it under the field
        }
        self.places.update({name: (1, "message") for name in errors})
        # The JSON error bodies built by hand: ResponseDto's and Connect's.
        self.places.update({"fail": (1, "message"), "error_response": (1, "message")})
        self.places["abort"] = (1, "description")

    def message_of(self, call: ast.Call) -> ast.AST | None:
        name = _name(call.func)
        if name not in self.places:
            return None
        index, keyword = self.places[name]
        if name == "abort" and not any(k.arg == "description" for k in call.keywords):
            return call.args[1] if len(call.args) > 1 else None
        return _argument(call, index, keyword)

    def learn_helpers(self, trees: dict[str, ast.Module]) -> None:
        """A function passing its parameter on as a message is a sink too."""
        changed = True
        while changed:
            changed = False
            for tree in trees.values():
                for func in ast.walk(tree):
                    if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                        continue
                    if func.name in self.places:
                        continue
                    params = [a.arg for a in func.args.args]
                    for call in ast.walk(func):
                        if not isinstance(call, ast.Call):
                            continue
                        message = self.message_of(call)
                        if isinstance(message, ast.Name) and message.id in params:
                            index = params.index(message.id)
                            if params and params[0] in ("self", "cls"):
                                index -= 1
                            self.places[func.name] = (index, message.id)
                            changed = True
                            break


def check_tree(path: str, tree: ast.Module, sinks: _Sinks) -> list[Finding]:
    findings = []
    for call in ast.walk(tree):
        if not isinstance(call, ast.Call) or _name(call.func) in GETTEXT:
            continue
        message = sinks.message_of(call)
        if is_plain_text(message):
            findings.append(
                Finding(path, call.lineno, _name(call.func), ast.unparse(message)[:80])
            )
    return findings


def check_sources(sources: dict[str, str]) -> list[Finding]:
    trees = {path: ast.parse(text, filename=path) for path, text in sources.items()}
    sinks = _Sinks(error_classes(trees))
    sinks.learn_helpers(trees)
    findings = []
    for path, tree in sorted(trees.items()):
        findings += check_tree(path, tree, sinks)
    return findings


def check_package(root: Path, skip: tuple[str, ...] = ()) -> list[Finding]:
    sources = {}
    for file in sorted(root.rglob("*.py")):
        relative = file.relative_to(root.parent).as_posix()
        if relative.startswith(skip):
            continue
        sources[relative] = file.read_text(encoding="utf-8")
    return check_sources(sources)
