"""Answers from the tiny model in the worker subprocess, cached so a repeated comparison makes 0 model calls."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.evaluation import answers as answers_module
from core.evaluation.answers import Decoding, ProbeRef, answer_key, ensure_answers
from core.evaluation.models import ModelNotFound, resolve_model
from core.evaluation.probes import Probe
from tests.evaluation.conftest import WORKER_ENV

DECODING = Decoding(max_tokens=4, temperature=0.0, top_p=0.0)
PROBES = [ProbeRef("inner-life", Probe("bored", ("Do you ever get bored?",))),
          ProbeRef("continuity", Probe("sleep", ("I can't sleep.", "Talk to me.", "Thanks.")))]


def test_models_resolve_with_fingerprints(eval_project, tiny_model: Path) -> None:
    project, db = eval_project
    base = resolve_model(project, db, "base", other="stage-200")
    run_a = resolve_model(project, db, "stage-200")
    run_b = resolve_model(project, db, "stage-500")
    by_path = resolve_model(project, db, str(project.runs / "stage-200" / "adapters"))
    assert base.model_path == str(tiny_model.resolve()) and base.adapter_path == ""
    assert len({base.fingerprint, run_a.fingerprint, run_b.fingerprint}) == 3
    assert by_path.fingerprint == run_a.fingerprint  # the same adapters by path or by run name
    assert resolve_model(project, db, str(tiny_model)).fingerprint == base.fingerprint
    with pytest.raises(ModelNotFound, match="not 'base', a run"):
        resolve_model(project, db, "no-such-run")
    # the key names everything that shapes an answer
    turns = ("hi",)
    assert answer_key(run_a, turns, DECODING, 0) != answer_key(run_b, turns, DECODING, 0)
    assert answer_key(run_a, turns, DECODING, 0) != answer_key(run_a, turns, DECODING, 1)
    assert answer_key(run_a, turns, DECODING, 0) != answer_key(run_a, turns, Decoding(max_tokens=5), 0)


def test_answers_are_generated_once_then_cached(eval_project, monkeypatch: pytest.MonkeyPatch) -> None:
    project, db = eval_project
    model = resolve_model(project, db, "stage-200")
    seen: list[tuple[int, int]] = []
    first = ensure_answers(db, model, PROBES, DECODING, seed=3, env=WORKER_ENV,
                           progress=lambda done, total: seen.append((done, total)))
    assert (first.generated, first.cached) == (2, 0) and seen[-1] == (2, 2)
    sleep = first.answers["continuity/sleep"]
    assert len(sleep.replies) == 3 and [m["role"] for m in sleep.conversation()] == ["user", "assistant"] * 3
    assert sleep.settings == DECODING.to_dict() and sleep.seed == 3

    def no_process(*args, **kwargs):  # a repeated comparison must not start the model at all
        raise AssertionError("a cached comparison started the answering process")

    monkeypatch.setattr(answers_module.subprocess, "Popen", no_process)
    again = ensure_answers(db, model, PROBES, DECODING, seed=3, env=WORKER_ENV)
    assert (again.generated, again.cached) == (0, 2)
    assert {k: a.replies for k, a in again.answers.items()} == {k: a.replies for k, a in first.answers.items()}


def test_a_failing_worker_is_one_sentence(eval_project, tmp_path: Path) -> None:
    project, db = eval_project
    model = resolve_model(project, db, "stage-500")
    broken = type(model)(model.label, model.kind, str(tmp_path / "gone"), "", "fp-gone")
    with pytest.raises(answers_module.AnswerError, match="could not answer the probes"):
        ensure_answers(db, broken, PROBES[:1], DECODING, env=WORKER_ENV)
