"""The dataset card: `card.json` (for programs) and `README.md` (for people), saying exactly what a build holds."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from core.dataset.items import DatasetItem
from core.dataset.split import SPLITS
from core.dataset.tokens import TokenCounter

LENGTH_BINS = (0, 50, 100, 200, 300, 400, 600, 800, 1200)  # words of the assistant reply


def length_histogram(items: list[DatasetItem]) -> list[dict[str, Any]]:
    """Assistant replies by length in words, in LENGTH_BINS (the last bin is open)."""
    counts = [0] * len(LENGTH_BINS)
    for item in items:
        words = len(item.assistant_text.split())
        slot = 0
        for index, low in enumerate(LENGTH_BINS):
            if words >= low:
                slot = index
        counts[slot] += 1
    rows = []
    for index, low in enumerate(LENGTH_BINS):
        high = LENGTH_BINS[index + 1] if index + 1 < len(LENGTH_BINS) else None
        rows.append({"words": f"{low}-{high - 1}" if high else f"{low}+", "count": counts[index]})
    return rows


def _median(values: list[int]) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    middle = len(ordered) // 2
    return float(ordered[middle]) if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def conversation_stats(items: list[DatasetItem], counter: TokenCounter) -> dict[str, Any]:
    """What the rows teach: prompt vs answer token shares, turns per conversation, shapes by template.

    WHY on the card: a row whose prompt is a long brief teaches the model to answer briefs; the answer share
    (and the first user turn's length) shows at a glance whether the rows are conversations.
    """
    total = answer = final = 0
    for item in items:
        whole, answers, last = counter.shares(item)
        total, answer, final = total + whole, answer + answers, final + last
    user_turns: Counter[int] = Counter(len(i.user_turns) for i in items)
    first_user = [len(i.user_turns[0]) for i in items if i.user_turns]
    shapes: dict[str, Counter[str]] = defaultdict(Counter)
    for item in items:
        if item.is_example:
            shapes[item.template_id][item.shape or "(none)"] += 1
    return {
        "tokens": {"total": total, "prompt": total - answer, "answer": answer, "final_answer": final,
                   "answer_share": round(answer / total, 4) if total else 0.0,
                   "final_answer_share": round(final / total, 4) if total else 0.0},
        "user_turns": {str(n): user_turns[n] for n in sorted(user_turns)},
        "first_user_turn_chars": {"median": _median(first_user), "max": max(first_user, default=0)},
        "shapes_by_template": {t: dict(sorted(c.items())) for t, c in sorted(shapes.items())},
        # The persona is given to book rows only; a general-data row's own system prompt is not the persona.
        "with_system_turn": sum(1 for i in items
                                if i.is_example and i.messages and i.messages[0].get("role") == "system"),
    }


def provenance_stats(items: list[DatasetItem]) -> dict[str, Any]:
    """Where the book rows came from (teachers, template versions, distinct teacher requests): never in a row."""
    examples = [i for i in items if i.is_example]
    return {"teachers": dict(sorted(Counter(i.teacher or "(unknown)" for i in examples).items())),
            "distinct_requests": len({i.request_hash for i in examples if i.request_hash}),
            "file": "provenance.jsonl"}


def stage_stats(splits: dict[str, list[DatasetItem]], counter: TokenCounter) -> dict[str, Any]:
    """Counts by split, source group, template, tag and source; tokens; lengths; template versions."""
    everything = [item for split in SPLITS for item in splits.get(split, [])]
    by_group: Counter[str] = Counter(i.group for i in everything)
    by_template: Counter[str] = Counter(i.template_id or "(general data)" for i in everything)
    by_tag: Counter[str] = Counter(tag for i in everything for tag in i.tags)
    untagged = sum(1 for i in everything if i.is_example and not i.tags)
    versions: dict[str, Counter[str]] = defaultdict(Counter)
    for item in everything:
        if item.is_example:
            versions[item.template_id][item.template_version or "(unknown)"] += 1
    tokens = {split: sum(counter.count(i) for i in splits.get(split, [])) for split in SPLITS}
    words = [len(i.assistant_text.split()) for i in everything]
    return {
        "examples": len(everything),
        "by_split": {split: len(splits.get(split, [])) for split in SPLITS},
        "by_source": dict(Counter(i.source for i in everything)),
        "by_group": dict(sorted(by_group.items())),
        "by_group_split": {g: {s: sum(1 for i in splits.get(s, []) if i.group == g) for s in SPLITS}
                           for g in sorted(by_group)},
        "by_template": dict(sorted(by_template.items())),
        "by_tag": dict(sorted(by_tag.items(), key=lambda kv: (-kv[1], kv[0]))),
        "untagged_examples": untagged,
        "edited_examples": sum(1 for i in everything if i.edited),
        "template_versions": {t: dict(sorted(v.items())) for t, v in sorted(versions.items())},
        "tokens": {"method": counter.method, "exact": counter.exact, "by_split": tokens,
                   "total": sum(tokens.values())},
        "reply_words": {"min": min(words, default=0), "max": max(words, default=0),
                        "mean": round(sum(words) / len(words), 1) if words else 0.0},
        "length_histogram": length_histogram(everything),
        "conversation": conversation_stats(everything, counter),
        "provenance": provenance_stats(everything),
    }


def write_card(folder: Path, card: dict[str, Any]) -> None:
    (folder / "card.json").write_text(json.dumps(card, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (folder / "README.md").write_text(render_readme(card), encoding="utf-8")


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _bar(count: int, largest: int, width: int = 40) -> str:
    return "#" * (round(width * count / largest) if largest else 0)


def _checked_with(report: dict[str, Any]) -> str:
    if report.get("structure") == "empty":
        return f"not written: {report.get('note', 'no rows')}"
    if "mlx_lm" in report:
        return "mlx-lm loader" + (" + tokenizer" if report["mlx_lm"].get("tokenized") else "")
    return "structure"


def render_conversation(conversation: dict[str, Any]) -> str:
    """The card's "what the rows teach" section: token shares, turns, shapes by template."""
    tokens = conversation["tokens"]
    share = f"{tokens['answer_share']:.0%}" if tokens["total"] else "-"
    lines = [f"**What the rows teach** (answers are {share} of the tokens; mlx-lm's `--mask-prompt` trains on "
             f"the final answer, {tokens['final_answer_share']:.0%})\n",
             _table(["part", "tokens"], [["prompt (user turns, persona, chat markup)", tokens["prompt"]],
                                         ["answers (every assistant turn)", tokens["answer"]],
                                         ["final answers", tokens["final_answer"]], ["total", tokens["total"]]]),
             "",
             "Turns per conversation: " + (", ".join(
                 f"{n} user turn{'s' if n != '1' else ''}: {c}" for n, c in conversation["user_turns"].items()) or "none")
             + f". First user turn: median {conversation['first_user_turn_chars']['median']:g} characters, "
               f"longest {conversation['first_user_turn_chars']['max']}."
             + (f" Rows with the persona's system turn: {conversation['with_system_turn']}."
                if conversation.get("with_system_turn") else ""),
             ""]
    shapes = conversation["shapes_by_template"]
    if shapes:
        lines.append("**Student shapes by template**\n\n" + _table(
            ["template", "shape", "examples"], [[t, shape, n] for t, c in shapes.items() for shape, n in c.items()]))
    return "\n".join(lines) + "\n"


def render_leakage(leakage: dict[str, Any], group_by: str = "passage") -> str:
    """The card's leakage section: units per split, overlaps by id, and shared text by word runs."""
    unit = "book" if group_by == "book" else "passage group"
    lines = [f"**Leakage** (no {unit} in two splits; checked by text, not only by id)\n",
             _table(["split", "passages", "books"],
                    [[s, leakage["passages_per_split"][s], leakage["books_per_split"][s]] for s in SPLITS]),
             "", "Overlaps: " + ", ".join(f"{k} = {v}" for k, v in leakage["overlaps"].items()) + " (by id)."]
    text = leakage.get("text")
    if isinstance(text, dict):
        pairs = list(text["answers"])
        rows = [[pair, text["answers"][pair]["rows"], text["answers"][pair]["runs"],
                 text["passages"][pair]["passages"] if text.get("checked_passages") else "-",
                 text["passages"][pair]["runs"] if text.get("checked_passages") else "-"] for pair in pairs]
        lines += ["", f"Shared text between splits ({text['ngram']}-word runs; the later split's rows or passages "
                      f"that repeat a run of the earlier one):\n",
                  _table(["splits", "answer rows", "answer runs", "passages", "passage runs"], rows)]
    return "\n".join(lines) + "\n"


def render_stage(stage: dict[str, Any], heading: str, group_by: str = "passage") -> str:
    stats = stage["stats"]
    parts = [f"{heading}\n", f"Folder: `{stage['path']}`. Examples: {stats['examples']} "
             f"(train {stats['by_split']['train']}, valid {stats['by_split']['valid']}, "
             f"test {stats['by_split']['test']}).\n"]
    rows = [[g, stage["targets"].get(g, "-"), stage["taken"].get(g, stats["by_group"].get(g, 0)),
             *[stats["by_group_split"][g][s] for s in SPLITS]] for g in stats["by_group"]]
    parts.append("**By source group**\n\n" + _table(["group", "target", "taken", *SPLITS], rows) + "\n")
    if stage["shortfalls"]:
        parts.append("**Shortfalls** (reported, not padded)\n\n" + "\n".join(
            f"- {s['group']}: {s['available']} of {s['target']} ({s['missing']} short)" for s in stage["shortfalls"]) + "\n")
    parts.append("**By template**\n\n" + _table(["template", "examples"], [[t, n] for t, n in stats["by_template"].items()]) + "\n")
    tags = list(stats["by_tag"].items())[:30]
    if tags:
        parts.append("**By tag** (top 30)\n\n" + _table(["tag", "examples"], [[t, n] for t, n in tags])
                     + f"\n\nUntagged examples: {stats['untagged_examples']}.\n")
    tokens = stats["tokens"]
    parts.append(f"**Tokens** ({tokens['method']})\n\n" + _table(
        ["split", "tokens"], [[s, tokens["by_split"][s]] for s in SPLITS] + [["total", tokens["total"]]]) + "\n")
    parts.append(render_conversation(stats["conversation"]))
    largest = max((row["count"] for row in stats["length_histogram"]), default=0)
    histogram = "\n".join(f"{row['words']:>9} words | {row['count']:>6} {_bar(row['count'], largest)}"
                          for row in stats["length_histogram"])
    parts.append(f"**Reply length** (words; mean {stats['reply_words']['mean']})\n\n```text\n{histogram}\n```\n")
    parts.append(render_leakage(stage["leakage"], group_by))
    parts.append("**Template versions**\n\n" + _table(
        ["template", "version", "examples"],
        [[t, v, n] for t, versions in stats["template_versions"].items() for v, n in versions.items()]) + "\n")
    provenance = stats["provenance"]
    parts.append("**Provenance** (kept here and in the store, never in a training row)\n\n"
                 + "Teachers: " + (", ".join(f"{t} {n}" for t, n in provenance["teachers"].items()) or "none")
                 + f". Distinct teacher requests: {provenance['distinct_requests']}. Each row's passage, book, "
                   f"template version, teacher and request hash, by split and line: `{provenance['file']}`.\n")
    parts.append("**Files** (rows per split, read back after writing)\n\n" + _table(
        ["format", *SPLITS, "checked with"],
        [[f, *[r["rows"][s] for s in SPLITS], _checked_with(r)] for f, r in stage["formats"].items()]) + "\n")
    return "\n".join(parts)


def _ratio(spec: dict[str, Any], split: str) -> str:
    value = spec[f"{split}_ratio"]
    return f"{value} (no {split} split)" if not value else str(value)


def render_using(card: dict[str, Any]) -> str:
    """The card's closing "Using it": paths that exist in this build (a stage's folder, no valid file at --valid 0)."""
    folder = "<build>/stage-SIZE" if card["staged"] else "<build>"
    has_valid = bool(card["spec"].get("valid_ratio", 0.1))
    openai = f"`{folder}/openai/train.jsonl`" + (f" and `{folder}/openai/valid.jsonl`" if has_valid else "")
    mlx = (f"mlx-lm: `mlx_lm.lora --train --data {folder}/mlx-chat` (also `mlx-completions`, `mlx-text`)"
           if has_valid else f"mlx-lm needs a valid split (this build has none; build again with --valid 0.1)")
    return (f"## Using it\n\n{mlx}. Axolotl: see `axolotl.yaml` (alpaca files). OpenAI fine-tuning: {openai}. "
            f"DPO (edited = chosen, teacher's original = rejected): `{folder}/dpo/`.\n")


def _general(spec: dict[str, Any], pool: dict[str, Any]) -> str:
    """The card's general-data setting; a file given at ratio 0 is not read, so it has no format or rows to show."""
    if not spec["general_path"]:
        return "none"
    if not spec["general_ratio"]:
        return f"none ({spec['general_path']} was given at ratio 0, so not read)"
    return f"{spec['general_path']} ({pool['general']['format']}, {pool['general']['rows']} rows) at ratio " \
           f"{spec['general_ratio']}"


def render_earlier_builds(earlier: Any) -> str:
    """The card's sentence on the split ledger: passages (books) that kept earlier builds' splits, new, moved.

    WHY on the card: models trained on different builds are compared on a build's held-out split, which
    is clean only if no passage changed split between the builds; the moves themselves are notes above.
    """
    if not isinstance(earlier, dict):
        return ""
    kind = "Books" if earlier.get("unit") == "book" else "Passages"
    if earlier.get("reshuffled"):
        return (f"Split afresh (--reshuffle): earlier builds' splits were not kept; this build's splits of its "
                f"{earlier.get('new', 0) + earlier.get('kept', 0) + earlier.get('moved', 0)} {kind.lower()} "
                f"replace them for later builds, so compare its models with earlier builds' only on rows neither "
                f"trained on.\n")
    return (f"{kind} in the split an earlier build gave them: {earlier.get('kept', 0)}; new to any build: "
            f"{earlier.get('new', 0)}; moved to another split: {earlier.get('moved', 0)}"
            + (" (why: in the notes above)" if earlier.get("moved") else "") + ". A later build keeps these "
            f"splits, so models trained on different builds can be compared on held-out rows.\n")


def render_readme(card: dict[str, Any]) -> str:
    spec = card["spec"]
    pool = card["pool"]
    lines = [f"# Dataset build `{card['name']}`\n",
             f"Built {card['built_at']} by Interiority from the student conversations of the project's accepted "
             f"examples (the reviewer's turns where edited). The teacher's requests are provenance and are not "
             f"in any row.\n",
             "## What went in\n",
             _table(["setting", "value"], [
                 ["mix", spec["mix"]["name"]],
                 ["sizes", ", ".join(str(s) if s is not None else "all" for s in spec["stage_sizes"])],
                 ["split by", "passage (no passage in two splits; a book may be)" if spec["group_by"] == "passage"
                  else "book (no book, hence no passage, in two splits)"],
                 ["ratios (valid / test)", " / ".join(_ratio(spec, s) for s in ("valid", "test"))],
                 ["seed", spec["seed"]],
                 ["general data", _general(spec, pool)],
                 ["near-duplicate ratio", spec["near_duplicate_ratio"] if spec["near_dedup"] else "off"],
                 ["tokenizer", spec["tokenizer_model"] or "none (token counts are estimates)"],
                 ["persona (student system turn)", spec.get("persona") or "none"],
             ]) + "\n",
             f"Accepted examples in the mix's groups: {pool['accepted']}. Outside the mix (not used): "
             + (", ".join(f"{g} {n}" for g, n in pool["unassigned"].items()) or "none")
             + f". Unusable (no user turn, no final answer, or a role other than system, user or assistant): {len(pool['malformed'])}."
             + (f" Left out for want of a student conversation: {pool['without_student']} (run "
                f"`interiority backfill` or press b on the Queue screen, then build again)."
                if pool.get("without_student") else "") + "\n",
             f"Duplicates removed before choosing: {pool['dedup']['exact_removed']} exact, "
             f"{pool['dedup']['near_removed']} near (the edited copy, then the earlier one, was kept).\n",
             "Mix shares: " + ", ".join(f"{g} {s:.1%}" for g, s in spec["mix"]["shares"].items()) + ".\n"]
    merged = spec["mix"].get("merged_spellings") or {}
    if merged:
        lines.append("Author spellings counted as one source group: " + "; ".join(
            f"{group} (also {', '.join(others)})" for group, others in merged.items())
            + " (`interiority groups` lists them; `interiority groups merge` joins others).\n")
    for note in card.get("split_plan", {}).get("notes", []):
        lines.append(f"**Note:** {note}\n")
    linked = card.get("split_plan", {}).get("linked_passages", 0)
    if linked:
        lines.append(f"Passages kept in one split with another because their texts overlap or repeat: {linked}.\n")
    earlier = render_earlier_builds(card.get("split_plan", {}).get("earlier_builds"))
    if earlier:
        lines.append(earlier)
    for stage in card["stages"]:
        size = stage["size"]
        heading = f"## Stage {size}" if card["staged"] else "## Contents"
        lines.append(render_stage(stage, heading, spec["group_by"]))
    lines.append(render_using(card))
    return "\n".join(lines)
