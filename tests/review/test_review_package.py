"""The review package's shape (issue 12): modules import each other directly, never through the package,
without a cycle, none over 500 lines, and none touches documents."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "core" / "review"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_modules_import_siblings_directly_and_without_a_cycle() -> None:
    modules = {p.stem: p for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    assert set(modules) >= {"log", "session", "stats", "fatigue"}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        imported = _imports(path)
        assert "core.review" not in imported, f"core/review/{name}.py imports the package it belongs to"
        graph[name] = {m.rsplit(".", 1)[1] for m in imported if m.startswith("core.review.")}

    visiting: set[str] = set()
    done: set[str] = set()

    def visit(name: str, trail: tuple[str, ...]) -> None:
        assert name not in visiting, f"import cycle: {' -> '.join(trail + (name,))}"
        if name in done:
            return
        visiting.add(name)
        for other in graph[name]:
            visit(other, trail + (name,))
        visiting.discard(name)
        done.add(name)

    for name in graph:
        visit(name, ())


def test_modules_are_small_and_see_records_not_documents() -> None:
    for path in PACKAGE.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert len(text.splitlines()) <= 500, path.name
        assert "_read_table" not in text and ".table" not in text, path.name
