"""The API key appears in no database file, journal, example, exception message or printed output."""

from __future__ import annotations

import json

import pytest

from core.cli import main
from store import Database
from tests.queue.conftest import add_passages

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

SECRET = "sk-ant-api03-NEVER-SHOW-THIS-KEY-0123456789"


def test_key_never_leaks(project, fake_anthropic, monkeypatch, capsys):
    fake_anthropic.api_key = SECRET
    monkeypatch.setenv("ANTHROPIC_API_KEY", SECRET)
    with Database(project.db_path) as db:
        add_passages(db, 3)
    fake_anthropic.script("429", "malformed", "empty", "500")
    assert main(["generate", "--project", str(project.root), "--yes"]) == 0
    fake_anthropic.script("401")
    with Database(project.db_path) as db:
        db.jobs.table.update({"status": "pending"}, doc_ids=[j.id for j in db.jobs.all() if j.status == "failed"])
    assert main(["generate", "--project", str(project.root), "--yes", "--json"]) == 2
    out, err = capsys.readouterr()
    assert "the API key is missing or wrong" in err
    assert SECRET not in out and SECRET not in err
    assert any(r.headers.get("authorization") == f"Bearer {SECRET}" for r in fake_anthropic.requests)
    for path in project.root.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), f"the key is in {path}"
    with Database(project.db_path) as db:
        records = [j.to_doc() for j in db.jobs.all()] + [e.to_doc() for e in db.examples.all()]
    assert SECRET not in json.dumps(records) and records


def test_a_world_readable_key_file_is_refused(project, tmp_path, monkeypatch, capsys):
    key_file = tmp_path / "anthropic.key"
    key_file.write_text(SECRET)
    key_file.chmod(0o640)
    settings_path = project.root / "interiority.toml"
    settings_path.write_text(settings_path.read_text().replace('api_key_file = ""', f'api_key_file = "{key_file}"'))
    with Database(project.db_path) as db:
        add_passages(db, 1)
    assert main(["generate", "--project", str(project.root), "--yes"]) == 2
    out, err = capsys.readouterr()
    assert f"chmod 600 {key_file}" in err and SECRET not in out + err
