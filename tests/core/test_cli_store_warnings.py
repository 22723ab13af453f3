"""A change made durable is a success even when the compaction after it fails (issue 13, item 2).

Three `passages add` on a full disk used to print "Could not compact ..." and exit 2 while all three were
stored, so a script that retried stored them twice.  Now the command exits 0, prints its result, and the
compaction trouble is a warning on stderr.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from core.cli import main
from store.database import Database
from store.errors import StoreWriteError
from store.storage import JournalStorage


def test_passages_add_on_a_full_disk_reports_success_and_warns(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    book = tmp_path / "book.txt"
    book.write_text("One paragraph of a book, long enough to hold a passage.\n\nA second paragraph.\n",
                    encoding="utf-8")
    project = str(tmp_path / "project")
    assert main(["import", str(book), "--project", project]) == 0

    real_init = Database.__init__

    def compact_after_every_write(self: Database, path: Any, **kwargs: Any) -> None:
        kwargs.setdefault("compact_min_bytes", 0)
        real_init(self, path, **kwargs)

    def disk_full(self: JournalStorage) -> None:
        raise StoreWriteError(f"Could not compact {self.snapshot_path}: No space left on device.")

    monkeypatch.setattr(Database, "__init__", compact_after_every_write)
    monkeypatch.setattr(JournalStorage, "compact", disk_full)
    capsys.readouterr()
    for start in (0, 5, 10):
        assert main(["passages", "add", "1", "--start", str(start), "--end", str(start + 20),
                     "--project", project]) == 0
    captured = capsys.readouterr()
    assert "Warning: Could not compact" in captured.err
    assert "Traceback" not in captured.err

    monkeypatch.undo()
    assert main(["passages", "--json", "--project", project]) == 0
    stored = json.loads(capsys.readouterr().out)
    assert len(stored) == 3
