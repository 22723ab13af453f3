"""The builds already in a project's `exports/`, read from their cards (for `interiority builds` and the screen)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from core.dataset.formats import ALL_FORMATS
from core.errors import UserError


class BuildNotFoundError(UserError):
    """A build name with no card in exports/."""


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


def read_card(folder: Path) -> Optional[dict[str, Any]]:
    try:
        return json.loads((folder / "card.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def summary_from_card(folder: Path, card: dict[str, Any]) -> BuildSummary:
    stages = [{"size": s.get("size"), "path": str((folder / s.get("path", ".")).resolve()),
               "examples": s.get("stats", {}).get("examples", 0), "by_split": s.get("stats", {}).get("by_split", {})}
              for s in card.get("stages", [])]
    spec = card.get("spec", {})
    return BuildSummary(name=card.get("name", folder.name), path=folder, built_at=card.get("built_at", ""),
                        staged=bool(card.get("staged")), stages=stages,
                        formats=list(spec.get("formats", [])), mix=spec.get("mix", {}).get("name", ""))


def list_builds(project) -> list[BuildSummary]:  # project: core.project.Project
    """Every build with a readable card, newest first."""
    out = []
    if not project.exports.exists():
        return out
    for folder in project.exports.iterdir():
        if folder.name.startswith(".") or not folder.is_dir():
            continue
        card = read_card(folder)
        if card is not None:
            out.append(summary_from_card(folder, card))
    return sorted(out, key=lambda b: (b.built_at, b.name), reverse=True)


def data_dir(project, name: str, fmt: str = "mlx-chat", stage: Optional[int] = None) -> Path:
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
    stages = card.get("stages", [])
    if card.get("staged"):
        sizes = [s.get("size") for s in stages]
        if stage is None:
            stage = max(sizes)
        if stage not in sizes:
            raise BuildNotFoundError(f"Build {name} has no stage {stage}; its stages are {', '.join(map(str, sizes))}.")
        folder = folder / f"stage-{stage}"
    if fmt not in card.get("spec", {}).get("formats", []):
        raise BuildNotFoundError(f"Build {name} was exported without {fmt}; rebuild it with --format {fmt}.")
    return folder / fmt
