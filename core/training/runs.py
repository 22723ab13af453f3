"""Runs as records and folders: create one, find one, and fold its progress file into its record.

WHY every run folder comes from `run_folder`: a run's name comes from outside (`--name`, a record in the
database), and `train --name ../../x` once created folders outside `runs/`.  Each write and delete in a
run folder goes through `core.paths.inside(project.runs, safe_name(name))`, never through the absolute
path stored in the record (which is kept for display and for reading).
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Optional, Union

from core.dataset.builds import resolve_training_data
from core.errors import UserError
from core.paths import inside, safe_name
from core.project import Project
from core.training.config import TrainingConfig, config_for_method, count_lines
from core.training.progress import ProgressEvent, read_all
from core.training.worker import ADAPTERS_DIR, last_checkpoint
from store.database import Database
from store.records import Run

RECENT_EVENTS = 30
CURVE_POINTS = 300
LOG_TAIL_LINES = 20


class RunNotFound(UserError):
    """No run with that name or id."""


class RunStateError(UserError):
    """The run is in a state that does not allow the action (e.g. resume a running run)."""


def run_folder(project: Project, name: str) -> Path:
    """`runs/NAME`, checked: a plain name that resolves inside the project's runs folder."""
    return inside(project.runs, safe_name(name, "run name"))


def make_run_name(project: Project, label: str) -> str:
    """`<YYYYmmdd-HHMMSS>-<label>`, made unique within runs/ (always a plain name)."""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", label)
    slug = re.sub(r"\.{2,}", ".", slug).strip("-.")[:40] or "run"
    base = f"{time.strftime('%Y%m%d-%H%M%S')}-{slug}"
    name, counter = base, 2
    while (Path(project.runs) / name).exists():
        name, counter = f"{base}-{counter}", counter + 1
    return name


def model_folder(project: Project, model_path: Optional[Union[str, Path]]) -> Path:
    """The local MLX model to train: the one given, else `[training] local_model`; checked to be one."""
    chosen = str(model_path or "").strip() or project.settings.training.local_model
    if not chosen:
        raise UserError("No model given: pass --model PATH (a local MLX model folder) or set [training] "
                        "local_model in interiority.toml.")
    model_dir = Path(chosen).expanduser()
    if not (model_dir / "config.json").is_file():
        raise UserError(f"{model_dir} is not an MLX model folder (no config.json); pick a folder made by "
                        f"`mlx_lm.convert` or downloaded from mlx-community.")
    return model_dir.resolve()


def create_run(project: Project, db: Database, data: Union[str, Path],
               model_path: Optional[Union[str, Path]] = None, config: Optional[TrainingConfig] = None,
               name: Optional[str] = None) -> Run:
    """Write `runs/<name>/config.json` and add a Run record (status "created").

    `data` is a build name, `NAME/stage-N`, or a data folder (`core.dataset.builds.resolve_training_data`);
    `config` holds the hyperparameters (its model_path/data_dir are filled in here; default: LoRA with
    `config.METHOD_DEFAULTS`).  Iterations from epochs are fixed now, from the train split's line count,
    so that a resumed run ends where it was meant to.
    """
    config = config or config_for_method("lora")
    if name is not None:
        safe_name(name, "run name")
    training = resolve_training_data(project, data)
    config.model_path = str(model_folder(project, model_path))
    config.data_dir = str(training.path)
    config.validate()
    config.total_iterations = config.total_iterations or config.resolve_iterations(
        count_lines(training.path / "train.jsonl"))
    name = name or make_run_name(project, training.label)
    if db.runs.by_name(name) is not None:
        raise UserError(f"A run named {name!r} already exists; choose another name.")
    run_dir = run_folder(project, name)
    try:
        run_dir.mkdir(parents=True, exist_ok=False)
    except FileExistsError:
        raise UserError(f"The folder {run_dir} already exists (a run deleted from the database?); choose "
                        f"another name or move that folder away.") from None
    except OSError as exc:
        raise UserError(f"Cannot create the run folder {run_dir}: {exc.strerror or exc}; check the free space "
                        f"and permissions of {project.runs}.") from None
    config.save(run_dir / "config.json")
    run = Run(name=name, build=training.label, base_model=config.model_path, config=config.to_dict(),
              status="created", run_dir=str(run_dir), total_iterations=config.total_iterations)
    return db.runs.add(run)


def find_run(db: Database, name_or_id: Union[str, int]) -> Run:
    """A run by name, id, or "latest"."""
    key = str(name_or_id)
    run = db.runs.latest() if key == "latest" else db.runs.by_name(key)
    if run is None and key.isdigit():
        run = db.runs.find(int(key))
    if run is None:
        names = [r.name for r in db.runs.all()][-5:]
        hint = f" Recent runs: {', '.join(names)}." if names else " There are no runs yet."
        raise RunNotFound(f"No run named {key!r}; `interiority runs` lists them.{hint}")
    return run


def log_tail(run_dir: Union[str, Path], lines: int = LOG_TAIL_LINES) -> str:
    """The last lines of RUN_DIR/worker.log (mlx-lm's output and any traceback)."""
    path = Path(run_dir) / "worker.log"
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 16384))
            text = handle.read().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return ""
    text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)  # rich's colour codes
    return "\n".join(text.splitlines()[-lines:])


# --- the record as a summary of the progress file -----------------------------------------------------

def apply_event(run: Run, event: ProgressEvent) -> None:
    """Fold one progress event into the run's summary fields."""
    data = event.data
    kind = event.event
    if kind == "config":
        run.status = "running"
        run.total_iterations = int(data.get("total_iterations") or run.total_iterations)
        run.iteration = int(data.get("start_iteration") or 0)
        run.error = ""
    elif kind == "loading":
        run.status = "running"
        run.error = ""
    elif kind == "step":
        run.iteration = int(data.get("iteration") or run.iteration)
    elif kind == "stopping":
        run.status = "stopping"
    elif kind == "train":
        run.iteration = int(data["iteration"])
        run.last_train_loss = float(data["loss"])
        run.tokens_per_s = float(data.get("tokens_per_s") or 0.0)
        run.peak_memory_gb = max(run.peak_memory_gb, float(data.get("peak_memory_gb") or 0.0))
        _add_point(run, "train", run.iteration, run.last_train_loss)
    elif kind == "val":
        run.last_val_loss = float(data["val_loss"])
        _add_point(run, "val", int(data["iteration"]), run.last_val_loss)
    elif kind in ("stopped", "done"):
        run.status = "stopped" if kind == "stopped" else "done"
        run.iteration = int(data.get("iteration") or run.iteration)
    elif kind in ("error", "failed"):
        run.status = "failed"
        suggestion = data.get("suggestion") or ""
        run.error = f"{data.get('message', 'The worker failed.')} {suggestion}".strip()
    compact = {k: v for k, v in event.to_dict().items() if k not in ("settings", "traceback")}
    run.events = (run.events + [compact])[-RECENT_EVENTS:]


def _add_point(run: Run, curve: str, iteration: int, value: float) -> None:
    points = run.curves.setdefault(curve, [])
    # A resumed run replays iterations after its checkpoint: drop the stale tail first.
    while points and points[-1][0] >= iteration:
        points.pop()
    points.append([iteration, round(value, 5)])
    if len(points) > CURVE_POINTS:
        # Halve the older points, keep the latest exact: the chart keeps its shape at bounded size.
        run.curves[curve] = points[:-1:2] + [points[-1]]


def refresh_run(db: Database, run: Run) -> Run:
    """Rebuild the run's summary from its progress file (after a restart, or for `runs`)."""
    events = read_all(Path(run.run_dir) / "progress.jsonl")
    if not events:
        return run
    status_before = run.status
    run.events, run.curves, run.peak_memory_gb = [], {}, 0.0
    for event in events:
        apply_event(run, event)
    if status_before == "stopping" and run.status == "running":
        run.status = "stopping"
    return db.runs.save(run)


def session_timing(progress: Path, samples: int = 12) -> tuple[Optional[float], list[tuple[float, int]]]:
    """When the file's latest session began (its "loading", else its "config" event) and its last train reports.

    WHY: a studio that re-attaches to a running run must show its elapsed time and ETA at once, not "?".
    """
    started: Optional[float] = None
    reports: list[tuple[float, int]] = []
    loading_open = False  # a "loading" event began this session; its "config" does not begin another
    for event in read_all(progress):
        if event.event == "loading" or (event.event == "config" and not loading_open):
            started, reports = event.time, []
            loading_open = event.event == "loading"
        elif event.event == "train" and event.iteration is not None:
            reports.append((event.time, event.iteration))
        if event.terminal or event.event == "config":
            loading_open = False
    return started, reports[-samples:]


def trained_tokens_at(run_dir: Path, iteration: int) -> int:
    """Tokens trained up to `iteration` (read from the progress file), for a resume's running total."""
    tokens = 0
    for event in read_all(run_dir / "progress.jsonl"):
        if event.event == "train" and int(event.data.get("iteration", 0)) <= iteration:
            tokens = int(event.data.get("trained_tokens") or 0)
    return tokens
