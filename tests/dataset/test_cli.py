"""`interiority export` and `interiority builds`, run through the real CLI entry point."""

from __future__ import annotations

import json

from core.cli import main
from store import Database
from tests.dataset.synthetic import add_book


def seed_project(project) -> None:
    with Database(project.db_path) as db:
        add_book(db, "War and Peace", "Leo Tolstoy", passages=20, per_passage=3)
        add_book(db, "Swann's Way", "Marcel Proust", passages=10, per_passage=3)


def test_export_dry_run_build_and_list(project, capsys) -> None:
    seed_project(project)
    root = str(project.root)
    assert main(["--project", root, "export", "cli", "--stages", "40,60", "--mix", "method", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "War and Peace" in out and "Proust" in out and "(taken/target per stage)" in out
    # The cell under a stage is taken/target: War and Peace's 12 of 12 at 60 (its 0.2 share), never "target/..".
    row = next(line for line in out.splitlines() if line.startswith("War and Peace"))
    assert row.split()[-1] == "12/12" and "target/" not in out
    assert "shortfall" in out and "outside the mix" not in out
    assert "splits by passage (train/valid/test book examples): 40: " in out and "would stop" not in out

    code = main(["export", "cli", "--project", root, "--stages", "40,60", "--format", "mlx-chat,alpaca",
                 "--seed", "3", "--mix", "method", "--json"])
    assert code == 0
    captured = capsys.readouterr()
    result = json.loads(captured.out)
    assert [s["size"] for s in result["stages"]] == [40, 60]
    assert result["stages"][1]["formats"] == ["mlx-chat", "alpaca"]
    assert (project.exports / "cli" / "stage-60" / "mlx-chat" / "train.jsonl").exists()
    assert "warning:" in captured.err  # Dostoevsky and others have nothing: shortfalls are reported

    assert main(["--project", root, "builds", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [b["name"] for b in listed] == ["cli"]
    assert listed[0]["formats"] == ["mlx-chat", "alpaca"]


def test_export_errors_exit_2_with_a_sentence(project, capsys, tmp_path) -> None:
    seed_project(project)
    root = str(project.root)
    bad = tmp_path / "general.jsonl"
    bad.write_text('{"prompt": "p", "completion": "c"}\n\n{"prompt": 3, "completion": "c"}\n', encoding="utf-8")
    assert main(["--project", root, "export", "x", "--general", str(bad)]) == 2
    assert f"{bad} line 3" in capsys.readouterr().err
    assert main(["--project", root, "export", "x", "--stages", "20,abc"]) == 2
    assert "--stages must be whole numbers" in capsys.readouterr().err
    assert main(["--project", root, "export", "x", "--format", "parquet"]) == 2
    assert "Unknown export format parquet" in capsys.readouterr().err
    assert main(["--project", root, "builds"]) == 0
    assert "No dataset builds yet" in capsys.readouterr().out
