"""How many tokens a dataset build puts through the trainer per epoch, read from the build's card.

Which figure, and why: the card's `stats.tokens.by_split.train` of the chosen stage.  The trainer runs the forward
and backward pass over every token of every train row each epoch (user turns, persona line and chat markup
included; mlx-lm's `--mask-prompt` only drops the prompt from the loss, not from the compute), so the train
split's whole token count is what time and cost scale with.  The answer tokens of the card's conversation section
are what the model *learns from*, not what it processes, and they cover every split, so they are reported beside
the figure (as a share) but never used for it; the valid and test splits are only evaluated, a small forward-only
cost that the planner's failed-run overhead already covers.

One implementation for `interiority plan --build` and the Plan screen (and `build_tokens`, which the scale-out
exports and the evaluation's next-step sentence call): they once each read a different number off the card.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from core.dataset.builds import STAGE_PREFIX, TRAINING_FORMAT, list_builds, read_card
from core.paths import inside, is_inside, safe_name
from core.planner.shapes import PlannerError
from core.project import Project

SPLIT = "train"
ESTIMATE_NOTE = "estimate chars/4"
NO_COUNTS_NOTE = "estimate train.jsonl bytes/4: the card has no token counts"


@dataclass(frozen=True)
class BuildTokens:
    """The token count of one build (or one stage of it) and where the number came from.

    `label` is `NAME` for a plain build, `NAME/stage-N` for a stage; `method` is the card's own wording
    ("tokenizer of X (chat template applied)" or "estimate: characters / 4 ..."); `exact` whether a tokenizer
    counted them.
    """

    label: str
    tokens: int
    method: str
    exact: bool
    all_splits: Optional[int] = None
    answer_share: Optional[float] = None

    @property
    def how(self) -> str:
        """The short form of `method` a person reads in a line: "tokenizer of Qwen2.5-7B" or "estimate chars/4"."""
        if self.exact and self.method.startswith("tokenizer of "):
            source = self.method[len("tokenizer of "):].split(" (", 1)[0].rstrip("/")
            return f"tokenizer of {Path(source).name or source}"
        if self.method.startswith("estimate: characters") or self.method == "estimate":
            return ESTIMATE_NOTE
        return self.method

    @property
    def note(self) -> str:
        """What the screen and the CLI print: `build-1: 412,300 tokens (train split, tokenizer of X)`."""
        return f"{self.label}: {self.tokens:,} tokens ({SPLIT} split, {self.how})"

    def to_dict(self) -> dict[str, Any]:
        return {"build": self.label, "tokens": self.tokens, "split": SPLIT, "method": self.method,
                "exact": self.exact, "all_splits": self.all_splits, "answer_share": self.answer_share,
                "note": self.note}


def _stages(card: dict[str, Any]) -> list[dict[str, Any]]:
    stages = card.get("stages")
    return [s for s in stages if isinstance(s, dict)] if isinstance(stages, list) else []


def _stage_of(card: dict[str, Any], stage: Optional[int]) -> Optional[dict[str, Any]]:
    """The card's entry for `stage` (a size), or, with none asked, the largest stage (what training defaults to)."""
    stages = _stages(card)
    if stage is not None:
        return next((s for s in stages if s.get("size") == stage), None)
    if not stages:
        return None
    sized = [s for s in stages if isinstance(s.get("size"), int) and not isinstance(s.get("size"), bool)]
    return max(sized, key=lambda s: int(s["size"])) if sized else stages[-1]


def _mapping(value: Any) -> dict[str, Any]:
    """A card section, or {} where a hand-edited or older card has something else (cards come from disk)."""
    return value if isinstance(value, dict) else {}


def card_tokens(card: dict[str, Any], label: str, stage: Optional[int] = None) -> Optional[BuildTokens]:
    """The train-split tokens of one stage of a card, or None when the card holds no count for it."""
    entry = _stage_of(card, stage)
    if entry is None:
        return None
    stats = _mapping(entry.get("stats"))
    tokens = _mapping(stats.get("tokens"))
    by_split = _mapping(tokens.get("by_split"))
    count = by_split.get(SPLIT)
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        return None
    method = str(tokens.get("method") or "card")
    total = tokens.get("total") if isinstance(tokens.get("total"), int) else None
    share = _mapping(_mapping(stats.get("conversation")).get("tokens")).get("answer_share")
    return BuildTokens(label=label, tokens=count, method=method,
                       exact=bool(tokens.get("exact", method.startswith("tokenizer of "))), all_splits=total,
                       answer_share=float(share) if isinstance(share, (int, float)) and not isinstance(share, bool)
                       else None)


def _parse_name(name: str) -> tuple[str, Optional[int]]:
    """`NAME` or `NAME/stage-N` -> (NAME, N or None); anything else is one sentence with the accepted forms."""
    build, slash, rest = name.strip().partition("/")
    if not slash:
        return build, None
    digits = rest[len(STAGE_PREFIX):] if rest.startswith(STAGE_PREFIX) else ""
    if not (digits.isascii() and digits.isdigit() and len(digits) <= 12):
        raise PlannerError(f"{name!r} names no build stage; use NAME or NAME/{STAGE_PREFIX}N "
                           f"(`interiority builds` lists them).")
    return build, int(digits)


def tokens_from_build(project: Project, name: str) -> BuildTokens:
    """The tokens per epoch of the build `NAME` (its largest stage when staged) or of `NAME/stage-N`.

    Raises PlannerError naming the builds that exist when the name, its card or the stage is missing.
    """
    build, stage = _parse_name(name)
    folder = inside(project.exports, safe_name(build, "build name"))
    card = read_card(folder)
    if card is None:
        names = [b.path.name for b in list_builds(project)]
        hint = f" Builds here: {', '.join(names)}." if names else " There are no builds yet: build one first (5 Build)."
        raise PlannerError(f"No dataset build named {build!r} in {project.exports}.{hint}")
    if stage is not None:
        sizes = [s.get("size") for s in _stages(card)]
        if not card.get("staged") or stage not in sizes:
            listed = ", ".join(f"{build}/{STAGE_PREFIX}{s}" for s in sizes if isinstance(s, int)) or build
            raise PlannerError(f"Build {build} has no {STAGE_PREFIX}{stage}; choose one of: {listed}.")
    label = build if stage is None else f"{build}/{STAGE_PREFIX}{stage}"
    found = card_tokens(card, label, stage)
    if found is not None:
        return found
    return _estimate_from_rows(folder, card, label, stage)


def _estimate_from_rows(folder: Path, card: dict[str, Any], label: str, stage: Optional[int]) -> BuildTokens:
    """A card written before token counts existed: the train rows' file size / 4, marked as such."""
    entry = _stage_of(card, stage) or {}
    base = folder / str(entry.get("path") or ".")
    train = next((c for c in (base / TRAINING_FORMAT / "train.jsonl", base / "train.jsonl") if _readable(folder, c)),
                 None)
    if train is None:
        raise PlannerError(f"The card of build {label} has no token counts and its {SPLIT} rows are missing; "
                           f"build it again (5 Build), or give the token count instead.")
    return BuildTokens(label=label, tokens=train.stat().st_size // 4, method=NO_COUNTS_NOTE, exact=False)


def _readable(folder: Path, path: Path) -> bool:
    """A file inside the build's folder (a card's stage path is outside input: never follow it elsewhere)."""
    try:
        return is_inside(folder, path) and path.is_file()
    except (OSError, ValueError):  # a NUL byte or an over-long name in a hand-edited card
        return False


def build_choices(project: Project) -> list[str]:
    """What the Plan screen offers, newest build first: `NAME`, or each `NAME/stage-N` of a staged build, largest
    first (the largest is what `NAME` alone means)."""
    out: list[str] = []
    for summary in list_builds(project):
        sizes = sorted((s["size"] for s in summary.stages if isinstance(s.get("size"), int)), reverse=True)
        if summary.staged and sizes:
            out.extend(f"{summary.path.name}/{STAGE_PREFIX}{size}" for size in sizes)
        else:
            out.append(summary.path.name)
    return out


def build_folder_tokens(folder: Path) -> tuple[int, str]:
    """(tokens, the card's method) of the build in `folder`, largest stage: the older folder-based entry point."""
    card = read_card(Path(folder))
    if card is None:
        card = {}
    found = card_tokens(card, Path(folder).name)
    if found is None:
        found = _estimate_from_rows(Path(folder), card, Path(folder).name, None)
    return found.tokens, found.method
