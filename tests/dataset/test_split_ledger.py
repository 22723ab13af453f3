"""Splits do not move between builds: the split ledger (store/splits.py) and `plan_splits(ledger=)`.

The contamination it prevents: build, accept more examples, build again with the same seed, ratios and
grouping; the quotas over the larger pool moved passages between splits (6 of 30 here), so a model trained
on the first build was then scored on the second build's test split, which held text it had trained on.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.cli import main
from core.dataset import BuildSpec, build_dataset, preview_mix
from core.dataset.build import BuildWriteError
from core.dataset.items import DatasetItem
from core.dataset.leakage import PassageSpan
from core.dataset.split import SPLITS, SplitError, continuity_notes, plan_splits
from store import Database
from store.records import Example, Passage
from tests.dataset.synthetic import add_book, random_text

SPEC = dict(formats=("mlx-chat",), near_dedup=False)


def splits_of(build: Path) -> dict[int, str]:
    """Passage id -> its split in a written build (from provenance.jsonl)."""
    out: dict[int, str] = {}
    for line in (build / "provenance.jsonl").read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        if entry.get("passage"):
            assert out.setdefault(entry["passage"], entry["split"]) == entry["split"]
    return out


def three_then_six_books(project, db, **second) -> tuple[dict[int, str], dict[int, str]]:
    for number in range(3):
        add_book(db, f"Book {number}", f"Writer {number}", passages=10, per_passage=2)
    one = build_dataset(project, db, BuildSpec(name="one", **SPEC))
    for number in range(3, 6):
        add_book(db, f"Book {number}", f"Writer {number}", passages=10, per_passage=2)
    two = build_dataset(project, db, BuildSpec(name="two", **SPEC, **second))
    return splits_of(one.path), splits_of(two.path)


def test_without_the_ledger_more_examples_move_passages(project, db) -> None:
    """The bug, kept visible: planned afresh (--reshuffle), the larger pool moves earlier passages."""
    first, second = three_then_six_books(project, db, reshuffle=True)
    moved = [p for p in first if first[p] != second[p]]
    assert len(first) == 30 and len(second) == 60
    assert len(moved) >= 3, moved  # 6 of 30 with these books; any move contaminates a comparison


def test_more_examples_keep_every_earlier_passage_split(project, db) -> None:
    first, second = three_then_six_books(project, db)
    assert {p: second[p] for p in first} == first
    assert set(Counter(first.values())) == set(SPLITS)  # every split held some earlier passages
    card = json.loads((project.exports / "two" / "card.json").read_text())
    assert card["split_plan"]["earlier_builds"] == {"unit": "passage", "kept": 30, "new": 30, "moved": 0,
                                                    "moves": [], "reshuffled": False}
    readme = (project.exports / "two" / "README.md").read_text()
    assert ("Passages in the split an earlier build gave them: 30; new to any build: 30; moved to another "
            "split: 0. A later build keeps these splits") in readme
    # The new passages still follow the quotas: the build's shares stay near 80 / 10 / 10.
    shares = Counter(second.values())
    assert shares["train"] >= 42 and shares["valid"] >= 4 and shares["test"] >= 4, shares
    # The ledger is what makes it so, and it holds each passage once, as the first build gave it.
    ledger = db.split_ledger.splits("passage")
    assert {p: ledger[p] for p in first} == first and len(ledger) == 60
    assert {e.build for e in db.split_ledger if e.key in first} == {"one"}


def test_by_book_the_ledger_keeps_each_book_split(project, db) -> None:
    for number in range(10):
        add_book(db, f"Book {number}", f"Writer {number}", passages=4, per_passage=1)
    one = build_dataset(project, db, BuildSpec(name="one", group_by="book", **SPEC))
    for number in range(10, 20):
        add_book(db, f"Book {number}", f"Writer {number}", passages=4, per_passage=1)
    two = build_dataset(project, db, BuildSpec(name="two", group_by="book", **SPEC))
    first, second = splits_of(one.path), splits_of(two.path)
    assert {p: second[p] for p in first} == first
    assert two.card["split_plan"]["earlier_builds"]["unit"] == "book"
    assert two.card["split_plan"]["earlier_builds"]["kept"] == 10
    assert len(db.split_ledger.splits("book")) == 20 and db.split_ledger.splits("passage") == {}


def _item(key: int, passage_id: int, book_id: int = 1) -> DatasetItem:
    return DatasetItem(key=key, messages=[{"role": "user", "content": "hi"},
                                          {"role": "assistant", "content": f"answer {key}"}],
                       passage_id=passage_id, book_id=book_id)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(first=st.lists(st.integers(1, 4), min_size=4, max_size=40),
       added=st.lists(st.integers(1, 4), min_size=0, max_size=60),
       books=st.integers(1, 12), seed=st.integers(0, 10_000), group_by=st.sampled_from(["passage", "book"]),
       valid=st.sampled_from([0.0, 0.1, 0.2]), test=st.sampled_from([0.0, 0.1, 0.3]))
def test_ledger_splits_hold_and_new_units_follow_the_quotas(first, added, books, seed, group_by, valid, test) -> None:
    """For random pools and additions: every recorded passage (book) keeps its split, and the new units go
    only to splits still below their quota, so none ends more than one unit over it."""
    def pool(sizes: list[int], offset: int, book_ids: int) -> list[DatasetItem]:
        rng = random.Random(f"{seed}|{offset}")
        book_of = [rng.randint(1, book_ids) for _ in sizes]
        return [_item((offset + n) * 10 + k, offset + n, book_of[n]) for n, size in enumerate(sizes) for k in range(size)]
    # New passages are always new units by passage; by book, about half join books already recorded.
    old, new = pool(first, 0, books), pool(added, 1000, books * 2)
    ratios = {"train": 1 - valid - test, "valid": valid, "test": test}
    plan1 = plan_splits(old, valid, test, seed, group_by)
    ledger = plan1.assignments(old)
    if group_by == "passage":  # with 4+ passages the first build fills every split asked for
        assert {s for s in SPLITS if ratios[s] > 0} <= set(ledger.values())
    plan2 = plan_splits(old + new, valid, test, seed, group_by, ledger=ledger)
    now = plan2.assignments(old + new)
    assert {key: now[key] for key in ledger} == ledger
    assert plan2.continuity(old + new)["moved"] == 0
    sizes = Counter(plan2.unit(i) for i in old + new)
    held = {plan2.unit(i) for i in old}
    new_units = set(sizes) - held
    kept = Counter(plan2.split_of(i) for i in old + new if plan2.unit(i) in held)
    final = Counter(plan2.split_of(i) for i in old + new)
    largest = max((sizes[u] for u in new_units), default=0)
    total = len(old) + len(new)
    for split in SPLITS:
        if ratios[split] <= 0:
            assert final[split] == 0
        elif final[split] > kept[split]:  # it took new units: only while under its quota
            assert final[split] < ratios[split] * total + largest, (split, final, kept)


def _spans(count: int) -> dict[int, PassageSpan]:
    rng = random.Random(count)
    return {p: PassageSpan(p, 1, p * 1000, p * 1000 + 500, random_text(rng, 80)) for p in range(1, count + 1)}


def test_linked_passages_of_two_splits_go_where_most_examples_were() -> None:
    """A later passage overlapping passages 1 (train, 3 examples) and 2 (test, 1 example) joins them in train;
    passage 2 is counted as moved, with why."""
    spans = _spans(12)
    spans[13] = PassageSpan(13, 1, 1200, 2200, random_text(random.Random(0), 80))  # overlaps 1 and 2
    items = [_item(k, 1) for k in (1, 2, 3)] + [_item(4, 2), _item(5, 13)]
    items += [_item(100 + p, p) for p in range(3, 13)]
    ledger = {1: "train", 2: "test"} | {p: "train" for p in range(3, 13)}
    plan = plan_splits(items, 0.1, 0.1, 7, spans=spans, ledger=ledger)
    assert {plan.split_of(i) for i in items if i.passage_id in (1, 2, 13)} == {"train"}
    report = plan.continuity(items)
    assert report["kept"] == 11 and report["new"] == 1 and report["moved"] == 1
    assert report["moves"] == [{"from": "test", "to": "train", "why": "linked", "count": 1}]
    (note,) = continuity_notes(report)
    assert note.startswith("1 passage moved from test to train, because they now share text with passages of "
                           "another split")
    assert "do not compare it with earlier builds' models on their test split" in note


@pytest.mark.parametrize("second, expected", [("test", "test"), ("valid", "valid")])
def test_a_tie_goes_to_the_held_out_split(second: str, expected: str) -> None:
    spans = _spans(3)
    spans[4] = PassageSpan(4, 1, 1200, 2200, random_text(random.Random(0), 80))
    items = [_item(1, 1), _item(2, 2), _item(3, 4), _item(4, 3)]
    plan = plan_splits(items, 0.1, 0.1, 3, spans=spans, ledger={1: "train", 2: second, 3: "valid"})
    assert plan.split_of(items[0]) == plan.split_of(items[1]) == plan.split_of(items[2]) == expected
    assert plan.continuity(items)["moves"] == [{"from": "train", "to": expected, "why": "linked", "count": 1}]


def test_linked_later_in_the_store_the_build_keeps_them_together(project, db) -> None:
    """End to end: a new passage spanning two recorded passages of different splits; no text in two splits."""
    book = add_book(db, "Linked", "Writer", passages=20, per_passage=1)
    one = build_dataset(project, db, BuildSpec(name="one", **SPEC))
    first = splits_of(one.path)
    passages = sorted(db.passages.where_eq(book_id=book.id), key=lambda p: p.start)
    a, b = next((x, y) for x, y in zip(passages, passages[1:]) if first[x.id] != first[y.id])
    bridge = db.passages.add(Passage(book_id=book.id, start=a.start + 10, end=b.end - 10, text=a.text + b.text))
    rng = random.Random(5)
    db.examples.add(Example(passage_id=bridge.id, book_id=book.id, template_id="t", template_version="v",
                            teacher="fake", status="accepted", student_shape="single",
                            student=[{"role": "user", "content": random_text(rng, 8)},
                                     {"role": "assistant", "content": random_text(rng, 60)}]))
    two = build_dataset(project, db, BuildSpec(name="two", **SPEC))
    second = splits_of(two.path)
    held = "test" if "test" in (first[a.id], first[b.id]) else "valid"  # one example each: the tie rule
    assert second[a.id] == second[b.id] == second[bridge.id] == held
    assert all(second[p] == first[p] for p in first if p not in (a.id, b.id))
    earlier = two.card["split_plan"]["earlier_builds"]
    assert earlier["moved"] == 1 and earlier["new"] == 1 and earlier["kept"] == 19
    assert any(" moved from " in note for note in two.card["split_plan"]["notes"])


def test_a_split_asked_away_sends_its_passages_to_train_and_says_so(project, db) -> None:
    add_book(db, "Plenty", "Writer", passages=30, per_passage=1)
    first = splits_of(build_dataset(project, db, BuildSpec(name="one", **SPEC)).path)
    two = build_dataset(project, db, BuildSpec(name="two", test_ratio=0.0, **SPEC))
    second = splits_of(two.path)
    was_test = [p for p, s in first.items() if s == "test"]
    assert was_test and all(second[p] == "train" for p in was_test)
    assert all(second[p] == s for p, s in first.items() if s != "test")
    earlier = two.card["split_plan"]["earlier_builds"]
    assert earlier["moves"] == [{"from": "test", "to": "train", "why": "no_split", "count": len(was_test)}]
    readme = (two.path / "README.md").read_text()
    assert (f"**Note:** {len(was_test)} passages that earlier builds put in test are in train now, because this "
            f"build has no test split (test ratio 0, as asked)") in readme
    # The ledger keeps the first split: asked for a test split again, they are test passages again.
    three = splits_of(build_dataset(project, db, BuildSpec(name="three", **SPEC)).path)
    assert three == first


def test_reshuffle_ignores_the_ledger_and_rewrites_it(project) -> None:
    with Database(project.db_path) as db:
        for number in range(3):
            add_book(db, f"Book {number}", f"Writer {number}", passages=10, per_passage=2)
    root = str(project.root)
    assert main(["--project", root, "export", "one", "--format", "mlx-chat", "--seed", "1", "--json"]) == 0
    assert main(["--project", root, "export", "two", "--format", "mlx-chat", "--seed", "2", "--json"]) == 0
    assert main(["--project", root, "export", "fresh", "--format", "mlx-chat", "--seed", "2", "--reshuffle",
                 "--json"]) == 0
    one, two, fresh = (splits_of(project.exports / name) for name in ("one", "two", "fresh"))
    assert two == one  # a new seed alone keeps the ledger's splits
    assert fresh != one  # --reshuffle split afresh with seed 2
    with Database(project.db_path) as reopened:
        assert reopened.split_ledger.splits("passage") == fresh
        assert {entry.build for entry in reopened.split_ledger} == {"fresh"}
    card = json.loads((project.exports / "fresh" / "card.json").read_text())
    assert card["split_plan"]["earlier_builds"]["reshuffled"] is True and card["spec"]["reshuffle"] is True
    assert "Split afresh (--reshuffle)" in (project.exports / "fresh" / "README.md").read_text()
    assert main(["--project", root, "export", "after", "--format", "mlx-chat", "--seed", "1", "--json"]) == 0
    assert splits_of(project.exports / "after") == fresh


def test_the_ledger_survives_reopening_and_a_read_only_open(project, db) -> None:
    add_book(db, "Kept", "Writer", passages=12, per_passage=1)
    first = splits_of(build_dataset(project, db, BuildSpec(name="one", **SPEC)).path)
    db.close()
    with Database(project.db_path) as reopened:
        assert reopened.split_ledger.splits("passage") == first
    with Database(project.db_path, read_only=True) as reader:
        assert reader.split_ledger.splits("passage") == first
        # A preview reads the ledger (it plans as the build would) and writes nothing.
        expected = {s: sum(1 for split in first.values() if split == s) for s in SPLITS}
        assert preview_mix(project, reader, BuildSpec(name="p", **SPEC)).splits["all"] == expected


def test_a_preview_writes_no_ledger_entries(project, db) -> None:
    add_book(db, "Previewed", "Writer", passages=12, per_passage=1)
    preview_mix(project, db, BuildSpec(name="p", **SPEC))
    assert len(db.split_ledger) == 0


def test_a_build_that_stops_records_nothing(project, db) -> None:
    add_book(db, "Tiny", "Writer", passages=2, per_passage=3)
    with pytest.raises(SplitError):
        build_dataset(project, db, BuildSpec(name="two", **SPEC))
    assert len(db.split_ledger) == 0


def test_a_build_that_cannot_be_written_records_nothing(project, db, monkeypatch) -> None:
    add_book(db, "Unwritten", "Writer", passages=12, per_passage=1)

    def refuse(staging: Path, destination: Path) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("core.dataset.build._swap_into_place", refuse)
    with pytest.raises(BuildWriteError):
        build_dataset(project, db, BuildSpec(name="one", **SPEC))
    assert len(db.split_ledger) == 0


def test_a_ledger_that_pins_every_passage_out_of_a_split_names_reshuffle(project, db) -> None:
    """Built without a test split, then asked for one with no new passages: only --reshuffle can make one."""
    add_book(db, "Pinned", "Writer", passages=10, per_passage=1)
    build_dataset(project, db, BuildSpec(name="one", test_ratio=0.0, **SPEC))
    with pytest.raises(SplitError, match=r"build with --reshuffle to split afresh \(earlier builds' splits are then "
                                         r"not kept\)\.$"):
        build_dataset(project, db, BuildSpec(name="two", **SPEC))
    result = build_dataset(project, db, BuildSpec(name="two", reshuffle=True, **SPEC))
    assert result.stages[0].counts["test"] >= 1
