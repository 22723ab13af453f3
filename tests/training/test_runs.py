"""Real worker runs on the tiny model: progress events, loss falling, re-attach, stop/resume, failures."""

from __future__ import annotations

import asyncio
import os
import signal
import shutil
from pathlib import Path

import pytest

from core.errors import UserError
from core.training.progress import read_all
from core.training.runner import TrainingRunner, create_run, last_checkpoint, read_pid, worker_alive
from tests.training.conftest import WORKER_ENV, small_config


def make_runner(project, db) -> TrainingRunner:
    return TrainingRunner(project, db, env=WORKER_ENV, grace_s=20.0)


async def wait_for(updates: asyncio.Queue, predicate, timeout: float = 60.0):
    """The first update matching `predicate` (earlier ones are consumed)."""
    async def scan():
        while True:
            update = await updates.get()
            if predicate(update):
                return update
    return await asyncio.wait_for(scan(), timeout)


def test_run_trains_and_loss_falls(finished_run) -> None:
    run, received = finished_run
    assert run.status == "done", run.error
    assert run.iteration == 30 and run.total_iterations == 30
    events = read_all(Path(run.run_dir) / "progress.jsonl")
    kinds = [e.event for e in events]
    assert kinds[:2] == ["loading", "config"] and kinds[-1] == "done"
    assert {"train", "val", "checkpoint"} <= set(kinds)
    # Each step before the first report (every 5) says so: a slow first report still shows progress.
    assert [e.iteration for e in events if e.event == "step"] == [1, 2, 3, 4]
    train = [e for e in events if e.event == "train"]
    assert [e.iteration for e in train] == [5, 10, 15, 20, 25, 30]
    assert train[-1].data["loss"] < train[0].data["loss"] - 0.3
    for field in ("learning_rate", "it_per_s", "tokens_per_s", "trained_tokens", "peak_memory_gb"):
        assert train[-1].data[field] > 0
    assert [e.iteration for e in events if e.event == "checkpoint"] == [10, 20, 30]
    adapters = Path(run.run_dir) / "adapters"
    assert (adapters / "adapters.safetensors").is_file() and (adapters / "adapter_config.json").is_file()
    assert last_checkpoint(run.run_dir)[0] == 30
    # The record is a summary: latest figures and curves, every event reached the listener.
    assert run.last_train_loss == pytest.approx(train[-1].data["loss"], rel=1e-4)
    assert [p[0] for p in run.curves["train"]] == [5, 10, 15, 20, 25, 30]
    assert [u.event.event for u in received] == kinds
    latencies = [u.received - u.event.time for u in received]
    assert max(latencies) < 0.25, latencies


def test_reattach_after_ui_restart_rebuilds_the_record(finished_run, training_project) -> None:
    project, db, _ = training_project
    run, _ = finished_run
    stored = db.runs.by_name("full")
    stored.curves, stored.events, stored.status = {}, [], "running"  # as if the UI died mid-run
    db.runs.save(stored)

    async def go():
        runner = make_runner(project, db)
        return await runner.attach(db.runs.by_name("full"))

    again = asyncio.run(go())
    assert again.status == "done" and again.curves == run.curves and again.iteration == 30


def test_worker_survives_ui_close_then_stop_and_resume_continue_iterations(training_project, tiny_model) -> None:
    project, db, data_dir = training_project
    run = create_run(project, db, data_dir, tiny_model,
                     small_config(iters=24, steps_per_report=2, save_every=6, lr_schedule="cosine", warmup=4),
                     name="stop-resume")

    async def go():
        first = make_runner(project, db)
        updates = first.queue()
        await first.start(run)
        await wait_for(updates, lambda u: u.event.event == "train" and u.iteration >= 4)
        await first.close()  # the UI goes away; the worker must keep training
        pid = read_pid(run.run_dir)
        assert worker_alive(pid, run.run_dir)

        second = make_runner(project, db)  # the UI comes back
        updates = second.queue()
        attached = await second.attach(db.runs.by_name("stop-resume"))
        assert attached.status == "running"
        await wait_for(updates, lambda u: u.event.event == "train" and u.iteration >= 8)
        stopped = await second.stop("stop-resume")
        assert stopped.status == "stopped", stopped.error
        stop_iteration = stopped.iteration
        assert 8 <= stop_iteration < 24
        assert last_checkpoint(run.run_dir)[0] == stop_iteration
        assert not worker_alive(pid, run.run_dir)

        resumed = await second.resume("stop-resume")
        config_update = await wait_for(updates, lambda u: u.event.event == "config")
        assert config_update.event.data["start_iteration"] == stop_iteration
        first_train = await wait_for(updates, lambda u: u.event.event == "train")
        assert first_train.iteration > stop_iteration
        finished = await second.wait(resumed.name)
        return stop_iteration, finished

    stop_iteration, finished = asyncio.run(go())
    assert finished.status == "done" and finished.iteration == 24
    events = read_all(Path(finished.run_dir) / "progress.jsonl")
    assert [e.event for e in events].count("stopped") == 1
    iterations = [p[0] for p in finished.curves["train"]]
    assert iterations == sorted(set(iterations)) and iterations[-1] == 24
    # The schedule continued: the resumed run's first learning rate follows the cosine decay, not warm-up.
    resumed_train = [e for e in events if e.event == "train" and e.iteration > stop_iteration]
    assert resumed_train[0].data["learning_rate"] < small_config().learning_rate
    assert resumed_train[0].data["trained_tokens"] > 0
    assert finished.config["start_iteration"] == stop_iteration


def test_sigkilled_worker_is_a_failed_run_with_its_log(training_project, tiny_model) -> None:
    project, db, data_dir = training_project
    run = create_run(project, db, data_dir, tiny_model, small_config(iters=200, steps_per_report=1), name="killed")

    async def go():
        runner = make_runner(project, db)
        updates = runner.queue()
        await runner.start(run)
        await wait_for(updates, lambda u: u.event.event == "train")
        os.kill(read_pid(run.run_dir), signal.SIGKILL)
        return await runner.wait(run.name)

    failed = asyncio.run(go())
    assert failed.status == "failed"
    assert "SIGKILL" in failed.error and "memory" in failed.error
    last = read_all(Path(run.run_dir) / "progress.jsonl")[-1]
    assert last.event == "failed" and last.data["exit_code"] == -9
    assert "train" in last.data["log_tail"]  # mlx-lm's own output, captured in worker.log


def test_broken_dataset_line_fails_naming_the_line(training_project, tiny_model, tmp_path: Path) -> None:
    project, db, data_dir = training_project
    broken = tmp_path / "broken"
    shutil.copytree(data_dir, broken)
    lines = (broken / "train.jsonl").read_text().splitlines()
    lines[4] = lines[4][:-5]  # cut the closing braces off line 5
    (broken / "train.jsonl").write_text("\n".join(lines) + "\n")
    run = create_run(project, db, broken, tiny_model, small_config(), name="broken")

    async def go():
        runner = make_runner(project, db)
        await runner.start(run)
        return await runner.wait(run.name)

    failed = asyncio.run(go())
    assert failed.status == "failed"
    assert "train.jsonl line 5 is not valid JSON" in failed.error


def test_missing_model_folder(training_project, tiny_model, tmp_path: Path) -> None:
    project, db, data_dir = training_project
    with pytest.raises(UserError, match="not an MLX model folder"):
        create_run(project, db, data_dir, tmp_path / "nowhere", small_config())
    # A model folder that disappears after the run was created fails in the worker with a clear message.
    copy = tmp_path / "model"
    shutil.copytree(tiny_model, copy)
    run = create_run(project, db, data_dir, copy, small_config(), name="gone")
    shutil.rmtree(copy)

    async def go():
        runner = make_runner(project, db)
        await runner.start(run)
        return await runner.wait(run.name)

    failed = asyncio.run(go())
    assert failed.status == "failed" and "does not exist" in failed.error
    error = read_all(Path(run.run_dir) / "progress.jsonl")[-1]
    assert error.event == "error" and error.data["suggestion"]


def test_a_finished_run_calibrates_the_planner(finished_run, training_project) -> None:
    import json

    from core.planner import load_calibration

    project, _, _ = training_project
    run, _ = finished_run
    path = project.runs / "calibration.jsonl"
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    mine = [line for line in lines if line["run"] == run.name]
    assert len(mine) == 1
    assert mine[0]["framework"] == "mlx" and mine[0]["tokens_per_s"] > 0 and mine[0]["peak_gib"] > 0
    assert mine[0]["seq"] == 96 and mine[0]["batch"] == 2
    calibration = load_calibration(project.runs)
    assert any(point.source == "project runs" for point in calibration.points)
    from core.planner import this_machine

    assert this_machine().key in calibration.speed_correction


def test_a_run_heard_done_twice_is_recorded_once(finished_run, training_project) -> None:
    """`interiority train` and a studio that re-attached both follow a run: both hear its "done"."""
    import json

    from core.training.calibrate import calibrate_from_run

    project, _, _ = training_project
    run, _ = finished_run
    path = project.runs / "calibration.jsonl"
    before = path.read_text(encoding="utf-8")
    try:
        path.write_text('{"run": "torn\n' + before, encoding="utf-8")  # a line cut by a crash is skipped
        assert calibrate_from_run(project, run) is None
        names = [json.loads(line).get("run") for line in path.read_text().splitlines()[1:]]
        assert names.count(run.name) == 1
    finally:
        path.write_text(before, encoding="utf-8")  # the shared project's file as the other tests expect it
