"""Evaluation, checklist and fuse on a short tiny-model run."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import UserError
from core.training.evaluate import evaluate_run, format_report, set_checklist
from core.training.fuse import fuse_run


@pytest.fixture(scope="module")
def tuned_run(finished_run):
    import mlx.core as mx

    mx.disable_compile()  # in-process generation: skip the CPU kernel compiler (see conftest)
    return finished_run[0]


def test_evaluation_compares_base_and_tuned(training_project, tuned_run) -> None:
    project, db, _ = training_project
    report = evaluate_run(project, db, tuned_run, prompts=2, max_tokens=12)
    assert report["split"] == "test" and report["examples"] == 4
    assert report["tuned"]["loss"] < report["base"]["loss"] and report["improved"]
    assert report["tuned"]["perplexity"] < report["base"]["perplexity"]
    assert len(report["samples"]) == 2
    assert all(sample["base"] != sample["tuned"] for sample in report["samples"])
    signs = report["warning_signs"]
    assert signs["samples"] == 2 and 0 < signs["distinct_1"] <= 1 and signs["mean_words"] > 0
    assert "cliche_checker" in signs
    stored = db.runs.by_name("full")
    assert stored.evaluation["tuned"] == report["tuned"]
    assert (Path(tuned_run.run_dir) / "evaluation.json").is_file()


def test_checklist_is_stored_with_the_run(training_project, tuned_run) -> None:
    _, db, _ = training_project
    set_checklist(db, db.runs.by_name("full"), "emotional_continuity", "yes")
    set_checklist(db, db.runs.by_name("full"), "genuine_uncertainty", "unsure")
    assert db.runs.by_name("full").checklist == {"emotional_continuity": "yes", "genuine_uncertainty": "unsure"}
    with pytest.raises(UserError, match="Unknown checklist item"):
        set_checklist(db, db.runs.by_name("full"), "vibes", "yes")
    with pytest.raises(UserError, match="yes, no, unsure"):
        set_checklist(db, db.runs.by_name("full"), "emotional_continuity", "maybe")


def test_fuse_writes_a_loadable_model(training_project, tuned_run) -> None:
    import mlx.core as mx
    from mlx_lm.utils import load

    project, db, _ = training_project
    out = fuse_run(project, db, tuned_run)
    assert (out / "config.json").is_file() and (out / "tokenizer.json").is_file()
    fused, tokenizer = load(str(out))
    adapted, _ = load(tuned_run.base_model, adapter_path=str(Path(tuned_run.run_dir) / "adapters"))
    prompt = mx.array([tokenizer.encode("I am a sick man.")])
    assert mx.allclose(fused(prompt), adapted(prompt), atol=1e-3).item()
    with pytest.raises(UserError, match="already holds files"):
        fuse_run(project, db, tuned_run)


@pytest.mark.parametrize("empty", [("test",), ("test", "valid")])
def test_evaluation_with_empty_held_out_files_says_so(training_project, tuned_run, tiny_model, tmp_path: Path,
                                                      empty) -> None:
    """Hand-emptied (or ratio-0) held-out files: evaluate the valid split, or refuse in one sentence, never crash."""
    import shutil

    from core.training.evaluate import EvaluationError
    from core.training.runner import create_run
    from tests.training.conftest import small_config

    project, db, data_dir = training_project
    folder = tmp_path / "held-out"
    shutil.copytree(data_dir, folder)
    for split in empty:
        (folder / f"{split}.jsonl").write_text("", encoding="utf-8")
    run = create_run(project, db, folder, tiny_model, small_config(), name=f"empty-{'-'.join(empty)}")
    adapters = Path(run.run_dir) / "adapters"
    adapters.mkdir()
    for name in ("adapters.safetensors", "adapter_config.json"):  # the finished run's, to evaluate
        shutil.copy(Path(tuned_run.run_dir) / "adapters" / name, adapters / name)
    if empty == ("test",):
        report = evaluate_run(project, db, run, prompts=1, max_tokens=4)
        assert report["split"] == "valid" and report["examples"] == 4
        assert format_report(report).startswith("Validation loss (no test rows) on answer tokens of valid (4 examples)")
        return
    with pytest.raises(EvaluationError, match="has no rows in test.jsonl or valid.jsonl to evaluate on"):
        evaluate_run(project, db, run, prompts=1, max_tokens=4)
