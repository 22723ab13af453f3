"""What to build: `BuildSpec`, and the same spec with every default taken from the settings."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Optional, Union

from core.dataset.formats import ALL_FORMATS, parse_formats
from core.dataset.mix import Mix, resolve_mix
from core.dataset.split import GROUP_BY, SplitError, check_ratios
from core.errors import UserError
from core.settings import Settings

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")


class BuildSpecError(UserError):
    """A build name, size or option that cannot be used."""


@dataclass
class BuildSpec:
    """A dataset build request.  None means "the project's setting" (see `resolve`).

    size: book examples wanted (None: every example of the mix's groups).
    stages: nested sizes (e.g. [200, 500, 1000]); when given, `size` is ignored and each
        stage is written to `exports/NAME/stage-SIZE/`.
    mix: "method", "balanced", a path to a TOML mix file, or a `Mix`.
    general_path / general_ratio: a JSONL file of general instruction data and its share of the build.
    persona: an optional short line given to the student as a system turn in every book row ("" or None:
        no system turn).  Never the teacher's instructions: a multi-line or long text is refused.
    reshuffle: plan the splits afresh, ignoring the splits earlier builds gave (the split ledger), and
        record this build's instead (`interiority export --reshuffle`).
    """

    name: str
    size: Optional[int] = None
    stages: list[int] = field(default_factory=list)
    mix: Union[str, Path, Mix] = "balanced"
    formats: Union[str, tuple[str, ...]] = ALL_FORMATS  # "all", "a,b" or names (`parse_formats`)
    general_path: Optional[Path] = None
    general_ratio: Optional[float] = None
    valid_ratio: Optional[float] = None
    test_ratio: Optional[float] = None
    seed: Optional[int] = None
    group_by: str = "passage"
    near_dedup: bool = True
    near_duplicate_ratio: Optional[float] = None
    tokenizer_model: Optional[str] = None
    overwrite: bool = False
    persona: Optional[str] = None
    reshuffle: bool = False

    def resolve(self, settings: Settings) -> "ResolvedSpec":
        """Fill defaults from the settings and check every value; raises BuildSpecError."""
        if not _NAME.match(self.name or ""):
            raise BuildSpecError(f"Build name {self.name!r} must be 1-80 letters, digits, '.', '_' or '-', "
                                 f"starting with a letter or digit (it becomes a folder name).")
        sizes = sorted(set(int(s) for s in self.stages))
        if self.stages and len(sizes) != len(self.stages):
            raise BuildSpecError(f"Stage sizes repeat ({self.stages}); give each size once, e.g. 200,500,1000.")
        for value in sizes + ([self.size] if self.size is not None else []):
            if value <= 0:
                raise BuildSpecError(f"Sizes must be positive whole numbers, got {value}.")
        if self.group_by not in GROUP_BY:
            raise BuildSpecError(f"group_by must be passage or book, got {self.group_by!r}.")
        dataset = settings.dataset
        general_ratio = dataset.general_ratio if self.general_ratio is None else float(self.general_ratio)
        if not 0.0 <= general_ratio <= 0.9:
            raise BuildSpecError(f"The general-data ratio must be between 0 and 0.9, got {general_ratio}; "
                                 f"the method suggests 0.1-0.2.")
        valid = dataset.valid_ratio if self.valid_ratio is None else float(self.valid_ratio)
        test = dataset.test_ratio if self.test_ratio is None else float(self.test_ratio)
        try:
            check_ratios(valid, test)
        except SplitError as exc:
            raise BuildSpecError(str(exc)) from None
        near_ratio = (settings.quality.near_duplicate_ratio if self.near_duplicate_ratio is None
                      else float(self.near_duplicate_ratio))
        tokenizer = dataset.tokenizer_model if self.tokenizer_model is None else self.tokenizer_model
        persona = check_persona(self.persona or "")
        return ResolvedSpec(
            name=self.name, stage_sizes=list[Optional[int]](sizes) if sizes else [self.size],
            staged=bool(sizes), mix=resolve_mix(self.mix), formats=parse_formats(self.formats),
            general_path=Path(self.general_path) if self.general_path else None, general_ratio=general_ratio,
            valid_ratio=valid, test_ratio=test, seed=dataset.seed if self.seed is None else int(self.seed),
            group_by=self.group_by, near_dedup=self.near_dedup, near_duplicate_ratio=near_ratio,
            tokenizer_model=tokenizer or "", overwrite=self.overwrite, persona=persona, reshuffle=bool(self.reshuffle))


MAX_PERSONA_CHARS = 300


def check_persona(text: str) -> str:
    """The persona line, stripped; BuildSpecError when it is a brief rather than a line.

    WHY so strict: the student's system turn is seen at inference too, so it must be what a deployed
    model would be given (one short line), never the teacher's several-thousand-character instructions.
    """
    line = text.strip()
    if "\n" in line or "\r" in line:
        raise BuildSpecError("The persona is one line (it becomes the student's system turn); remove the line breaks.")
    if len(line) > MAX_PERSONA_CHARS:
        raise BuildSpecError(f"The persona is {len(line)} characters; keep it to one line of at most "
                             f"{MAX_PERSONA_CHARS} (it is the student's system turn, not the teacher's instructions).")
    return line


@dataclass
class ResolvedSpec:
    """A spec with nothing left to the settings: what the card records as "the spec used"."""

    name: str
    stage_sizes: list[Optional[int]]
    staged: bool
    mix: Mix
    formats: tuple[str, ...]
    general_path: Optional[Path]
    general_ratio: float
    valid_ratio: float
    test_ratio: float
    seed: int
    group_by: str
    near_dedup: bool
    near_duplicate_ratio: float
    tokenizer_model: str
    overwrite: bool
    persona: str = ""
    reshuffle: bool = False

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["mix"] = self.mix.describe()
        out["general_path"] = str(self.general_path) if self.general_path else None
        out["formats"] = list(self.formats)
        out.pop("overwrite")
        return out
