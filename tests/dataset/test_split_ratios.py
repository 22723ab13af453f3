"""Ratios a build cannot honour stop it before anything is written; a ratio of 0 means "no such split" (issue 15)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.cli import main
from core.dataset import BuildSpec, build_dataset
from core.dataset.items import DatasetItem
from core.dataset.select import interleave_splits
from core.dataset.split import SplitError, honour_problem
from store import Database
from tests.dataset.synthetic import add_book


def _nothing_written(project, name: str) -> bool:
    return not (project.exports / name).exists() and not list(project.exports.glob(f".{name}.*"))


def test_three_books_grouped_by_book_stop_with_what_to_change(project, db) -> None:
    """The issue's case: everything went to train, silently, and the card still said 0.1 / 0.1."""
    for number in range(3):
        add_book(db, f"Book {number}", f"Writer {number}", passages=8, per_passage=2)
    with pytest.raises(SplitError) as stopped:
        build_dataset(project, db, BuildSpec(name="three", group_by="book", formats=("mlx-chat",)))
    sentence = str(stopped.value)
    assert sentence.startswith("With 3 books (each kept whole in one split), the build would have no valid rows "
                               "(ratio 0.1) and no test rows (ratio 0.1)")
    assert "evaluation scores a model on the test split" in sentence
    assert sentence.endswith("accept examples from more books, group by passage (--group-by passage), or set "
                             "--valid 0 --test 0 to build without valid and test splits.")
    assert _nothing_written(project, "three")


def test_ratio_zero_is_no_such_split_and_is_said(project, db) -> None:
    for number in range(3):
        add_book(db, f"Book {number}", f"Writer {number}", passages=8, per_passage=2)
    result = build_dataset(project, db, BuildSpec(name="train-only", group_by="book", valid_ratio=0.0,
                                                  test_ratio=0.0, formats=("mlx-chat",)))
    assert result.stages[0].counts == {"train": 48, "valid": 0, "test": 0}
    assert not (result.path / "mlx-chat" / "test.jsonl").exists()
    assert any(w.startswith("There is no test split (test ratio 0): evaluation and held-out probes use the valid")
               for w in result.warnings)
    assert any("training runs without a validation loss" in w for w in result.warnings)
    card = json.loads((result.path / "card.json").read_text())
    assert card["split_plan"]["no_split"] == ["valid", "test"]
    readme = (result.path / "README.md").read_text()
    assert "| ratios (valid / test) | 0.0 (no valid split) / 0.0 (no test split) |" in readme
    assert "**Note:** There is no test split" in readme


def test_four_passages_give_valid_and_test_a_passage_each(project, db) -> None:
    """The issue's second case gave "valid 0, test 0" and evaluation then failed; now each split asked for exists."""
    add_book(db, "Small", "Writer", passages=4, per_passage=1)
    result = build_dataset(project, db, BuildSpec(name="four", formats=("mlx-chat",), near_dedup=False))
    assert result.stages[0].counts == {"train": 2, "valid": 1, "test": 1}
    (note,) = [w for w in result.warnings if w.startswith("The splits hold")]
    assert note.startswith("The splits hold train 50%, valid 25%, test 25% of the examples against 80% / 10% / 10% asked")
    assert result.card["split_plan"]["notes"] == [note]


def test_two_passages_cannot_make_three_splits(project, db) -> None:
    add_book(db, "Tiny", "Writer", passages=2, per_passage=3)
    with pytest.raises(SplitError, match=r"^With 2 passages \(each kept whole in one split\), the build would have no "
                                         r"test rows \(ratio 0.1\), and evaluation scores a model on the test split: "
                                         r"accept examples from more passages, or set --test 0 to build without "
                                         r"test split\.$"):
        build_dataset(project, db, BuildSpec(name="two", formats=("mlx-chat",)))
    assert _nothing_written(project, "two")
    # Asked for two splits only, the same passages build.
    result = build_dataset(project, db, BuildSpec(name="two", test_ratio=0.0, formats=("mlx-chat",), near_dedup=False))
    assert result.stages[0].counts["valid"] == 3 and result.stages[0].counts["test"] == 0


def test_a_stage_too_small_for_its_splits_stops_before_writing(project, db) -> None:
    add_book(db, "Plenty", "Writer", passages=40, per_passage=1)
    with pytest.raises(SplitError, match=r"^Stage 3 would have no (valid|test) rows .*: ask for a larger size or "
                                         r"smallest stage, accept examples from more passages, or set"):
        build_dataset(project, db, BuildSpec(name="st", stages=[3, 30], formats=("mlx-chat",), near_dedup=False))
    assert _nothing_written(project, "st")


def test_honour_problem_is_empty_when_every_split_asked_for_has_rows() -> None:
    ratios = {"train": 0.8, "valid": 0.1, "test": 0.1}
    assert honour_problem({"train": 8, "valid": 1, "test": 1}, ratios, "passage", "The build") == ""
    assert honour_problem({"train": 8, "valid": 0, "test": 0}, {**ratios, "valid": 0.0, "test": 0.0}, "book",
                          "The build") == ""


def test_cli_group_by_book_with_three_books_exits_2_and_persona_reaches_rows(project, capsys) -> None:
    with Database(project.db_path) as db:
        for number in range(3):
            add_book(db, f"Book {number}", f"Writer {number}", passages=8, per_passage=2)
    root = str(project.root)
    assert main(["--project", root, "export", "b", "--group-by", "book", "--format", "mlx-chat"]) == 2
    assert "With 3 books (each kept whole in one split)" in capsys.readouterr().err
    assert main(["--project", root, "export", "p", "--format", "mlx-chat", "--no-near-dedup",
                 "--persona", "You are a person thinking aloud."]) == 0
    rows = (project.exports / "p" / "mlx-chat" / "train.jsonl").read_text(encoding="utf-8").splitlines()
    assert rows and all(json.loads(r)["messages"][0] == {"role": "system", "content": "You are a person thinking aloud."}
                        for r in rows)
    assert main(["--project", root, "export", "q", "--persona", "two\nlines"]) == 2
    assert "The persona is one line" in capsys.readouterr().err


def test_small_stages_hold_each_split_in_its_share(project, db) -> None:
    """A 30-example stage of a 78-example pool used to take a plain prefix and could hold no test row."""
    add_book(db, "War and Peace", "Leo Tolstoy", passages=20, per_passage=3)
    add_book(db, "Swann's Way", "Marcel Proust", passages=6, per_passage=3)
    result = build_dataset(project, db, BuildSpec(name="st30", stages=[30, 60, 78], formats=("mlx-chat",),
                                                  near_dedup=False))
    for stage in result.stages:
        assert all(stage.counts[s] > 0 for s in ("train", "valid", "test")), stage.counts


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["train", "train", "train", "valid", "test"]), min_size=1, max_size=200))
def test_interleaving_keeps_every_prefix_within_one_of_its_share(labels: list[str]) -> None:
    """200 examples: after interleaving, each prefix of k items holds each split's share times k, within 1."""
    items = [DatasetItem(key=k, messages=[], passage_id=k) for k in range(len(labels))]
    split = {item.key: label for item, label in zip(items, labels)}
    ordered = interleave_splits(items, lambda i: split[i.key])
    assert sorted(i.key for i in ordered) == list(range(len(labels)))
    for name in set(labels):
        own = [i.key for i in ordered if split[i.key] == name]
        assert own == sorted(own)  # each split keeps its own order
    shares = {name: labels.count(name) / len(labels) for name in set(labels)}
    seen = {name: 0 for name in shares}
    for position, item in enumerate(ordered, 1):
        seen[split[item.key]] += 1
        assert all(abs(seen[n] - shares[n] * position) < 1 for n in shares), (position, seen)
