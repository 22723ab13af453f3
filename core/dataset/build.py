"""`build_dataset`: accepted examples -> a deduplicated, balanced, leakage-free build in every format.

Steps: collect accepted examples for the mix, load general data, remove duplicates
across both, fix every passage group's split, cut each stage from one priority order,
check every stage before writing anything (each split asked for holds rows, no text is
shared between splits), write each format, read it back, write the card.  Everything is
written into a hidden folder next to the destination and moved into place at the end, so
a failed or interrupted build leaves any earlier build of that name untouched.
"""

from __future__ import annotations

import errno
import json
import os
import random
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

from core.dataset.card import stage_stats, write_card
from core.dataset.collect import Collected, collect_accepted
from core.dataset.dedup import DedupResult, deduplicate
from core.dataset.formats import dpo_row, encode_rows
from core.dataset.general import load_general
from core.dataset.items import DatasetItem
from core.dataset.select import Selector, Shortfall, StageChoice
from core.dataset.spec import BuildSpec, BuildSpecError, ResolvedSpec
from core.dataset.leakage import PassageSpan, answer_overlap_warning, assert_no_text_leakage, passage_spans
from core.dataset.split import (SPLITS, SplitPlan, assert_no_leakage, check_honoured, continuity_notes,
                                leakage_report, missing_split_warnings, plan_splits, pool_problem, share_warning,
                                split_counts, stage_problem)
from core.dataset.tokens import TokenCounter, token_counter
from core.dataset.validate import validate_export
from core.errors import UserError
from core.paths import inside, safe_name
from core.project import Project
from store.database import Database
from store.errors import StoreWriteError

Progress = Callable[[str, int, int], None]  # (phase, done, total)


class EmptyBuildError(UserError):
    """Nothing to build: no accepted examples in the mix's groups."""


@dataclass
class StageResult:
    """One written stage (a plain build is one stage with path == the build folder)."""

    size: Optional[int]
    path: Path
    counts: dict[str, int]  # rows per split
    shortfalls: list[Shortfall]
    formats: dict[str, dict[str, Any]]  # format -> validation report

    def data_dir(self, fmt: str = "mlx-chat") -> Path:
        return self.path / fmt


@dataclass
class BuildResult:
    name: str
    path: Path
    stages: list[StageResult]
    card: dict[str, Any]
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)

    @property
    def shortfalls(self) -> list[Shortfall]:
        return [s for stage in self.stages for s in stage.shortfalls]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "path": str(self.path), "seconds": round(self.seconds, 3),
                "stages": [{"size": s.size, "path": str(s.path), "counts": s.counts,
                            "shortfalls": [x.to_dict() for x in s.shortfalls], "formats": list(s.formats)}
                           for s in self.stages],
                "warnings": self.warnings}


class SplitLedgerWriteError(UserError):
    """The build was written but its splits could not be recorded in the store's split ledger."""


class BuildWriteError(UserError):
    """The build could not be written (a full disk, a read-only folder); nothing under exports/NAME changed."""


def build_folder(project: Project, name: str) -> Path:
    """`exports/NAME`, checked to lie inside the project (a build name is a plain folder name)."""
    return inside(project.exports, safe_name(name, "build name"))


def stage_folder_name(size: Optional[int]) -> str:
    return f"stage-{size}"


def _report(progress: Optional[Progress], phase: str, done: int = 0, total: int = 0) -> None:
    if progress is not None:
        progress(phase, done, total)


def build_dataset(project: Project, db: Database, spec: BuildSpec, progress: Optional[Progress] = None) -> BuildResult:
    """Build `spec` from the project's accepted examples into `exports/NAME/`.

    Raises a UserError subclass (naming the problem and the fix) for bad input; on any
    error nothing under `exports/NAME/` changes.
    """
    started = time.perf_counter()
    resolved = spec.resolve(project.settings)
    destination = build_folder(project, resolved.name)
    if destination.exists() and not resolved.overwrite:
        # One sentence for both front ends: the CLI's flag and the Build screen's checkbox are both named.
        raise BuildSpecError(f"A build named {resolved.name} already exists in {project.exports}; choose another "
                             f"name, or replace it (--force, or tick \"replace a build of the same name\" on the "
                             f"Build screen).")
    _report(progress, "collect")
    collected = collect_accepted(db, resolved.mix, resolved.persona)
    mix = collected.mix
    general_format, general_items = "", list[DatasetItem]()
    if resolved.general_path is not None and resolved.general_ratio > 0:
        general_format, general_items = load_general(resolved.general_path)
    if not collected.items and collected.without_student:
        raise EmptyBuildError(f"Nothing to build: {collected.without_student_sentence()}")
    if not collected.items:
        raise EmptyBuildError(_empty_sentence(collected))
    tokens = token_counter(resolved.tokenizer_model)

    _report(progress, "dedup", 0, len(collected.items) + len(general_items))
    dedup = deduplicate(collected.items + general_items, near=resolved.near_dedup,
                        ratio_threshold=resolved.near_duplicate_ratio,
                        progress=lambda done, total: _report(progress, "dedup", done, total))
    pool = [i for i in dedup.kept if i.is_example]
    general = [i for i in dedup.kept if not i.is_example]
    _report(progress, "split")
    spans = passage_spans({p: db.passages.view(p) for p in sorted({i.passage_id for i in pool if i.passage_id})})
    ledger = {} if resolved.reshuffle else db.split_ledger.splits(resolved.group_by)
    plan = plan_splits(dedup.kept, resolved.valid_ratio, resolved.test_ratio, resolved.seed, resolved.group_by,
                       spans=spans, ledger=ledger)
    selector = Selector(pool, general, mix, resolved.seed, resolved.general_ratio if general_items else 0.0,
                        split_of=plan.split_of)
    checked = _checked_stages(resolved, selector, plan, pool, spans, progress)
    written = checked[-1][1].items  # the largest stage holds every other (stages are nested)
    last = split_counts(written, plan)
    continuity = plan.continuity(written)
    notes = [share_warning(last, plan.ratios, resolved.group_by), answer_overlap_warning(checked[-1][3])]
    split_notes = (missing_split_warnings(plan.ratios) + continuity_notes(continuity)
                   + [note for note in notes if note])

    staging = inside(project.exports, f".{resolved.name}.building-{os.getpid()}")
    try:
        if staging.exists():
            shutil.rmtree(staging)
        staging.mkdir(parents=True)
        stages_card, stage_results = [], []
        for number, (size, choice, splits, leakage) in enumerate(checked):
            relative = stage_folder_name(size) if resolved.staged else "."
            folder = staging / relative
            folder.mkdir(parents=True, exist_ok=True)
            _report(progress, f"export {relative}", number, len(resolved.stage_sizes))
            stage_card, formats = _write_stage(folder, relative, choice, splits, leakage, resolved, tokens, progress)
            stages_card.append(stage_card)
            stage_results.append(StageResult(size=size, path=destination / relative if resolved.staged else destination,
                                             counts=stage_card["stats"]["by_split"], shortfalls=choice.shortfalls,
                                             formats=formats))
            if resolved.staged:
                write_card(folder, _card(resolved, collected, dedup, general_format, general_items, plan, [stage_card],
                                          split_notes, continuity))
        _report(progress, "card")
        card = _card(resolved, collected, dedup, general_format, general_items, plan, stages_card, split_notes,
                     continuity)
        write_card(staging, card)
        if "alpaca" in resolved.formats:
            _write_axolotl(staging, resolved)
        _swap_into_place(staging, destination)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise BuildWriteError(_write_failure(resolved.name, project.exports, exc)) from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _record_splits(db, resolved, plan.assignments(pool))
    # A staged build's shortfalls name their stage: "Leo Tolstoy: 48 of 67" and "48 of 133" read as a contradiction.
    warnings = [(f"Stage {stage.size}: " if resolved.staged else "") + s.sentence()
                for stage in stage_results for s in stage.shortfalls]
    warnings += split_notes
    warnings += [f"{n} accepted examples of {g} are outside the {mix.name} mix and were not used."
                 for g, n in collected.unassigned.items()]
    if collected.without_student:
        warnings.append(collected.without_student_sentence())
    _report(progress, "done", 1, 1)
    return BuildResult(name=resolved.name, path=destination, stages=stage_results, card=card,
                       seconds=time.perf_counter() - started, warnings=warnings)


def _record_splits(db: Database, resolved: ResolvedSpec, splits: dict[int, str]) -> None:
    """Record the split this written build planned for every passage (book) of its pool, where none is yet.

    WHY the whole pool, not only the rows written: a build of 200 from a pool of 1,000 planned all
    1,000, and recording them all makes the same spec give the same files again (recording only the
    200 left the other 800 to quotas that the 200 had already filled).  WHY only now: a build that
    stops (or fails to write) gave no passage to anyone, so it must not pin a split; one transaction,
    so a kill leaves all of this build's entries or none.  A reshuffled build's splits replace the
    ledger of its grouping.
    """
    try:
        with db.transaction():
            if resolved.reshuffle:
                db.split_ledger.replace(resolved.group_by, splits, resolved.name, resolved.seed)
            else:
                db.split_ledger.record_first(resolved.group_by, splits, resolved.name, resolved.seed)
    except StoreWriteError as exc:
        raise SplitLedgerWriteError(f"The build {resolved.name} was written, but the splits of its passages could "
                                    f"not be recorded ({exc}); fix that and build it again with --force, or a later "
                                    f"build may put its passages in other splits.") from None


def _empty_sentence(collected: Collected) -> str:
    """Why a build has no rows, and the fix that applies (the balanced mix has a place for every book)."""
    mix = collected.mix.name
    if collected.unassigned:
        outside = ", ".join(f"{g} ({n})" for g, n in collected.unassigned.items())
        return (f"No accepted examples belong to the groups of the {mix} mix (accepted examples outside it: "
                f"{outside}); set those books' groups (`interiority groups`) or use the balanced mix.")
    if collected.malformed:
        return (f"Nothing to build: the {len(collected.malformed)} accepted examples have no user turn or no final "
                f"answer (examples {', '.join(map(str, collected.malformed[:5]))}); edit them in Review and build "
                f"again.")
    return ("Nothing to build: the project has no accepted examples yet; accept some in Review (4) or with "
            "`interiority decide ID accept`, then build again.")


Checked = tuple[Optional[int], StageChoice, dict[str, list[DatasetItem]], dict[str, Any]]


def _checked_stages(resolved: ResolvedSpec, selector: Selector, plan: SplitPlan, pool: list[DatasetItem],
                    spans: dict[int, PassageSpan], progress: Optional[Progress]) -> list[Checked]:
    """Every stage chosen, split and checked before anything is written (see the module docstring).

    Raises SplitError when a split asked for would be empty (too few passages or books, or a stage
    too small) and TextLeakError when two splits share text, each with the sentence saying what to change.
    """
    check_honoured(pool_problem(pool, plan))
    out: list[Checked] = []
    previous: Optional[set[int]] = None
    for number, size in enumerate(resolved.stage_sizes):
        _report(progress, "check", number, len(resolved.stage_sizes))
        choice = selector.choose(size)
        keys = {i.key for i in choice.items}
        if previous is not None and not previous <= keys:
            raise AssertionError("A stage is not a superset of the previous one; please report this bug.")
        previous = keys
        splits = _ordered_splits(choice, plan, resolved.seed, str(choice.size))
        check_honoured(stage_problem(split_counts(choice.items, plan), plan, size, resolved.staged))
        leakage = leakage_report(splits, spans)
        assert_no_leakage(leakage, resolved.group_by)
        assert_no_text_leakage(leakage)
        out.append((size, choice, splits, leakage))
    return out


def _ordered_splits(choice: StageChoice, plan: SplitPlan, seed: int, label: str) -> dict[str, list[DatasetItem]]:
    splits: dict[str, list[DatasetItem]] = {s: [] for s in SPLITS}
    for item in choice.items:
        splits[plan.split_of(item)].append(item)
    for split, items in splits.items():
        items.sort(key=lambda i: i.key)
        random.Random(f"{seed}|order|{label}|{split}").shuffle(items)
    return splits


def _write_stage(folder: Path, relative: str, choice: StageChoice, splits: dict[str, list[DatasetItem]],
                 leakage: dict[str, Any], resolved: ResolvedSpec, tokens: TokenCounter,
                 progress: Optional[Progress]) -> tuple[dict[str, Any], dict[str, Any]]:
    formats: dict[str, Any] = {}
    for index, fmt in enumerate(resolved.formats):
        _report(progress, f"export {relative}: {fmt}", index, len(resolved.formats))
        target = folder / fmt
        encoded = {split: encode_rows(fmt, splits[split]) for split in SPLITS}
        written = {split: len(lines) for split, lines in encoded.items()}
        if not any(written.values()):
            # Only DPO can be empty (no edited examples): say so on the card, write no empty folder.
            formats[fmt] = {"rows": written, "structure": "empty",
                            "note": "no edited examples in this build, so no preference pairs"}
            continue
        target.mkdir(parents=True, exist_ok=True)
        for split, lines in encoded.items():
            if lines:
                with open(target / f"{split}.jsonl", "w", encoding="utf-8", newline="\n") as handle:
                    handle.writelines(lines)
        _report(progress, f"validate {relative}: {fmt}", index, len(resolved.formats))
        formats[fmt] = validate_export(fmt, target, written, tokens.tokenizer)
    _write_provenance(folder, splits)
    stats = stage_stats(splits, tokens)
    stage_card = {
        "size": choice.size, "path": relative, "targets": choice.targets, "taken": choice.taken,
        "general": {"target": choice.general_target, "taken": choice.general_taken},
        "shortfalls": [s.to_dict() for s in choice.shortfalls], "stats": stats, "leakage": leakage,
        "formats": formats,
    }
    return stage_card, formats


def _card(resolved: ResolvedSpec, collected: Collected, dedup: DedupResult, general_format: str, general_items: list[DatasetItem],
          plan: SplitPlan, stages: list[dict[str, Any]], split_notes: list[str],
          continuity: dict[str, object]) -> dict[str, Any]:
    from collections import Counter

    return {
        "name": resolved.name,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "staged": resolved.staged,
        "spec": {**resolved.to_dict(), "mix": collected.mix.describe()},
        "pool": {
            "accepted": len(collected.items), "unassigned": dict(sorted(collected.unassigned.items())),
            "malformed": collected.malformed, "without_student": len(collected.without_student),
            "dedup": dedup.stats(),
            "general": {"format": general_format, "rows": len(general_items)},
        },
        "split_plan": {"units_per_split": dict(Counter(plan.units.values())), "group_by": plan.group_by,
                       "ratios": plan.ratios, "linked_passages": plan.linked(),
                       "no_split": [s for s in SPLITS if plan.ratios[s] <= 0], "notes": split_notes,
                       "earlier_builds": {**continuity, "reshuffled": resolved.reshuffle}},
        "stages": stages,
    }


def _write_provenance(folder: Path, splits: dict[str, list[DatasetItem]]) -> None:
    """`provenance.jsonl`: for each row of each split, in file order, where it came from.

    WHY a file beside the rows and not in them: the rows are what the student is trained on, so the
    teacher's request (template version, passage, request hash) must never be in them, yet a person must be
    able to trace any row back to its example and passage.  Line N of a split's rows is the entry with that
    split and line in every format (formats keep the same order); DPO keeps only the edited rows, so an edited
    row's entry also has its `dpo_line`.
    """
    lines = []
    for split in SPLITS:
        dpo_line = 0
        for line, item in enumerate(splits.get(split, []), 1):
            entry: dict[str, Any] = {"split": split, "line": line, "source": item.source}
            if item.is_example:
                entry.update(example=item.key, passage=item.passage_id, book=item.book_id, group=item.group,
                             template=item.template_id, template_version=item.template_version,
                             teacher=item.teacher, request_hash=item.request_hash, shape=item.shape,
                             edited=item.edited)
                if dpo_row(item) is not None:  # the DPO files hold only edited rows: their own line number
                    dpo_line += 1
                    entry["dpo_line"] = dpo_line
            else:
                entry["general_line"] = -item.key
            lines.append(json.dumps(entry, ensure_ascii=False) + "\n")
    with open(folder / "provenance.jsonl", "w", encoding="utf-8", newline="\n") as handle:
        handle.writelines(lines)


def _write_axolotl(folder: Path, resolved: ResolvedSpec) -> None:
    """A datasets stanza for axolotl over the alpaca files (paths relative to the build folder)."""
    stage_dirs = [stage_folder_name(s) for s in resolved.stage_sizes] if resolved.staged else ["."]
    lines = ["# Axolotl datasets stanza for this build. Run axolotl from this folder, or make the paths absolute.",
             "# Merge into your axolotl config (base_model, adapter: lora|qlora, sequence_len, ...)."]
    for index, stage in enumerate(stage_dirs):
        prefix = "" if stage == "." else f"{stage}/"
        comment = "# " if index < len(stage_dirs) - 1 else ""
        if resolved.staged:
            lines.append(f"# --- {stage}{' (uncomment to use)' if comment else ''}")
        lines += [f"{comment}datasets:", f"{comment}  - path: {prefix}alpaca/train.jsonl",
                  f"{comment}    ds_type: json", f"{comment}    type: alpaca"]
        if resolved.valid_ratio > 0:  # with --valid 0 there is no valid.jsonl for axolotl to open
            lines += [f"{comment}test_datasets:", f"{comment}  - path: {prefix}alpaca/valid.jsonl",
                      f"{comment}    ds_type: json", f"{comment}    type: alpaca", f"{comment}    split: train"]
        lines += [f"{comment}val_set_size: 0.0", f"{comment}dataset_prepared_path: last_run_prepared"]
    (folder / "axolotl.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _write_failure(name: str, exports: Path, exc: OSError) -> str:
    """One sentence for a build that could not be written, with the fix."""
    reason = exc.strerror or str(exc)
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        fix = f"free some space on the disk holding {exports} and build again"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        fix = f"make {exports} writable and build again"
    else:
        fix = "fix that and build again"
    return f"Could not write the build {name} ({reason}); {fix}. Nothing under {exports / name} was changed."


def _swap_into_place(staging: Path, destination: Path) -> None:
    """Replace `destination` with `staging` so that one of the two is always whole on disk."""
    if destination.exists():
        old = inside(destination.parent, f".{destination.name}.old-{os.getpid()}")
        os.replace(destination, old)
        try:
            os.replace(staging, destination)
        except OSError:
            os.replace(old, destination)  # put the earlier build back before reporting the failure
            raise
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(staging, destination)
