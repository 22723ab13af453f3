"""core/, store/ and books/ never import Textual: they must work headless."""

from __future__ import annotations

import ast
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
