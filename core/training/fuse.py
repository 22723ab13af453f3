"""Fuse a run's adapters into a standalone model folder, as `mlx_lm fuse` does (mlx-lm 0.32).

WHY our own function rather than `mlx_lm.fuse.main`: that one parses sys.argv;
the steps below are its body (load with adapters, `fuse()` each adapted layer,
optionally dequantize, `save`), callable from the CLI and the Train screen.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional, Union

from core.errors import UserError
from core.paths import inside
from core.project import Project
from core.training.config import TrainingConfig
from core.training.worker import ADAPTER_FILE, ADAPTERS_DIR
from core.training.runs import run_folder
from store.database import Database
from store.records import Run


def fuse_run(project: Project, db: Database, run: Run, output: Optional[Union[str, Path]] = None,
             dequantize: bool = False) -> Path:
    """Write the fused model to `output` (default RUN_DIR/fused, checked to lie in runs/) and return its path.

    An explicit `output` is the user's own choice of destination (e.g. a models folder outside the
    project); it is never deleted or overwritten: a folder that already holds files is refused.
    """
    from mlx.utils import tree_unflatten
    from mlx_lm.utils import dequantize_model, load, save

    run_dir = run_folder(project, run.name)
    adapter_dir = run_dir / ADAPTERS_DIR
    if not (adapter_dir / ADAPTER_FILE).is_file():
        raise UserError(f"Run {run.name} has no adapters to fuse; train or resume it first.")
    config = TrainingConfig.load(run_dir / "config.json")
    out = Path(output).expanduser() if output else inside(run_dir, "fused")
    if out.exists() and any(out.iterdir()):
        raise UserError(f"{out} already holds files; remove it or pass another --output folder.")
    loaded: Any = load(config.model_path, adapter_path=str(adapter_dir), return_config=True)
    model, tokenizer, model_config = loaded
    fused = [(name, module.fuse(dequantize=dequantize)) for name, module in model.named_modules()
             if hasattr(module, "fuse")]
    if fused:
        model.update_modules(tree_unflatten(fused))
    if dequantize:
        model = dequantize_model(model)
        model_config.pop("quantization", None)
        model_config.pop("quantization_config", None)
    save(out, config.model_path, model, tokenizer, model_config, donate_model=False)
    run.events = (run.events + [{"event": "fused", "path": str(out)}])[-30:]
    db.runs.save(run)
    return out
