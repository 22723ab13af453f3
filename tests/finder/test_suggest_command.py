"""`interiority suggest`: the JSON shape, --uncertain, --all, and errors as one sentence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.cli import main
from tests.finder.test_cache_and_session import INTERIOR, PLAIN, _write_book


def _run(project: Path, *args: str) -> tuple[int, str, str]:
    import io
    from contextlib import redirect_stderr, redirect_stdout

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["--project", str(project), *args])
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def imported(tmp_path: Path) -> Path:
    project = tmp_path / "p"
    book = _write_book(tmp_path, [PLAIN, INTERIOR, PLAIN, INTERIOR + " Again.", PLAIN])
    code, _, err = _run(project, "import", str(book))
    assert code == 0, err
    return project


def test_suggest_json_lists_the_best_paragraphs(imported: Path) -> None:
    code, out, _ = _run(imported, "suggest", "1", "--top", "2", "--json")
    assert code == 0
    rows = json.loads(out)
    assert [r["paragraph"] for r in rows] == [1, 3] or [r["paragraph"] for r in rows] == [3, 1]
    for row in rows:
        assert set(row) == {"paragraph", "start", "end", "score", "reasons", "preview"}
        assert 0 <= row["score"] <= 1 and row["reasons"] and len(row["preview"]) <= 80


def test_suggest_all_uncertain_and_plain_text(imported: Path) -> None:
    code, out, _ = _run(imported, "suggest", "1", "--all", "--json")
    assert code == 0 and len(json.loads(out)) == 5
    code, out, _ = _run(imported, "suggest", "1", "--uncertain", "--top", "3", "--json")
    gaps = [abs(r["score"] - 0.5) for r in json.loads(out)]
    assert code == 0 and gaps == sorted(gaps)
    code, out, _ = _run(imported, "suggest", "1")
    assert code == 0 and "strong suggestions" in out and "paragraph" in out


def test_suggest_errors_are_one_sentence(imported: Path) -> None:
    code, _, err = _run(imported, "suggest", "99")
    assert code == 2 and "No book with id 99" in err and "Traceback" not in err
    code, _, err = _run(imported, "suggest", "1", "--top", "0")
    assert code == 2 and "--top must be at least 1" in err
