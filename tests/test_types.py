"""The type checker runs with the suite: `mypy` strict on store/, core/ and books/ (config in pyproject.toml).

It is a test rather than a separate CI step so that the README's one test command, which `.ci/run` runs,
checks types too, and a developer who runs the suite before a commit sees a changed record shape break
its callers here rather than at run time.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_mypy_strict_passes_on_the_headless_packages() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(ROOT / ".mypy_cache")],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "Success" in result.stdout
