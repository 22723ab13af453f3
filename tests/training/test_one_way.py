"""One behaviour, one implementation: defaults, data folders (stages included), run names and folders."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from core.cli import build_parser, main
from core.commands.training import config_from_args
from core.dataset import BuildSpec, build_dataset
from core.dataset.builds import resolve_training_data, training_choices
from core.errors import UserError
from core.paths import UnsafePathError
from core.training.config import METHOD_DEFAULTS, METHODS, config_for_method
from core.training.runner import TrainingRunner, create_run
from tests.dataset.synthetic import add_book
from tests.training.conftest import WORKER_ENV, small_config


@pytest.mark.parametrize("method", METHODS)
def test_cli_and_screen_start_from_the_same_defaults(method: str) -> None:
    from tui.screens.train import form_values

    args = build_parser().parse_args(["train", "some-build", "--method", method])
    cli = config_from_args(args)
    assert cli == config_for_method(method)
    for field, value in METHOD_DEFAULTS[method].items():
        assert getattr(cli, field) == value
    # The screen's form shows exactly these values (formatted), so reading it back gives the same config.
    form = form_values(method)
    assert float(form["train-lr"]) == cli.learning_rate and int(form["train-layers"]) == cli.num_layers
    assert int(form["train-iters"]) == cli.iters and int(form["train-batch"]) == cli.batch_size


def test_full_fine_tuning_rate_is_one_value_everywhere() -> None:
    assert METHOD_DEFAULTS["full"]["learning_rate"] == 1e-5
    args = build_parser().parse_args(["train", "b", "--method", "full", "--lr", "3e-6"])
    assert config_from_args(args).learning_rate == 3e-6  # a given value always wins


def _staged_build(project, db) -> None:
    add_book(db, "War and Peace", "Leo Tolstoy", passages=24, per_passage=2)
    add_book(db, "Ideas", "Husserl", group="phenomenology", passages=12, per_passage=2)
    build_dataset(project, db, BuildSpec(name="st", stages=[20, 40], formats=("mlx-chat",), near_dedup=False))


def test_staged_builds_resolve_in_one_place(project, db) -> None:
    _staged_build(project, db)
    assert [c.label for c in training_choices(project)] == ["st/stage-40", "st/stage-20"]
    largest = resolve_training_data(project, "st")
    assert largest.label == "st/stage-40" and largest.path == (project.exports / "st/stage-40/mlx-chat").resolve()
    assert resolve_training_data(project, "st/stage-20").path.parent.name == "stage-20"
    with pytest.raises(UserError, match="no stage 30; its stages are 20, 40"):
        resolve_training_data(project, "st/stage-30")
    with pytest.raises(UserError, match="st/stage-40, st/stage-20"):
        resolve_training_data(project, "nothing-here")


def test_a_staged_build_trains(project, db, tiny_model) -> None:
    _staged_build(project, db)

    async def go():
        runner = TrainingRunner(project, db, env=WORKER_ENV)
        # Max sequence 768: the student prompts of a real build are long, and a shorter one refuses the run.
        run = await runner.begin("st/stage-20", tiny_model, small_config(iters=2, steps_per_report=1,
                                                                          steps_per_eval=2, save_every=2,
                                                                          max_seq_length=768))
        return await runner.wait(run.name)

    run = asyncio.run(go())
    assert run.status == "done", run.error
    assert run.build == "st/stage-20" and run.config["data_dir"].endswith("stage-20/mlx-chat")
    assert run.iteration == 2 and run.last_train_loss is not None
    assert Path(run.run_dir).parent == project.runs.resolve() and "stage-20" in run.name


@pytest.mark.parametrize("name", ["../../x", "/abs/path", "a/b", "..", "x/../../y"])
def test_run_names_cannot_leave_runs(project, db, tiny_model, tmp_path, name: str) -> None:
    data = project.exports / "d" / "mlx-chat"
    data.mkdir(parents=True)
    (data / "train.jsonl").write_text('{"text": "hello there"}\n')
    before = sorted(p for p in tmp_path.rglob("*"))
    with pytest.raises(UnsafePathError, match="run name"):
        create_run(project, db, "d", tiny_model, small_config(), name=name)
    assert sorted(p for p in tmp_path.rglob("*")) == before and db.runs.all() == []


def test_cli_refuses_an_escaping_run_name(project, tiny_model, capsys) -> None:
    data = project.exports / "d" / "mlx-chat"
    data.mkdir(parents=True)
    (data / "train.jsonl").write_text('{"text": "hello there"}\n')
    outside = project.root.parent / "x"
    code = main(["--project", str(project.root), "train", "d", "--model", str(tiny_model), "--iters", "1",
                 "--name", "../../x"])
    assert code == 2 and not outside.exists()
    assert "not a plain name" in capsys.readouterr().err


def test_a_run_folder_left_behind_is_a_sentence(project, db, tiny_model) -> None:
    data = project.exports / "d" / "mlx-chat"
    data.mkdir(parents=True)
    (data / "train.jsonl").write_text('{"text": "hello there"}\n')
    (project.runs / "taken").mkdir(parents=True)
    with pytest.raises(UserError, match="already exists"):
        create_run(project, db, "d", tiny_model, small_config(), name="taken")
