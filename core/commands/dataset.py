"""`interiority export` (build a dataset) and `interiority builds` (list them)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from core.cli import CommandContext, add_command
from core.dataset import ALL_FORMATS, BuildSpec, build_dataset, list_builds, preview_mix
from core.dataset.build import BuildResult
from core.dataset.preview import MixPreview
from core.errors import UserError


class ExportArgumentError(UserError):
    """A malformed --stages or --size value."""


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = add_command(sub, "export", help="build a dataset from accepted examples into exports/NAME/")
    p.add_argument("name", help="build name (a folder under exports/)")
    p.add_argument("--size", type=int, help="book examples wanted (default: all in the mix's groups)")
    p.add_argument("--stages", help="nested sizes, e.g. 200,500,1000 (each in exports/NAME/stage-SIZE/)")
    p.add_argument("--format", default="all", help=f"comma list of {','.join(ALL_FORMATS)}, or all (default)")
    p.add_argument("--general", metavar="FILE", help="general instruction data (chat/alpaca/completions JSONL)")
    p.add_argument("--general-ratio", type=float, help="share of general data in the build (default from settings)")
    p.add_argument("--valid", type=float, help="validation share (default from settings; 0: no valid split)")
    p.add_argument("--test", type=float, help="test share (default from settings; 0: no test split, "
                                              "so no evaluation on held-out rows)")
    p.add_argument("--seed", type=int, help="seed for choices, splits and order (default from settings)")
    p.add_argument("--group-by", choices=("passage", "book"), default="passage",
                   help="keep each passage (default) or each whole book inside one split")
    p.add_argument("--reshuffle", action="store_true",
                   help="split afresh, ignoring the splits earlier builds gave their passages (e.g. after changing "
                        "--seed); models trained on earlier builds then cannot be compared on this one's held-out rows")
    p.add_argument("--mix", default="balanced", help="method, balanced (default) or a TOML mix file")
    p.add_argument("--persona", metavar="LINE",
                   help="one short line given to the student as a system turn in every book row (default: none)")
    p.add_argument("--no-near-dedup", action="store_true", help="skip near-duplicate removal")
    p.add_argument("--dry-run", action="store_true", help="show the mix preview and build nothing")
    p.add_argument("--force", action="store_true", help="replace an existing build of that name")
    p.set_defaults(handler=export_command)

    b = add_command(sub, "builds", help="list the dataset builds in exports/")
    b.set_defaults(handler=builds_command)


def parse_stages(text: str | None) -> list[int]:
    if not text:
        return []
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ExportArgumentError(f"--stages must be whole numbers separated by commas, e.g. 200,500,1000; "
                                  f"got {text!r}.") from None


def spec_from_args(args: argparse.Namespace) -> BuildSpec:
    return BuildSpec(
        name=args.name, size=args.size, stages=parse_stages(args.stages), mix=args.mix, formats=args.format,
        general_path=Path(args.general) if args.general else None, general_ratio=args.general_ratio,
        valid_ratio=args.valid, test_ratio=args.test, seed=args.seed, group_by=args.group_by,
        near_dedup=not args.no_near_dedup, overwrite=args.force, persona=args.persona,
        reshuffle=args.reshuffle)


def export_command(args: argparse.Namespace, ctx: CommandContext) -> int:
    spec = spec_from_args(args)
    if args.dry_run:
        preview = preview_mix(ctx.project, ctx.db, spec)
        if ctx.json:
            ctx.print_json(preview.to_dict())
        else:
            ctx.print(format_preview(preview))
        return 0

    def progress(phase: str, done: int, total: int) -> None:
        if not ctx.json and sys.stderr.isatty():
            share = f" {done}/{total}" if total else ""
            sys.stderr.write(f"\r\033[K{phase}{share}")
            sys.stderr.flush()

    result = build_dataset(ctx.project, ctx.db, spec, progress=progress)
    if not ctx.json and sys.stderr.isatty():
        sys.stderr.write("\r\033[K")
    if ctx.json:
        ctx.print_json(result.to_dict())
    else:
        ctx.print(format_result(result))
    for warning in result.warnings:
        ctx.warn(f"warning: {warning}")
    return 0


def format_preview(preview: MixPreview) -> str:
    labels = [("all" if s is None else str(s)) for s in preview.stages]
    width = max([len(r.group) for r in preview.rows] + [12])
    lines = [f"Mix {preview.mix} (exact duplicates removed: {preview.exact_duplicates}; "
             f"near-duplicates are removed when building)",
             # Each cell is taken/target ("111/133": 22 short), so the column is named by its stage alone.
             f"{'source':<{width}}  {'share':>6}  {'avail':>6}  " + "  ".join(f"{l:>14}" for l in labels)
             + "  (taken/target per stage)"]
    for row in preview.rows:
        cells = "  ".join(f"{f'{row.taken[l]}/{row.targets[l]}':>14}" for l in labels)
        lines.append(f"{row.group:<{width}}  {row.share:>6.1%}  {row.available:>6}  {cells}")
    if preview.general_rows:
        lines.append(f"general data: {preview.general_rows} rows; taken " +
                     ", ".join(f"{l}: {preview.general_taken[l]}" for l in labels))
    lines.append("total: " + ", ".join(f"{l}: {preview.totals[l]}" for l in labels))
    if preview.splits:
        lines.append(f"splits by {preview.group_by} (train/valid/test book examples): " + ", ".join(
            f"{l}: {'/'.join(str(n) for n in preview.splits[l].values())}" for l in labels if l in preview.splits))
    if preview.split_problem:
        lines.append(f"the build would stop: {preview.split_problem}")
    lines.extend(preview.split_notes)
    for label, shortfalls in preview.shortfalls.items():
        for shortfall in shortfalls:
            lines.append(f"shortfall ({label}): {shortfall.sentence()}")
    for group, count in preview.unassigned.items():
        lines.append(f"outside the mix: {group} ({count} accepted examples, not used)")
    if preview.without_student_sentence:
        lines.append(preview.without_student_sentence)
    return "\n".join(lines)


def format_result(result: BuildResult) -> str:
    lines = [f"Built {result.name} in {result.seconds:.1f} s -> {result.path}"]
    for stage in result.stages:
        label = "all" if stage.size is None else str(stage.size)
        counts = ", ".join(f"{k} {v}" for k, v in stage.counts.items())
        lines.append(f"  {label}: {counts}  ({stage.path})")
    lines.append(f"Card: {result.path / 'README.md'}")
    return "\n".join(lines)


def builds_command(args: argparse.Namespace, ctx: CommandContext) -> int:
    builds = list_builds(ctx.project)
    if ctx.json:
        ctx.print_json([b.to_dict() for b in builds])
        return 0
    if not builds:
        ctx.print("No dataset builds yet; make one with `interiority export NAME`.")
        return 0
    for build in builds:
        sizes = ", ".join(f"{s['size'] if s['size'] is not None else 'all'} ({s['examples']})" for s in build.stages)
        ctx.print(f"{build.name}  {build.built_at}  mix {build.mix}  stages: {sizes}  {build.path}")
    return 0
