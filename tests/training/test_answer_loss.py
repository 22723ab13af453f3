"""Issue 15's training items: losses on answer tokens, answers truncated away refused, NaN fails, stop at 0,
the optimizer state restored on resume, `eval --json` parses."""

from __future__ import annotations

import asyncio
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.training.calibrate import skip_reason
from core.training.progress import ProgressEvent, ProgressWriter, read_all
from core.training.runner import TrainingRunner, create_run, last_checkpoint
from core.training.runs import apply_event, session_timing
from core.training.worker import NOTHING_TO_RESUME, NonFiniteLoss, ProgressCallback
from store.records import Run
from tests.training.conftest import WORKER_ENV, small_config

REPO = Path(__file__).resolve().parents[2]


def _run(project, db, run):
    async def go():
        runner = TrainingRunner(project, db, env=WORKER_ENV, grace_s=20.0)
        await runner.start(run)
        return await runner.wait(run.name)
    return asyncio.run(go())


def test_losses_are_on_answer_tokens_and_say_so(finished_run, tiny_model, training_project) -> None:
    from mlx_lm.utils import load

    from core.training.datasets import ANSWER_TOKENS, load_split

    run, _ = finished_run
    config = next(e for e in read_all(Path(run.run_dir) / "progress.jsonl") if e.event == "config")
    assert config.data["loss_on"] == ANSWER_TOKENS and config.data["no_validation"] == ""
    assert json.loads((Path(run.run_dir) / "adapters" / "adapter_config.json").read_text())["mask_prompt"] is True
    _, _, data_dir = training_project
    _, tokenizer = load(str(tiny_model))
    dataset = load_split(data_dir / "test.jsonl", tokenizer)
    offsets = [dataset[i][1] for i in range(len(dataset))]
    assert all(offset >= 20 for offset in offsets)  # the system and user turns are outside the loss


def test_answers_truncated_away_refuse_the_run_with_the_count(training_project, tiny_model) -> None:
    project, db, data_dir = training_project
    run = create_run(project, db, data_dir, tiny_model, small_config(max_seq_length=24), name="too-short")
    finished = _run(project, db, run)
    assert finished.status == "failed"
    assert "32 of 32 train examples would lose their whole answer at max sequence 24" in finished.error
    assert "Raise Max sequence (--max-seq) to 166" in finished.error
    kinds = [e.event for e in read_all(Path(run.run_dir) / "progress.jsonl")]
    assert "train" not in kinds and "config" not in kinds and kinds[-1] == "error"
    assert skip_reason(finished)  # never calibrates the planner


def test_some_examples_losing_their_answer_are_counted(training_project, tiny_model) -> None:
    from mlx_lm.utils import load

    from core.training.datasets import AnswerTruncatedError, answer_fit, check_answers_fit, load_splits

    _, _, data_dir = training_project
    _, tokenizer = load(str(tiny_model))
    splits = load_splits(data_dir, tokenizer)
    offsets = sorted(splits["train"][i][1] for i in range(len(splits["train"])))
    cut_at = offsets[len(offsets) // 2]  # about half the prompts fill it
    expected = sum(1 for offset in offsets if offset >= cut_at)
    assert answer_fit("train", splits["train"], cut_at).lost == expected
    with pytest.raises(AnswerTruncatedError, match=f"{expected} of {len(offsets)} train examples"):
        check_answers_fit(splits, cut_at)
    assert all(fit.lost == 0 for fit in check_answers_fit(splits, 200))


@pytest.mark.parametrize("loss", [math.nan, math.inf])
def test_a_nan_loss_fails_the_run_with_a_sentence(tmp_path: Path, loss: float) -> None:
    writer = ProgressWriter(tmp_path / "progress.jsonl")
    callback = ProgressCallback(writer, start_iteration=0, trained_tokens_before=0)
    with pytest.raises(NonFiniteLoss, match=r"The training loss became (nan|inf) at iteration 5") as caught:
        callback.on_train_loss_report({"iteration": 5, "train_loss": loss, "learning_rate": 1e-3,
                                       "iterations_per_second": 1.0, "tokens_per_second": 10.0,
                                       "trained_tokens": 100, "peak_memory": 0.1})
    assert "Start a new run with a lower learning rate" in caught.value.suggestion
    assert "a resume keeps this run's settings" in caught.value.suggestion
    with pytest.raises(NonFiniteLoss, match="validation loss"):
        callback.on_val_loss_report({"iteration": 0, "val_loss": loss, "val_time": 0.1})
    writer.close()
    # The worker turns it into an "error" event: the run is failed, not done, and skips the planner.
    run = Run(name="nan", status="running", total_iterations=10)
    apply_event(run, ProgressEvent("error", {"message": str(caught.value), "suggestion": caught.value.suggestion}))
    assert run.status == "failed" and "loss became" in run.error
    assert skip_reason(run) == "the run is failed, not done"


def test_stop_before_the_first_checkpoint_says_nothing_to_resume(training_project, tiny_model) -> None:
    project, db, data_dir = training_project
    run = create_run(project, db, data_dir, tiny_model, small_config(iters=200, save_every=100), name="stop-zero")

    async def go():
        runner = TrainingRunner(project, db, env=WORKER_ENV, grace_s=20.0)
        updates = runner.queue()
        await runner.start(run)
        while (await asyncio.wait_for(updates.get(), 60)).event.event != "loading":
            pass
        stopped = await runner.stop(run.name)
        return stopped, [u async for u in _drain(updates)]

    stopped, seen = asyncio.run(go())
    assert seen[0].event.event == "stopping" and seen[0].status == "stopping"  # at once, before the worker ends
    assert stopped.status == "stopped" and stopped.iteration == 0
    final = read_all(Path(run.run_dir) / "progress.jsonl")[-1]
    assert final.event == "stopped" and final.data["message"] == NOTHING_TO_RESUME
    assert final.data["checkpoint"] is False and "checkpoint is kept" not in json.dumps(final.data)
    assert last_checkpoint(run.run_dir) is None
    assert not (Path(run.run_dir) / "adapters" / "adapters.safetensors").exists()


async def _drain(updates: asyncio.Queue):
    while not updates.empty():
        yield updates.get_nowait()


def test_session_timing_reads_the_latest_session(tmp_path: Path) -> None:
    path = tmp_path / "progress.jsonl"
    lines = [("config", 100.0, None), ("train", 110.0, 5), ("stopped", 111.0, 5),  # an older worker: no loading
             ("loading", 200.0, 5), ("config", 203.0, None), ("train", 210.0, 10), ("train", 220.0, 15)]
    path.write_text("".join(json.dumps({"event": kind, "time": when, **({"iteration": it} if it else {})}) + "\n"
                            for kind, when, it in lines))
    started, reports = session_timing(path)
    assert started == 200.0 and reports == [(210.0, 10), (220.0, 15)]
    path.write_text("".join(json.dumps({"event": kind, "time": when}) + "\n"
                            for kind, when in (("config", 100.0), ("stopped", 110.0), ("config", 150.0))))
    assert session_timing(path)[0] == 150.0


def test_eval_json_prints_only_json_on_stdout(tmp_path: Path, tiny_model) -> None:
    from tests.fixtures.tiny_model import tiny_chat_dataset

    project = tmp_path / "project"
    env = {**os.environ, **WORKER_ENV, "PYTHONPATH": str(REPO)}
    cli = [sys.executable, "-c", "from core.cli import entry_point; entry_point()", "--project", str(project)]
    subprocess.run(cli + ["books"], env=env, capture_output=True, check=False)  # creates the project
    tiny_chat_dataset(project / "exports" / "tiny" / "mlx-chat", n=24)
    # Max sequence 96 cuts some answers short (not away), so mlx-lm prints its truncation warning while evaluating.
    trained = subprocess.run(cli + ["train", "tiny", "--model", str(tiny_model), "--iters", "4", "--batch", "2",
                                    "--max-seq", "96", "--layers", "-1", "--save-every", "4", "--name", "r",
                                    "--json"], env=env, capture_output=True, text=True, timeout=600)
    assert trained.returncode == 0, trained.stderr
    done = subprocess.run(cli + ["eval", "r", "--json", "--prompts", "1", "--max-tokens", "4"], env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)  # the whole of stdout is one JSON document
    assert report["loss_on"] == "answer tokens" and math.isfinite(report["tuned"]["loss"])
    assert "WARNING" in done.stderr  # mlx-lm's warning went to stderr, not stdout


def test_cli_train_refuses_with_the_count_and_the_fix(project, tiny_model, capsys, monkeypatch) -> None:
    from core.cli import main
    from tests.fixtures.tiny_model import tiny_chat_dataset

    tiny_chat_dataset(project.exports / "tiny" / "mlx-chat", n=24)
    for key, value in WORKER_ENV.items():
        monkeypatch.setenv(key, value)
    code = main(["--project", str(project.root), "train", "tiny", "--model", str(tiny_model), "--iters", "4",
                 "--batch", "2", "--max-seq", "24", "--layers", "-1", "--name", "short"])
    captured = capsys.readouterr()
    err = captured.err
    assert code == 1
    assert "train examples would lose their whole answer at max sequence 24" in err
    assert "Raise Max sequence (--max-seq) to" in err
    assert "failed at iteration 0/4" in captured.out
    assert "resume with" not in captured.out + err  # a resume would be refused the same way


@pytest.mark.parametrize("valid_rows, why", [
    (None, "no validation: the build has no valid split"),
    (1, "no validation: the valid split has 1 examples, fewer than the batch size 2"),
])
def test_a_build_without_a_usable_valid_split_trains_and_says_why_there_is_no_val(
        training_project, tiny_model, tmp_path, valid_rows, why) -> None:
    """A build exported with --valid 0 (or too few valid rows) trains; the config line says why val stays "-"."""
    import shutil

    from core.commands.training import ProgressBar
    from core.training.runner import RunUpdate
    from tui.widgets.train_history import log_lines

    project, db, data_dir = training_project
    folder = tmp_path / f"valid-{valid_rows}"
    folder.mkdir()
    for split in ("train", "test"):
        shutil.copy(data_dir / f"{split}.jsonl", folder / f"{split}.jsonl")
    if valid_rows is not None:
        lines = (data_dir / "valid.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
        (folder / "valid.jsonl").write_text("".join(lines[:valid_rows]), encoding="utf-8")
    run = create_run(project, db, folder, tiny_model, small_config(iters=2, steps_per_report=1, steps_per_eval=1),
                     name=f"no-valid-{valid_rows}")
    finished = _run(project, db, run)
    assert finished.status == "done", finished.error
    events = read_all(Path(run.run_dir) / "progress.jsonl")
    config = next(e for e in events if e.event == "config")
    assert config.data["no_validation"] == why and config.data["n_valid"] == 0
    assert not any(e.event == "val" for e in events) and finished.last_val_loss is None
    assert log_lines(config)[0].endswith(f"; {why}")  # the studio's live log
    stream = _Stream()
    ProgressBar(stream)(RunUpdate(run.name, config, "running", 0, 2, None, 0.0, 0.0))
    assert f"; {why})" in stream.text  # the command line's


class _Stream:
    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> None:
        self.text += text

    def flush(self) -> None:
        pass


def test_resume_is_offered_only_where_it_can_help() -> None:
    from core.commands.training import resumable

    def run(status: str, *kinds: str) -> Run:
        return Run(name="r", status=status, events=[{"event": kind} for kind in kinds])

    assert resumable(run("stopped", "config", "train", "stopped"))
    assert resumable(run("failed", "config", "train", "failed"))  # killed or out of memory: resume continues
    assert not resumable(run("failed", "loading", "error"))  # refused before training: the same again
    assert not resumable(run("failed", "config", "train", "error"))  # NaN or a reported error
    assert not resumable(run("done", "config", "train", "done"))


def test_the_command_line_shows_a_validation_at_its_own_iteration() -> None:
    """mlx-lm validates before step 10 (iteration 9) while the last train report was at 5: the line says 9/20."""
    from core.commands.training import ProgressBar
    from core.training.runner import RunUpdate

    stream = _Stream()
    bar = ProgressBar(stream)
    bar(RunUpdate("r", ProgressEvent("val", {"iteration": 9, "val_loss": 6.74}, 0.0), "running", 5, 20, 6.0, 1.0, 1.0))
    assert "] 9/20 val 6.740 ETA 6s" in stream.text
