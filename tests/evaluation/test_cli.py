"""`interiority compare` and `interiority probes` through the real command line (main)."""

from __future__ import annotations

import io
import json

from core.cli import main


def _run(argv: list[str], monkeypatch) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    monkeypatch.setattr("sys.stderr", err)
    code = main(argv)
    return code, out.getvalue(), err.getvalue()


def test_compare_twice_makes_no_model_call_the_second_time(eval_project, monkeypatch) -> None:
    project, db = eval_project
    monkeypatch.setenv("MLX_DISABLE_COMPILE", "1")
    # the CLI opens its own Database: close the fixture's lock for the duration, reopen after
    db.close()
    try:
        argv = ["--project", str(project.root), "compare", "stage-200", "base", "--probes", "inner-life",
                "--n", "2", "--max-tokens", "3", "--temperature", "0", "--seed", "5", "--json"]
        code, out, err = _run(argv, monkeypatch)
        assert code == 0, err
        first = json.loads(out)
        assert first["pairs"] == 2 and first["model_calls"] == 4
        code, out, err = _run(argv, monkeypatch)
        again = json.loads(out)
        assert code == 0 and again["model_calls"] == 0 and again["comparison"] == first["comparison"]
        code, out, err = _run(argv[:-1], monkeypatch)
        assert code == 0 and "0 model calls" in out and "Arena screen" in out
        code, out, err = _run(["--project", str(project.root), "compare", "nope", "base"], monkeypatch)
        assert code == 2 and "not 'base', a run" in err and "Traceback" not in err
        code, out, err = _run(["--project", str(project.root), "probes", "--json"], monkeypatch)
        assert code == 0 and {row["name"] for row in json.loads(out)} >= {"inner-life", "continuity"}
    finally:
        db.__init__(project.db_path)  # the session fixture's Database, open again for later tests


def test_compare_with_the_live_judge(eval_project, fake_anthropic, monkeypatch) -> None:
    """The teacher's client is used and closed in one event loop (a second loop would find it closed)."""
    project, db = eval_project
    fake_anthropic.model_text = "VERDICT: 1"
    monkeypatch.setenv("MLX_DISABLE_COMPILE", "1")
    db.close()
    try:
        argv = ["--project", str(project.root), "compare", "stage-500", "stage-200", "--probes", "inner-life",
                "--n", "2", "--max-tokens", "3", "--temperature", "0", "--seed", "6", "--judge", "teacher"]
        code, out, err = _run(argv, monkeypatch)
        assert code == 0 and "4 requests to" in err and fake_anthropic.message_requests() == []
        code, out, err = _run(argv + ["--yes", "--json"], monkeypatch)
        assert code == 0, err
        judged = json.loads(out)["judge"]
        assert judged["sent"] == 4 and judged["batch"] is False and judged["position_bias"] == 1.0
        assert len(fake_anthropic.message_requests()) == 4
    finally:
        db.__init__(project.db_path)
