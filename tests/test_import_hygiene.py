"""core/, store/ and books/ never import Textual: they must work headless."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADLESS = ("core", "store", "books")


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_no_textual_or_tui_import_in_headless_packages() -> None:
    # The CLI's one dispatch point may start the studio, lazily, inside a function.
    allowed = {("core/cli.py", "tui.app")}
    offenders = []
    files = [p for pkg in HEADLESS for p in (ROOT / pkg).rglob("*.py")]
    assert files, "the headless packages hold no modules"
    for path in files:
        for name in _imported_modules(path):
            top = name.split(".")[0]
            if (str(path.relative_to(ROOT)), name) in allowed:
                continue
            if top in ("textual", "tui", "textual_plotext", "plotext"):
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offenders == [], offenders


def test_headless_packages_import_without_textual_loaded() -> None:
    """Importing every headless module in a fresh interpreter leaves textual unloaded."""
    modules = []
    for pkg in HEADLESS:
        for path in (ROOT / pkg).rglob("*.py"):
            rel = path.relative_to(ROOT).with_suffix("")
            parts = list(rel.parts)
            if parts[-1] == "__main__":
                continue
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules.append(".".join(parts))
    code = (
        "import importlib, sys\n"
        f"for m in {sorted(modules)!r}:\n"
        "    importlib.import_module(m)\n"
        "bad = [m for m in sys.modules if m == 'textual' or m.startswith('textual.')]\n"
        "print('LOADED' if bad else 'CLEAN')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("CLEAN")


# ---------------------------------------------------------------------------------------------
# One owner per document, one shape per package.
#
# The rule a newcomer needs: "may I touch `db.jobs.table` here?" -- only inside store/.  Every
# other module sees typed records through the repositories (store/<aggregate>.py), which is where a
# fast path belongs when one is needed.

_DOCUMENT_ACCESS = re.compile(r"\.table\b(?!s)|_read_table\b")


def _python_files(*packages: str) -> list[Path]:
    return [p for pkg in packages for p in (ROOT / pkg).rglob("*.py")]


def test_documents_are_touched_only_in_store() -> None:
    offenders = []
    for path in _python_files("core", "tui", "books"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            if _DOCUMENT_ACCESS.search(code):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == [], "TinyDB documents outside store/ (add a repository method):\n" + "\n".join(offenders)


def test_books_imports_nothing_of_ours_but_its_own_errors() -> None:
    offenders = []
    for path in _python_files("books"):
        for name in _imported_modules(path):
            if name.split(".")[0] in ("core", "store", "tui"):
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offenders == [], offenders


def test_no_module_over_500_lines() -> None:
    long = []
    for path in _python_files("core", "store", "books", "tui"):
        count = len(path.read_text(encoding="utf-8").splitlines())
        if count > 500:
            long.append(f"{path.relative_to(ROOT)}: {count} lines")
    assert long == [], long


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _our_imports(path: Path, known: set[str]) -> set[str]:
    """Our modules that `path` imports anywhere: module level, inside functions (lazy) and under
    TYPE_CHECKING alike -- a lazy import that closes a loop is still two modules that need each other."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    this = _module_name(path)
    package = this if path.name == "__init__.py" else this.rpartition(".")[0]
    found: set[str] = set()

    def resolve(name: str) -> None:
        while name and name not in known:
            name = name.rpartition(".")[0]
        if name and name != this:
            found.add(name)

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                resolve(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package
                for _ in range(node.level - 1):
                    base = base.rpartition(".")[0]
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            for alias in node.names:
                qualified = f"{module}.{alias.name}"
                resolve(qualified if qualified in known else module)
    return found


def test_no_import_cycle() -> None:
    files = _python_files("core", "store", "books", "tui")
    known = {_module_name(p) for p in files}
    graph = {_module_name(p): _our_imports(p, known) for p in files}
    # A package's __init__ importing its own submodules is how a package exposes its API, not a cycle.
    for name, deps in graph.items():
        graph[name] = {d for d in deps if not (d.startswith(name + ".") or name.startswith(d + "."))}
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 1:
                cycles.append(stack[stack.index(dep):] + [dep])
            elif dep not in state:
                visit(dep)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert cycles == [], "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)
