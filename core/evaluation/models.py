"""What a model named on the command line is: base, a run's adapters, a fused model or a path.

Why a fingerprint: cached answers are reused only when the model is really the same.  A run's adapters
are hashed in full (they are small, and a resumed run changes them under the same name); a base or fused
model folder is identified by its resolved path, its config.json and the names and sizes of its weight
files (hashing tens of gigabytes on every comparison would cost minutes).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal, Optional

from core.errors import UserError
from core.project import Project
from store.database import Database

ModelKind = Literal["base", "run", "path"]
ADAPTER_FILE = "adapters.safetensors"  # as core.training.worker writes it


class ModelNotFound(UserError):
    """MODEL is neither `base`, a run, nor a model or adapter folder."""


@dataclass(frozen=True)
class ModelSpec:
    """A model to answer probes: a base folder plus, optionally, adapters on top."""

    label: str  # as the user named it
    kind: ModelKind
    model_path: str
    adapter_path: str  # "" for none (a folder holding adapters.safetensors)
    fingerprint: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def model_fingerprint(model_path: Path, adapter_path: Optional[Path] = None) -> str:
    """A short hash naming exactly this model (and these adapters)."""
    parts: list[str] = [str(model_path.resolve())]
    config = model_path / "config.json"
    parts.append(_sha(config.read_bytes()) if config.is_file() else "no-config")
    for weights in sorted(model_path.glob("*.safetensors")):
        parts.append(f"{weights.name}:{weights.stat().st_size}")
    if adapter_path is not None:
        parts.append(_sha((adapter_path / ADAPTER_FILE).read_bytes()))
        adapter_config = adapter_path / "adapter_config.json"
        if adapter_config.is_file():
            parts.append(_sha(adapter_config.read_bytes()))
    return _sha("\n".join(parts).encode("utf-8"))[:20]


def _is_model(folder: Path) -> bool:
    return (folder / "config.json").is_file()


def _spec(label: str, kind: ModelKind, model_path: Path, adapter_path: Optional[Path]) -> ModelSpec:
    if not _is_model(model_path):
        raise ModelNotFound(f"The base model of {label!r}, {model_path}, is not an MLX model folder (no config.json); "
                            f"put the model back or compare another one.")
    return ModelSpec(label, kind, str(model_path.resolve()), str(adapter_path.resolve()) if adapter_path else "",
                     model_fingerprint(model_path, adapter_path))


def resolve_model(project: Project, db: Database, text: str, other: Optional[str] = None) -> ModelSpec:
    """The model `text` names: "base", a run name, a model folder, a fused model, or an adapters folder.

    "base" is the base model of `other` when that is a run, else `[training] local_model`.
    """
    from core.training.runs import run_folder

    name = text.strip()
    if name == "base":
        base = ""
        if other and other != "base":
            run = db.runs.by_name(other)
            base = run.base_model if run else ""
            if not base and other:
                candidate = Path(other).expanduser()
                adapter_config = candidate / "adapter_config.json"
                if adapter_config.is_file():
                    base = str(json.loads(adapter_config.read_text(encoding="utf-8")).get("model", ""))
        base = base or project.settings.training.local_model
        if not base:
            raise ModelNotFound("'base' needs a base model: compare it with a run, or set [training] local_model "
                                "in interiority.toml.")
        return _spec("base", "base", Path(base).expanduser(), None)
    run = db.runs.by_name(name)
    if run is not None:
        adapters = run_folder(project, run.name) / "adapters"
        if not (adapters / ADAPTER_FILE).is_file():
            raise ModelNotFound(f"Run {run.name} has no adapters yet; train it (or resume it) before comparing it.")
        return _spec(name, "run", Path(run.base_model), adapters)
    path = Path(name).expanduser()
    if _is_model(path):
        return _spec(name, "path", path, None)
    if (path / ADAPTER_FILE).is_file():
        adapter_config = path / "adapter_config.json"
        base = ""
        if adapter_config.is_file():
            base = str(json.loads(adapter_config.read_text(encoding="utf-8")).get("model", ""))
        if not base:
            raise ModelNotFound(f"{path} holds adapters but no adapter_config.json naming their base model.")
        return _spec(name, "path", Path(base), path)
    runs = ", ".join(r.name for r in db.runs.all()[-5:])
    raise ModelNotFound(f"{name!r} is not 'base', a run ({runs or 'no runs yet'}), nor a folder holding an MLX "
                        f"model or adapters; check the name.")
