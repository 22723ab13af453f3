"""Resume restores the optimizer state: the first resumed step equals the uninterrupted one exactly.

WHY this shape: the bug (loss 0.80 -> 3.08 five iterations after a resume) came from Adam's moments starting
at zero.  Training k steps, saving, loading into a fresh model and optimizer and taking step k+1 on the same
batch must give the same weights as taking step k+1 without the interruption; with a fresh optimizer it does
not (the second half of the test shows the check would have caught the bug).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from core.training.config import TrainingConfig
from core.training.optimizer_state import load_optimizer_state, optimizer_file, save_optimizer_state
from core.training.progress import read_all
from core.training.runner import TrainingRunner, create_run
from tests.training.conftest import WORKER_ENV, small_config


def _model_and_optimizer(tiny_model: Path, adapter_file: Path | None = None):
    import mlx.core as mx

    from core.training.worker_setup import build_optimizer, load_model, prepare_model

    config = TrainingConfig(model_path=str(tiny_model), num_layers=1, rank=4, learning_rate=5e-3,
                            resume_adapter_file=str(adapter_file) if adapter_file else None)
    model, _tokenizer, _ = load_model(config)
    mx.random.seed(0)
    prepare_model(model, config)
    return model, build_optimizer(config, 100)


def _step(model, optimizer, batch) -> float:
    import mlx.core as mx
    import mlx.nn as nn
    from mlx_lm.tuner.trainer import default_loss

    (loss, _tokens), grads = nn.value_and_grad(model, default_loss)(model, *batch)
    optimizer.update(model, grads)
    mx.eval(model.parameters(), optimizer.state)
    return float(loss.item())


def _weights(model) -> dict:
    from mlx.utils import tree_flatten

    return dict(tree_flatten(model.trainable_parameters()))


def test_resumed_step_matches_the_uninterrupted_one(tiny_model, tmp_path: Path) -> None:
    import mlx.core as mx

    mx.disable_compile()
    batches = [(mx.array([[1 + i, 5, 9, 13, 17, 21, 25, 29]]), mx.array([[2, 7]])) for i in range(5)]
    model, optimizer = _model_and_optimizer(tiny_model)
    for batch in batches[:4]:
        _step(model, optimizer, batch)
    checkpoint = tmp_path / "0000004_adapters.safetensors"
    mx.save_safetensors(str(checkpoint), _weights(model))
    save_optimizer_state(optimizer, optimizer_file(checkpoint))
    assert optimizer_file(checkpoint).name == "0000004_optimizer.safetensors"
    uninterrupted_loss = _step(model, optimizer, batches[4])
    expected = _weights(model)

    resumed, resumed_optimizer = _model_and_optimizer(tiny_model, checkpoint)
    assert load_optimizer_state(resumed_optimizer, optimizer_file(checkpoint)) > 0
    assert _step(resumed, resumed_optimizer, batches[4]) == pytest.approx(uninterrupted_loss, rel=1e-6)
    got = _weights(resumed)
    assert all(mx.allclose(got[name], expected[name], atol=1e-6).item() for name in expected)

    fresh, fresh_optimizer = _model_and_optimizer(tiny_model, checkpoint)  # the old behaviour
    _step(fresh, fresh_optimizer, batches[4])
    drifted = _weights(fresh)
    assert not all(mx.allclose(drifted[name], expected[name], atol=1e-6).item() for name in expected)


def test_a_resumed_run_loads_the_optimizer_state_of_its_checkpoint(training_project, tiny_model) -> None:
    project, db, data_dir = training_project
    run = create_run(project, db, data_dir, tiny_model, small_config(iters=12, save_every=6, steps_per_report=3),
                     name="opt-resume")

    async def go():
        runner = TrainingRunner(project, db, env=WORKER_ENV, grace_s=20.0)
        updates = runner.queue()
        await runner.start(run)
        while True:
            update = await asyncio.wait_for(updates.get(), 120)
            if update.event.event == "checkpoint":
                break
        await runner.stop(run.name)
        resumed = await runner.resume(run.name)
        return await runner.wait(resumed.name)

    finished = asyncio.run(go())
    assert finished.status == "done", finished.error
    adapters = Path(run.run_dir) / "adapters"
    assert sorted(p.name for p in adapters.glob("*_optimizer.safetensors"))[-1] == "0000012_optimizer.safetensors"
    configs = [e for e in read_all(Path(run.run_dir) / "progress.jsonl") if e.event == "config"]
    assert configs[0].data["optimizer_restored"] is False and configs[-1].data["optimizer_restored"] is True


def test_a_resumed_run_continues_the_uninterrupted_losses(training_project, tiny_model) -> None:
    """Resume from iteration 6 of a 12-iteration run: the reports at 8, 10 and 12 match the run that went on."""
    settings = dict(iters=12, save_every=6, steps_per_report=2, steps_per_eval=100)
    whole, resumed = _whole_and_resumed_at_6(training_project, tiny_model, settings, "whole", "from-6")

    def losses(run) -> dict[int, float]:
        return {e.iteration: e.data["loss"] for e in read_all(Path(run.run_dir) / "progress.jsonl")
                if e.event == "train" and e.iteration > 6}

    expected, got = losses(whole), losses(resumed)
    assert sorted(got) == [8, 10, 12]
    for iteration in got:
        assert got[iteration] == pytest.approx(expected[iteration], rel=1e-3, abs=1e-3), (iteration, got, expected)


def _whole_and_resumed_at_6(training_project, tiny_model, settings: dict, whole_name: str, resumed_name: str):
    """A whole run, and a copy of it resumed from its checkpoint at iteration 6 (the later files removed)."""
    import shutil

    project, db, data_dir = training_project
    whole = create_run(project, db, data_dir, tiny_model, small_config(**settings), name=whole_name)
    asyncio.run(_finish(project, db, whole))
    resumed = create_run(project, db, data_dir, tiny_model, small_config(**settings), name=resumed_name)
    adapters = Path(resumed.run_dir) / "adapters"
    shutil.copytree(Path(whole.run_dir) / "adapters", adapters)
    for late in adapters.glob("00000[1-9]*"):
        late.unlink()
    (adapters / "adapters.safetensors").unlink()
    config = TrainingConfig.load(Path(resumed.run_dir) / "config.json")
    config.start_iteration = 6
    config.resume_adapter_file = str(adapters / "0000006_adapters.safetensors")
    config.save(Path(resumed.run_dir) / "config.json")
    asyncio.run(_finish(project, db, resumed))
    return whole, resumed


async def _finish(project, db, run):
    runner = TrainingRunner(project, db, env=WORKER_ENV, grace_s=20.0)
    await runner.start(run)
    finished = await runner.wait(run.name)
    assert finished.status == "done", finished.error
    return finished


def test_a_resume_continues_the_data_order_across_epochs_with_validation(training_project, tiny_model) -> None:
    """Validation draws its batches from its own seed, so a resume's second epoch is the uninterrupted run's.

    WHY: mlx-lm's validation shuffles with numpy's global generator, the same one that orders each training
    epoch; a resumed session validates at other moments than the uninterrupted run, so (before the fix) its
    second epoch trained on other batches and the losses after 16 iterations (32 rows, batch 2) drifted.
    """
    settings = dict(iters=22, save_every=6, steps_per_report=2, steps_per_eval=4, val_batches=1)
    whole, resumed = _whole_and_resumed_at_6(training_project, tiny_model, settings, "whole-epochs", "epochs-from-6")

    def curves(run) -> tuple[dict[int, float], dict[int, float]]:
        events = read_all(Path(run.run_dir) / "progress.jsonl")
        return ({e.iteration: e.data["loss"] for e in events if e.event == "train" and e.iteration > 6},
                {e.iteration: e.data["val_loss"] for e in events if e.event == "val" and e.iteration > 6})

    (expected, expected_val), (got, got_val) = curves(whole), curves(resumed)
    assert sorted(got) == list(range(8, 23, 2))
    for iteration in got:  # 18, 20 and 22 are in the second epoch
        assert got[iteration] == pytest.approx(expected[iteration], rel=1e-3, abs=1e-3), (iteration, got, expected)
    shared = sorted(set(got_val) & set(expected_val))
    assert shared, (got_val, expected_val)
    for iteration in shared:  # and a validation measures the same batches whenever it runs
        assert got_val[iteration] == pytest.approx(expected_val[iteration], rel=1e-3, abs=1e-3)
