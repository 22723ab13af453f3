"""Fast checks of the training package's pure parts (no worker, no mlx)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.errors import UserError
from core.training.config import TrainingConfig, TrainingConfigError
from core.training.datasets import DatasetLineError, read_rows
from core.training.evaluate import distinct_n, opening_share, warning_signs
from core.training.progress import ProgressReader, ProgressWriter
from core.dataset.builds import resolve_training_data
from core.training.runner import apply_event
from core.training.progress import ProgressEvent
from store.records import Run


def test_iterations_from_epochs_round_up() -> None:
    config = TrainingConfig(epochs=1.5, batch_size=4).validate()
    assert config.resolve_iterations(10) == 4  # ceil(1.5 * 10 / 4)
    assert TrainingConfig(iters=7).resolve_iterations(1000) == 7


@pytest.mark.parametrize("field,value", [("rank", 0), ("dropout", 1.0), ("method", "qlora"), ("batch_size", 0)])
def test_bad_settings_name_the_setting(field: str, value: object) -> None:
    config = TrainingConfig(iters=10)
    setattr(config, field, value)
    with pytest.raises(TrainingConfigError, match=field if field != "method" else "method"):
        config.validate()


def test_warmup_schedule_config() -> None:
    schedule = TrainingConfig(iters=100, learning_rate=1e-4, lr_schedule="cosine", warmup=10).lr_schedule_config(100)
    assert schedule == {"name": "cosine_decay", "arguments": [1e-4, 90, 1e-5], "warmup": 10}
    assert TrainingConfig(iters=100).lr_schedule_config(100) is None


def test_config_round_trip(tmp_path: Path) -> None:
    config = TrainingConfig(iters=5, total_iterations=5, start_iteration=3, resume_adapter_file="x")
    config.save(tmp_path / "config.json")
    assert TrainingConfig.load(tmp_path / "config.json") == config


@pytest.mark.parametrize("text", ["[1, 2]", "7", "null", "{\"iters\": "])
def test_a_hand_broken_run_config_is_one_sentence(tmp_path: Path, text: str) -> None:
    from core.training.config import TrainingConfigError

    (tmp_path / "config.json").write_text(text, encoding="utf-8")
    with pytest.raises(TrainingConfigError, match=r"The run config .*config\.json .*; create the run again\."):
        TrainingConfig.load(tmp_path / "config.json")


def test_reader_keeps_partial_lines_until_complete(tmp_path: Path) -> None:
    path = tmp_path / "progress.jsonl"
    writer = ProgressWriter(path)
    writer.emit("train", iteration=1, loss=2.0)
    with open(path, "a") as handle:
        handle.write('{"event": "val", "iteration": 1, "val_l')
    reader = ProgressReader(path)
    assert [e.event for e in reader.read_new()] == ["train"]
    with open(path, "a") as handle:
        handle.write('oss": 1.5}\n')
    events = reader.read_new()
    assert [e.event for e in events] == ["val"] and events[0].data["val_loss"] == 1.5
    # A second reader from the saved offset continues without repeats.
    writer.emit("done", iteration=1)
    assert [e.event for e in ProgressReader(path, reader.offset).read_new()] == ["done"]


def test_bad_dataset_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "train.jsonl"
    good = json.dumps({"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]})
    path.write_text(good + "\n" + good + "\n{not json\n")
    with pytest.raises(DatasetLineError, match=r"train.jsonl line 3 is not valid JSON"):
        read_rows(path)
    path.write_text(good + "\n" + json.dumps({"messages": [{"role": "user"}]}) + "\n")
    with pytest.raises(DatasetLineError, match=r"line 2 has message 1 without"):
        read_rows(path)


def test_curves_drop_replayed_iterations_after_resume() -> None:
    run = Run(name="r")
    for iteration, loss in [(5, 3.0), (10, 2.5), (15, 2.2), (10, 2.4), (15, 2.1)]:
        apply_event(run, ProgressEvent("train", {"iteration": iteration, "loss": loss}))
    assert run.curves["train"] == [[5, 3.0], [10, 2.4], [15, 2.1]]
    apply_event(run, ProgressEvent("error", {"message": "boom.", "suggestion": "Fix it."}))
    assert run.status == "failed" and run.error == "boom. Fix it."


def test_warning_signs_catch_formulaic_samples() -> None:
    formulaic = ["As I sit here I feel the weight of it all"] * 4
    signs = warning_signs(formulaic)
    assert signs["top_opening_share"] == 1.0 and signs["distinct_2"] < 0.5
    assert len(signs["warnings"]) >= 2
    varied = ["the cat sat", "a dog ran far", "my own thoughts wander off"]
    assert distinct_n(varied, 1) == 1.0 and opening_share(varied)[1] == pytest.approx(1 / 3)
    assert warning_signs(varied)["warnings"] == []


def test_data_argument_resolves_export_names(project) -> None:
    chat = project.exports / "mybuild" / "mlx-chat"
    chat.mkdir(parents=True)
    (chat / "train.jsonl").write_text("{}\n")
    assert resolve_training_data(project, "mybuild").path == chat.resolve()
    with pytest.raises(UserError, match="mybuild"):
        resolve_training_data(project, "nope")
