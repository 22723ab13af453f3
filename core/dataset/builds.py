"""The builds in a project's `exports/` and where their data lies: the one place that knows the layout.

`interiority builds`, the Build screen, `interiority train`, the Train screen and the training runner
all find a build's files here, so a staged build's `stage-N/` folders are found by every one of them
(they once each guessed, and only some knew about stages).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Union

from core.dataset.formats import ALL_FORMATS
from core.errors import UserError
from core.project import Project

TRAINING_FORMAT = "mlx-chat"  # what the local trainer reads
STAGE_PREFIX = "stage-"


class BuildNotFoundError(UserError):
    """A build name with no card in exports/, or a stage or format the build does not have."""


class DataNotFound(BuildNotFoundError):
    """A training DATA argument that names neither a build (or one of its stages) nor a data folder."""


@dataclass
class BuildSummary:
    name: str
    path: Path
    built_at: str
    staged: bool
    stages: list[dict[str, Any]]  # size, path, examples, by_split
    formats: list[str]
    mix: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "path": str(self.path), "built_at": self.built_at, "staged": self.staged,
                "stages": self.stages, "formats": self.formats, "mix": self.mix}


@dataclass(frozen=True)
class TrainingData:
    """A folder holding `train.jsonl` (and usually `valid.jsonl`, `test.jsonl`) and what to call it.

    `label` is what a run records as its build: `NAME`, `NAME/stage-N`, or the folder's name.
    """

    label: str
    path: Path


def read_card(folder: Path) -> Optional[dict[str, Any]]:
    """A build's card.json with the fields the studio reads in their shapes, or None when it is not a card.

    WHY clean it here: the card is a file in the project a person may edit by hand; a stage that is not an
    object, or a spec that is a list, must not crash the Build, Train and Plan screens' lists.
    """
    try:
        card = json.loads((folder / "card.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    return _clean_card(card) if isinstance(card, dict) else None


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _clean_card(card: dict[str, Any]) -> dict[str, Any]:
    out = dict(card)
    stages = []
    listed = card.get("stages")
    for stage in listed if isinstance(listed, list) else []:
        if not isinstance(stage, dict):
            continue
        stage = dict(stage)
        stage["stats"] = _mapping(stage.get("stats"))
        if not isinstance(stage.get("path", "."), str):
            stage["path"] = "."
        if not isinstance(stage.get("size"), (int, type(None))) or isinstance(stage.get("size"), bool):
            stage["size"] = None
        stages.append(stage)
    out["stages"] = stages
    spec = dict(_mapping(card.get("spec")))
    formats = spec.get("formats")
    spec["formats"] = [f for f in formats if isinstance(f, str)] if isinstance(formats, list) else []
    spec["mix"] = _mapping(spec.get("mix"))
    out["spec"] = spec
    for key in ("name", "built_at"):
        if key in out and not isinstance(out[key], str):
            out.pop(key)
    return out


def summary_from_card(folder: Path, card: dict[str, Any]) -> BuildSummary:
    stages = [{"size": s.get("size"), "path": str((folder / s.get("path", ".")).resolve()),
               "examples": _count(s["stats"].get("examples")),
               "by_split": {str(k): _count(v) for k, v in _mapping(s["stats"].get("by_split")).items()}}
              for s in card.get("stages", [])]
    spec = card.get("spec", {})
    return BuildSummary(name=card.get("name", folder.name), path=folder, built_at=card.get("built_at", ""),
                        staged=bool(card.get("staged")), stages=stages,
                        formats=list(spec.get("formats", [])), mix=spec.get("mix", {}).get("name", ""))


def list_builds(project: Project) -> list[BuildSummary]:
    """Every build with a readable card, newest first."""
    out: list[BuildSummary] = []
    if not project.exports.exists():
        return out
    for folder in project.exports.iterdir():
        if folder.name.startswith(".") or not folder.is_dir():
            continue
        card = read_card(folder)
        if card is not None:
            out.append(summary_from_card(folder, card))
    return sorted(out, key=lambda b: (b.built_at, b.name), reverse=True)


def _stage_sizes(card: dict[str, Any]) -> list[int]:
    return [int(s["size"]) for s in card.get("stages", []) if isinstance(s.get("size"), int)]


def data_dir(project: Project, name: str, fmt: str = TRAINING_FORMAT, stage: Optional[int] = None) -> Path:
    """The folder holding `{train,valid,test}.jsonl` of one format of a build (or of one of its stages).

    For a staged build without `stage`, the largest stage.  Raises BuildNotFoundError.
    """
    if fmt not in ALL_FORMATS:
        raise BuildNotFoundError(f"Unknown format {fmt}; choose from {', '.join(ALL_FORMATS)}.")
    folder = project.exports / name
    card = read_card(folder)
    if card is None:
        raise BuildNotFoundError(f"No dataset build named {name} in {project.exports}; "
                                 f"run `interiority export {name}` first (or `interiority builds` to list them).")
    if card.get("staged"):
        sizes = _stage_sizes(card)
        if stage is None:
            if not sizes:
                raise BuildNotFoundError(f"The card of build {name} lists no stages; build it again.")
            stage = max(sizes)
        if stage not in sizes:
            raise BuildNotFoundError(f"Build {name} has no stage {stage}; its stages are {', '.join(map(str, sizes))}.")
        folder = folder / f"{STAGE_PREFIX}{stage}"
    elif stage is not None:
        raise BuildNotFoundError(f"Build {name} is not staged; train on {name} itself.")
    if fmt not in card.get("spec", {}).get("formats", []):
        raise BuildNotFoundError(f"Build {name} was exported without {fmt}; rebuild it with --format {fmt}.")
    return folder / fmt


def training_choices(project: Project) -> list[TrainingData]:
    """What can be trained on, for the Train screen's list: every build with mlx-chat data, each stage
    of a staged build as its own choice (`NAME/stage-N`, largest first), and hand-made folders under
    exports/ holding `mlx-chat/train.jsonl` or `train.jsonl`."""
    out: list[TrainingData] = []
    if not project.exports.is_dir():
        return out
    for folder in sorted(project.exports.iterdir(), key=lambda p: p.name):
        if folder.name.startswith(".") or not folder.is_dir():
            continue
        card = read_card(folder)
        if card is not None and card.get("staged"):
            for size in sorted(_stage_sizes(card), reverse=True):
                path = folder / f"{STAGE_PREFIX}{size}" / TRAINING_FORMAT
                if (path / "train.jsonl").is_file():
                    out.append(TrainingData(f"{folder.name}/{STAGE_PREFIX}{size}", path))
            continue
        for path in (folder / TRAINING_FORMAT, folder):
            if (path / "train.jsonl").is_file():
                out.append(TrainingData(folder.name, path))
                break
    return out


def resolve_training_data(project: Project, data: Union[str, Path]) -> TrainingData:
    """The data folder a run trains on, from what a user typed or picked.

    Accepted, in this order: a build name (its mlx-chat folder; a staged build's largest stage),
    `NAME/stage-N` (one stage of a staged build), then any folder holding `train.jsonl` or
    `mlx-chat/train.jsonl` (an absolute path, or relative to the current folder).  Raises DataNotFound
    with the builds that exist.
    """
    text = str(data)
    name, _, stage_part = text.partition("/")
    for choice in training_choices(project):
        if choice.label == text or (not stage_part and choice.label.split("/")[0] == name
                                    and _is_largest_stage(project, choice)):
            return TrainingData(choice.label, choice.path.resolve())
    if stage_part.startswith(STAGE_PREFIX) and read_card(project.exports / name) is not None:
        digits = stage_part[len(STAGE_PREFIX):]
        stage = int(digits) if digits.isdigit() else -1
        data_dir(project, name, TRAINING_FORMAT, stage)  # raises the precise sentence (no such stage, ...)
    path = Path(text).expanduser()
    for candidate in (path, path / TRAINING_FORMAT):
        if (candidate / "train.jsonl").is_file():
            label = candidate.parent.name if candidate.name == TRAINING_FORMAT else candidate.name
            return TrainingData(label or str(candidate), candidate.resolve())
    available = [choice.label for choice in training_choices(project)]
    hint = f" Builds here: {', '.join(available)}." if available else " There are no builds yet: build one first."
    raise DataNotFound(f"{text!r} is neither a build under exports/ (NAME or NAME/stage-N) nor a folder with "
                       f"train.jsonl.{hint}")


def _is_largest_stage(project: Project, choice: TrainingData) -> bool:
    """For a bare NAME: a plain build's only choice, or the largest stage of a staged one."""
    if "/" not in choice.label:
        return True
    card = read_card(project.exports / choice.label.split("/")[0])
    sizes = _stage_sizes(card) if card else []
    return bool(sizes) and choice.label.endswith(f"/{STAGE_PREFIX}{max(sizes)}")
