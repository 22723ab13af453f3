"""Evaluation fixtures: adapters for the tiny model without training (random LoRA weights), a project
whose runs point at them, and the worker environment.

WHY random LoRA weights: the answer cache, the arena and the judge need two distinct models with real
adapter files; training one takes many seconds, while LoRA layers with a random B matrix make a
different model in a fraction of one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import pytest

from core.project import Project, open_project
from store.database import Database
from store.records import Run

WORKER_ENV = {"MLX_DISABLE_COMPILE": "1"}


def make_adapters(model_dir: Path, dest: Path, seed: int) -> Path:
    """An adapters folder (adapters.safetensors + adapter_config.json) of random LoRA weights."""
    import mlx.core as mx
    from mlx.utils import tree_flatten, tree_map
    from mlx_lm.tuner.utils import linear_to_lora_layers
    from mlx_lm.utils import load

    model = load(str(model_dir))[0]
    model.freeze()
    params = {"rank": 4, "scale": 10.0, "dropout": 0.0}
    linear_to_lora_layers(model, 2, params)
    mx.random.seed(seed)
    model.update(tree_map(lambda w: mx.random.normal(w.shape) * 0.05, model.trainable_parameters()))
    dest.mkdir(parents=True, exist_ok=True)
    mx.save_safetensors(str(dest / "adapters.safetensors"), dict(tree_flatten(model.trainable_parameters())))
    (dest / "adapter_config.json").write_text(json.dumps({
        "fine_tune_type": "lora", "num_layers": 2, "lora_parameters": params, "model": str(model_dir)}),
        encoding="utf-8")
    return dest


@pytest.fixture(scope="session")
def eval_project(tmp_path_factory: pytest.TempPathFactory, tiny_model: Path) -> Iterator[tuple[Project, Database]]:
    """A project with two runs ("stage-200", "stage-500") whose adapters differ, on the tiny model."""
    project = open_project(tmp_path_factory.mktemp("evaluation") / "project")
    db = Database(project.db_path)
    for index, name in enumerate(("stage-200", "stage-500")):
        make_adapters(tiny_model, project.runs / name / "adapters", seed=index + 1)
        db.runs.add(Run(name=name, build="staged", base_model=str(tiny_model), run_dir=str(project.runs / name),
                        status="done", config={"model_path": str(tiny_model)}))
    yield project, db
    db.close()
