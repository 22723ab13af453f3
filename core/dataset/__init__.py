"""Dataset builds: mixes, dedup, leakage-safe splits, staged sizes, exports in every format, the card.

Public API (headless; the CLI and the Build screen call these):
    build_dataset(project, db, spec, progress=None) -> BuildResult
    preview_mix(project, db, spec) -> MixPreview
    list_builds(project) -> list[BuildSummary]
    data_dir(project, name, fmt="mlx-chat", stage=None) -> Path
"""

from core.dataset.build import BuildResult, EmptyBuildError, StageResult, build_dataset
from core.dataset.builds import BuildNotFoundError, BuildSummary, data_dir, list_builds
from core.dataset.formats import ALL_FORMATS, MLX_FORMATS, parse_formats
from core.dataset.general import GeneralDataError, load_general
from core.dataset.mix import METHOD_MIX, Mix, MixError, apportion, resolve_mix
from core.dataset.preview import MixPreview, preview_mix
from core.dataset.select import Shortfall
from core.dataset.spec import BuildSpec, BuildSpecError

__all__ = [
    "ALL_FORMATS", "MLX_FORMATS", "METHOD_MIX", "BuildNotFoundError", "BuildResult", "BuildSpec", "BuildSpecError",
    "BuildSummary", "EmptyBuildError", "GeneralDataError", "Mix", "MixError", "MixPreview", "Shortfall",
    "StageResult", "apportion", "build_dataset", "data_dir", "list_builds", "load_general", "parse_formats",
    "preview_mix", "resolve_mix",
]
