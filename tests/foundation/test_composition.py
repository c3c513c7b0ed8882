"""`app.composition` is the one place that wires the parts: every topic the code
emits has a handler there, and every handler is a real function."""

from __future__ import annotations

import ast
from pathlib import Path

from app import composition
from app.jobs import QUEUE_NAMES

APP = Path(__file__).resolve().parents[2] / "app"


def _emitted_topics() -> set[str]:
    """Topic names passed as literals to `emit(...)` anywhere in app/."""
    found = set()
    for path in APP.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", "")) == "emit"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                found.add(node.args[0].value)
    return found


def test_every_emitted_topic_has_a_handler():
    emitted = _emitted_topics()
    assert emitted, "no emit(...) calls found: the scan is broken"
    assert emitted <= set(composition.TOPICS)


def test_every_topic_runs_a_function_on_a_known_queue():
    for name, topic in composition.TOPICS.items():
        assert callable(topic.handler), name
        assert topic.queue in QUEUE_NAMES, name


def test_the_app_mounts_each_blueprint_once(app):
    mounted = [bp for bp, _ in composition.PAGES + composition.APIS]
    assert len({id(bp) for bp in mounted}) == len(mounted)
    for bp in mounted:
        assert app.blueprints[bp.name] is bp
