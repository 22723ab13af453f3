"""Shared pieces for the training tests: a project with the tiny chat data, and a runner factory.

WHY MLX_DISABLE_COMPILE for the worker: on a CPU, mlx compiles each fused kernel
with the system C++ compiler the first time a shape is seen (tens of seconds on a
cold cache); the trained numbers are the same without it, and the benchmark
measures the compiled path.
"""

from __future__ import annotations

import asyncio

import pytest

from core.project import open_project
from core.training.config import TrainingConfig
from tests.fixtures.tiny_model import tiny_chat_dataset

WORKER_ENV = {"MLX_DISABLE_COMPILE": "1"}


def small_config(**overrides) -> TrainingConfig:
    settings = dict(iters=30, batch_size=2, max_seq_length=96, num_layers=-1, learning_rate=2e-3,
                    steps_per_report=5, steps_per_eval=10, val_batches=2, save_every=10, rank=8)
    settings.update(overrides)
    return TrainingConfig(**settings)


@pytest.fixture(scope="session")
def training_project(tmp_path_factory: pytest.TempPathFactory):
    """(project, db, data_dir) shared by the training tests: one Database per project per process."""
    from store import Database

    root = tmp_path_factory.mktemp("training")
    project = open_project(root / "project")
    data_dir = tiny_chat_dataset(root / "data", n=40)
    db = Database(project.db_path)
    yield project, db, data_dir
    db.close()


@pytest.fixture(scope="session")
def finished_run(training_project, tiny_model):
    """One complete 30-iteration run, shared by the checks that read it (and by eval and fuse)."""
    from core.training.runner import TrainingRunner, create_run

    project, db, data_dir = training_project
    received = []

    async def go():
        runner = TrainingRunner(project, db, env=WORKER_ENV)
        runner.add_listener(received.append)
        run = create_run(project, db, data_dir, tiny_model, small_config(), name="full")
        await runner.start(run)
        return await runner.wait(run.name)

    run = asyncio.run(go())
    return run, received
