"""Builds over synthetic accepted examples: ratios, shortfalls, dedup, leakage, stages, reproducibility, card."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.dataset import BuildSpec, BuildSpecError, EmptyBuildError, build_dataset, data_dir, list_builds, preview_mix
from core.dataset.formats import ALL_FORMATS
from core.dataset.split import SPLITS
from store.records import Example
from tests.dataset.synthetic import add_book


def read_jsonl(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def method_library(db, scale: int = 1) -> None:
    """Books for the method mix's groups with unequal amounts of data."""
    add_book(db, "War and Peace", "Leo Tolstoy", passages=30 * scale, per_passage=3)
    add_book(db, "Mrs. Dalloway", "Virginia Woolf", passages=25 * scale, per_passage=3)
    add_book(db, "Swann's Way", "Marcel Proust", passages=25 * scale, per_passage=3)
    add_book(db, "Notes from Underground", "Fyodor Dostoevsky", passages=20 * scale, per_passage=3)
    add_book(db, "A Memoir", "Someone", group="contemporary memoirs", passages=20 * scale, per_passage=3)
    add_book(db, "Ideas", "Husserl", group="phenomenology", passages=15 * scale, per_passage=3)
    add_book(db, "Meditations", "Descartes", group="first-person philosophy", passages=3, per_passage=3)
    add_book(db, "Anna Karenina", "Leo Tolstoy", passages=2, per_passage=2)  # outside the method mix


def test_method_mix_ratios_and_shortfalls(project, db) -> None:
    method_library(db)
    result = build_dataset(project, db, BuildSpec(name="m", size=300, mix="method", formats=("mlx-chat",),
                                                  near_dedup=False))
    card = json.loads((result.path / "card.json").read_text())
    stage = card["stages"][0]
    # Scaled targets: 600/3000 * 300 = 60, 500 -> 50, 400 -> 40, 300 -> 30.
    assert stage["targets"] == {"War and Peace": 60, "Mrs Dalloway": 50, "Proust": 50, "Dostoevsky": 40,
                                "contemporary memoirs": 40, "phenomenology": 30, "first-person philosophy": 30}
    assert stage["stats"]["by_group"]["War and Peace"] == 60
    assert stage["stats"]["by_group"]["first-person philosophy"] == 9  # only 9 exist: reported, not padded
    assert [s["group"] for s in stage["shortfalls"]] == ["first-person philosophy"]
    assert stage["stats"]["examples"] == 300 - 21
    assert any("first-person philosophy: 9 of 30" in w for w in result.warnings)
    assert card["pool"]["unassigned"] == {"Leo Tolstoy": 4}
    # Templates are balanced inside every group: round-robin leaves at most one extra per group.
    templates = stage["stats"]["by_template"]
    assert max(templates.values()) - min(templates.values()) <= 7
    rows = [r for s in SPLITS for r in read_jsonl(result.path / "mlx-chat" / f"{s}.jsonl")]
    assert len(rows) == 279


def test_preview_matches_the_build(project, db) -> None:
    method_library(db)
    spec = BuildSpec(name="p", stages=[100, 300], mix="method", formats=("mlx-chat",), near_dedup=False)
    preview = preview_mix(project, db, spec)
    rows = {r.group: r for r in preview.rows}
    assert rows["War and Peace"].targets == {"100": 20, "300": 60}
    assert rows["first-person philosophy"].available == 9
    assert [s.group for s in preview.shortfalls["300"]] == ["first-person philosophy"]
    assert preview.unassigned == {"Leo Tolstoy": 4}
    result = build_dataset(project, db, spec)
    assert [sum(s.counts.values()) for s in result.stages] == [preview.totals["100"], preview.totals["300"]]


def test_no_passage_in_two_splits_and_book_mode(project, db) -> None:
    for number in range(8):
        add_book(db, f"Book {number}", f"Author {number % 3}", passages=12, per_passage=3)
    result = build_dataset(project, db, BuildSpec(name="byp", formats=("mlx-chat",), near_dedup=False))
    card = result.card["stages"][0]
    assert all(v == 0 for k, v in card["leakage"]["overlaps"].items() if k.startswith("passages"))
    assert all(card["leakage"]["passages_per_split"][s] > 0 for s in SPLITS)
    examples = {e.id: e for e in db.examples}
    seen: dict[int, str] = {}
    for split in SPLITS:
        for row in read_jsonl(result.path / "mlx-chat" / f"{split}.jsonl"):
            user = row["messages"][0]["content"]  # the student's user turn (no persona set)
            passage = next(e.passage_id for e in examples.values() if e.student[0]["content"] == user)
            assert seen.setdefault(passage, split) == split
    by_book = build_dataset(project, db, BuildSpec(name="byb", group_by="book", formats=("mlx-chat",),
                                                   near_dedup=False))
    leakage = by_book.card["stages"][0]["leakage"]
    assert all(v == 0 for v in leakage["overlaps"].values())
    assert sum(leakage["books_per_split"].values()) == 8
    assert all(leakage["books_per_split"][s] >= 1 for s in SPLITS)


def test_stages_are_nested_and_splits_stable(project, db) -> None:
    method_library(db)
    result = build_dataset(project, db, BuildSpec(name="st", stages=[50, 120, 250], mix="method",
                                                  formats=("mlx-chat", "alpaca"), near_dedup=False))
    assert [s.path.name for s in result.stages] == ["stage-50", "stage-120", "stage-250"]
    split_of: dict[str, str] = {}
    previous: dict[str, set[str]] = {}
    for stage in result.stages:
        current: dict[str, set[str]] = {}
        for split in SPLITS:
            texts = {r["messages"][-1]["content"] for r in read_jsonl(stage.path / "mlx-chat" / f"{split}.jsonl")}
            current[split] = texts
            for text in texts:
                assert split_of.setdefault(text, split) == split  # same split in every stage
        for split in SPLITS:
            assert previous.get(split, set()) <= current[split]
        previous = current
        assert (stage.path / "card.json").exists() and (stage.path / "README.md").exists()
    assert (result.path / "axolotl.yaml").read_text().count("stage-250/alpaca/train.jsonl") == 1
    assert data_dir(project, "st") == result.path / "stage-250" / "mlx-chat"
    assert data_dir(project, "st", stage=50) == result.path / "stage-50" / "mlx-chat"


def test_same_seed_gives_byte_identical_files(project, db) -> None:
    method_library(db)
    spec = dict(size=200, mix="method", formats=ALL_FORMATS, near_dedup=True, seed=7)
    one = build_dataset(project, db, BuildSpec(name="r1", **spec))
    two = build_dataset(project, db, BuildSpec(name="r2", **spec))
    other = build_dataset(project, db, BuildSpec(name="r3", **{**spec, "seed": 8}))
    files = sorted(p.relative_to(one.path) for p in one.path.rglob("*.jsonl"))
    assert len(files) >= 18
    for rel in files:
        assert (one.path / rel).read_bytes() == (two.path / rel).read_bytes()
    assert (one.path / "mlx-chat/train.jsonl").read_bytes() != (other.path / "mlx-chat/train.jsonl").read_bytes()


def test_duplicates_removed_keeping_the_edited_then_earlier(project, db) -> None:
    book = add_book(db, "Dupes", "A", passages=6, per_passage=2)
    originals = sorted(db.examples, key=lambda e: e.id)
    base = originals[0]
    reply = base.completion
    near = reply.replace(reply.split()[3], "changedword", 1) + " extra"
    user = dict(base.student[0])

    def student(answer: str) -> list[dict[str, str]]:
        return [dict(user), {"role": "assistant", "content": answer}]

    edited_copy = Example(passage_id=originals[5].passage_id, book_id=book.id, template_id="conversational",
                          status="accepted", messages=[dict(m) for m in base.messages],
                          student=student("teacher said something else entirely"), student_shape="single",
                          edited_text=reply.upper())
    later_exact = Example(passage_id=originals[7].passage_id, book_id=book.id, template_id="conversational",
                          status="accepted", messages=[dict(m) for m in base.messages],
                          student=student("  " + reply.lower() + " "), student_shape="single")
    later_near = Example(passage_id=originals[9].passage_id, book_id=book.id, template_id="conversational",
                         status="accepted", messages=[dict(m) for m in base.messages],
                         student=student(near), student_shape="single")
    db.examples.add_many([edited_copy, later_exact, later_near])
    result = build_dataset(project, db, BuildSpec(name="d", formats=("mlx-chat", "dpo")))
    dedup = result.card["pool"]["dedup"]
    assert dedup == {"kept": 12, "exact_removed": 2, "near_removed": 1}
    texts = [r["messages"][-1]["content"] for s in SPLITS for r in read_jsonl(result.path / "mlx-chat" / f"{s}.jsonl")]
    assert reply.upper() in texts  # the edited copy won over the earlier original
    assert reply not in texts and near not in texts
    dpo = [r for s in SPLITS for r in read_jsonl(result.path / "dpo" / f"{s}.jsonl")]
    # The pair shares the student prompt (the user turn), never the teacher's request.
    assert dpo == [{"prompt": [user], "chosen": [{"role": "assistant", "content": reply.upper()}],
                    "rejected": [{"role": "assistant", "content": "teacher said something else entirely"}]}]


def test_general_data_mixed_at_its_ratio(project, db, tmp_path: Path) -> None:
    add_book(db, "Only", "Writer", passages=40, per_passage=2)
    general = tmp_path / "general.jsonl"
    with open(general, "w", encoding="utf-8") as handle:
        for number in range(100):
            handle.write(json.dumps({"instruction": f"Question number {number} about item {number * 7}?",
                                     "input": "", "output": f"Answer {number}: " + "word " * (number % 5 + 1)
                                     + f"unique{number}"}) + "\n")
    result = build_dataset(project, db, BuildSpec(name="g", size=68, general_path=general, general_ratio=0.15,
                                                  formats=("mlx-chat", "mlx-completions")))
    stage = result.card["stages"][0]
    assert stage["stats"]["by_source"] == {"example": 68, "general": 12}  # 12 / 80 = 15%
    assert result.card["pool"]["general"] == {"format": "alpaca", "rows": 100}
    rows = [r for s in SPLITS for r in read_jsonl(result.path / "mlx-completions" / f"{s}.jsonl")]
    assert sum(1 for r in rows if r["prompt"].startswith("Question number")) == 12


def test_bad_input_is_refused_and_loses_nothing(project, db, tmp_path: Path) -> None:
    with pytest.raises(EmptyBuildError, match="no accepted examples yet; accept some in Review"):
        build_dataset(project, db, BuildSpec(name="empty"))
    add_book(db, "Only", "Writer", passages=10, per_passage=2)
    first = build_dataset(project, db, BuildSpec(name="keep", formats=("mlx-chat",), near_dedup=False))
    before = (first.path / "mlx-chat" / "train.jsonl").read_bytes()
    with pytest.raises(BuildSpecError, match="already exists"):
        build_dataset(project, db, BuildSpec(name="keep"))
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "a", "completion": "b"}\n{"prompt": "c", "completion": \n', encoding="utf-8")
    with pytest.raises(Exception, match=r"bad.jsonl line 2: not JSON"):
        build_dataset(project, db, BuildSpec(name="keep", general_path=bad, overwrite=True))
    assert (first.path / "mlx-chat" / "train.jsonl").read_bytes() == before
    assert not [p for p in project.exports.iterdir() if p.name.startswith(".")]
    with pytest.raises(BuildSpecError, match="folder name"):
        build_dataset(project, db, BuildSpec(name="../escape"))
    with pytest.raises(BuildSpecError, match="too little for training"):
        build_dataset(project, db, BuildSpec(name="x", valid_ratio=0.5, test_ratio=0.45))
    rebuilt = build_dataset(project, db, BuildSpec(name="keep", formats=("mlx-chat",), near_dedup=False,
                                                   overwrite=True))
    assert (rebuilt.path / "mlx-chat" / "train.jsonl").read_bytes() == before
    assert [b.name for b in list_builds(project)] == ["keep"]


def test_card_says_what_is_in_the_build(project, db) -> None:
    add_book(db, "War and Peace", "Leo Tolstoy", passages=20, per_passage=3, edited_every=4,
             tags=("memory", "grief"))
    add_book(db, "Swann's Way", "Marcel Proust", passages=20, per_passage=3, tags=("time",))
    result = build_dataset(project, db, BuildSpec(name="c", formats=("mlx-chat", "openai"), near_dedup=False))
    card = json.loads((result.path / "card.json").read_text())
    stats = card["stages"][0]["stats"]
    assert stats["examples"] == 120
    assert stats["by_group"] == {"Leo Tolstoy": 60, "Marcel Proust": 60}
    assert stats["by_tag"] == {"time": 60, "grief": 30, "memory": 30}
    assert sum(stats["by_split"].values()) == 120
    assert stats["tokens"]["exact"] is False and "estimate" in stats["tokens"]["method"]
    assert stats["tokens"]["total"] > 0
    assert sum(r["count"] for r in stats["length_histogram"]) == 120
    assert stats["template_versions"]["conversational"] == {"v-conv": 40}
    assert stats["edited_examples"] == 15
    assert card["spec"]["seed"] == project.settings.dataset.seed
    assert card["stages"][0]["formats"]["mlx-chat"]["mlx_lm"]["loader"].startswith("mlx_lm")
    readme = (result.path / "README.md").read_text()
    for needle in ("Leo Tolstoy", "grief", "estimate", "Overlaps: passages train/valid = 0", "v-conv", "Reply length"):
        assert needle in readme


def test_dpo_without_edits_is_not_written_and_the_card_says_why(project, db) -> None:
    add_book(db, "Unedited", "Writer", passages=8, per_passage=2)
    result = build_dataset(project, db, BuildSpec(name="nodpo", formats=("mlx-text", "dpo"), near_dedup=False))
    assert not (result.path / "dpo").exists()
    report = result.card["stages"][0]["formats"]["dpo"]
    assert report["structure"] == "empty" and "no edited examples" in report["note"]
    assert "not written: no edited examples" in (result.path / "README.md").read_text()
    assert sum(len(read_jsonl(result.path / "mlx-text" / f"{s}.jsonl")) for s in SPLITS) == 16
