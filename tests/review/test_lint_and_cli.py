"""`interiority lint` over every JSONL shape (bad lines reported, not fatal) and the review commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.cli import main
from core.lint import LintFileError, lint_file, record_text
from tests.review.synthetic import make_example

CLEAN = ("The kettle ticked on the stove while she counted the spoons again, one, two, three, and the rain "
         "kept its own count on the glass. Nobody came up the stairs. ") * 2
CLICHE = "As I reflect on the morning, " + CLEAN


def _write(path: Path, records: list) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("record,kind", [
    ({"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": CLICHE}]}, "chat"),
    ({"prompt": "q", "completion": CLICHE}, "completions"),
    ({"text": CLICHE}, "text"),
    ({"instruction": "q", "input": "", "output": CLICHE}, "alpaca"),
    ({"conversations": [{"from": "human", "value": "q"}, {"from": "gpt", "value": CLICHE}]}, "sharegpt"),
])
def test_each_format_is_read_and_flagged(tmp_path: Path, project, record, kind) -> None:
    path = _write(tmp_path / "data.jsonl", [record, "{not json", {"text": CLEAN.replace("spoons", "cups") + " x" * 40}])
    report = lint_file(path, project.settings)
    assert report.formats == {kind: 1, "text": 1} if kind != "text" else report.formats == {"text": 2}
    assert report.lines == 3 and report.checked == 2
    assert report.bad_lines[0]["line"] == 2 and "not JSON" in report.bad_lines[0]["error"]
    first = next(row for row in report.flagged if row["line"] == 1)
    assert "formulaic-opening" in {f["code"] for f in first["flags"]}


def test_record_shapes_errors() -> None:
    with pytest.raises(ValueError, match="no assistant turn"):
        record_text({"messages": [{"role": "user", "content": "q"}]})
    with pytest.raises(ValueError, match="unknown shape"):
        record_text({"foo": 1})
    with pytest.raises(ValueError, match="not an object"):
        record_text([1, 2])


def test_lint_missing_file(project, tmp_path: Path) -> None:
    with pytest.raises(LintFileError, match="No file"):
        lint_file(tmp_path / "nope.jsonl", project.settings)


def test_lint_cli_exit_codes_and_json(project, tmp_path: Path, capsys) -> None:
    dirty = _write(tmp_path / "dirty.jsonl", [{"text": CLICHE}, "[1]"])
    assert main(["--project", str(project.root), "lint", str(dirty), "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["bad_lines"][0]["line"] == 2 and out["counts"]["formulaic-opening"] == 1
    clean = _write(tmp_path / "clean.jsonl", [{"text": CLEAN + " and then some more words to count" * 3}])
    assert main(["--project", str(project.root), "lint", str(clean)]) == 0
    assert "clean" in capsys.readouterr().out
    assert main(["--project", str(project.root), "lint", str(tmp_path / "missing.jsonl")]) == 2


def _seed(project) -> list[int]:
    from store import Database

    with Database(project.db_path) as db:
        examples = db.examples.add_many([make_example(CLICHE, "monologue"), make_example(CLEAN, "conversation"),
                                         make_example(CLEAN + " More.", "monologue")])
        return [e.id for e in examples]


def test_examples_decide_and_stats_commands(project, tmp_path: Path, capsys) -> None:
    ids = _seed(project)
    root = ["--project", str(project.root)]
    assert main(root + ["flag", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["flagged"] >= 2
    assert main(root + ["examples", "--status", "flagged", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert ids[0] in {r["id"] for r in rows} and all(r["flags"] for r in rows)
    assert set(rows[0]) >= {"id", "passage_id", "template", "text", "flags", "status"}

    edit = tmp_path / "edit.txt"
    edit.write_text("The kettle ticked. She did not look up.", encoding="utf-8")
    assert main(root + ["decide", str(ids[0]), "accept", "--edit-file", str(edit), "--json"]) == 0
    decided = json.loads(capsys.readouterr().out)
    assert decided["status"] == "accepted" and decided["edited"]
    assert main(root + ["decide", str(ids[1]), "reject", "--reason", "off-passage"]) == 0
    assert main(root + ["decide", str(ids[1]), "reject"]) == 2  # a reject needs a reason
    assert main(root + ["decide", str(ids[2]), "reject", "--reason", "bogus"]) == 2
    assert main(root + ["decide", str(ids[2]), "undo"]) == 2  # nothing to undo
    assert main(root + ["decide", "9999", "accept"]) == 2
    capsys.readouterr()

    assert main(root + ["examples", "--status", "accepted", "--json"]) == 0
    accepted = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in accepted] == [ids[0]] and accepted[0]["text"].startswith("The kettle ticked. She")

    assert main(root + ["review-stats", "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["accept_rate"]["template"]["monologue"]["accept_rate"] == 1.0
    assert stats["accept_rate"]["template"]["conversation"]["accept_rate"] == 0.0
    assert stats["reject_reasons_by_template"] == {"conversation": {"off-passage": 1}}
    assert stats["edits"]["count"] == 1 and 0 < stats["edits"]["mean_distance"] < 1
    assert main(root + ["review-stats"]) == 0
    assert "Accept rate by template" in capsys.readouterr().out

    assert main(root + ["decide", str(ids[0]), "undo"]) == 0
    assert "pending (edited)" in capsys.readouterr().out
    assert main(root + ["examples", "--status", "pending", "--json"]) == 0
    pending = {r["id"]: r for r in json.loads(capsys.readouterr().out)}
    assert ids[0] in pending and pending[ids[0]]["edited"]  # the edit is still in force
