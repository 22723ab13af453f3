"""What the card and the build's sentences claim, checked against the build they describe (review fixes).

Each test is one claim a person reading README.md, axolotl.yaml or the build's warnings would act on:
the count of passages kept together by text, the rows that carry the persona, the paths "Using it"
names, the stage a shortfall belongs to.
"""

from __future__ import annotations

import json
from pathlib import Path

from core.dataset import BuildSpec, build_dataset
from core.dataset.items import DatasetItem
from core.dataset.leakage import PassageSpan
from core.dataset.split import plan_splits
from tests.dataset.synthetic import add_book


def _item(key: int, passage: int, book: int = 1) -> DatasetItem:
    return DatasetItem(key=key, messages=[{"role": "user", "content": "u"}, {"role": "assistant", "content": "a"}],
                       passage_id=passage, book_id=book, group="g", template_id="t")


def test_linked_passages_count_every_member_of_a_linked_group() -> None:
    # Passages 1 and 2 overlap, 3 and 4 have the same text, 5 stands alone: four passages kept together.
    spans = {1: PassageSpan(1, 1, 0, 100, "alpha beta gamma"), 2: PassageSpan(2, 1, 50, 150, "delta epsilon"),
             3: PassageSpan(3, 1, 400, 450, "The same words."), 4: PassageSpan(4, 2, 0, 50, "the same words"),
             5: PassageSpan(5, 1, 900, 950, "something else entirely")}
    pool = [_item(k, p) for k, p in enumerate((1, 2, 3, 4, 5, 5), 1)]
    plan = plan_splits(pool, 0.1, 0.1, seed=3, spans=spans)
    assert plan.linked() == 4
    assert plan.split_of(pool[0]) == plan.split_of(pool[1]) and plan.split_of(pool[2]) == plan.split_of(pool[3])


def test_no_valid_split_leaves_no_valid_path_in_axolotl_or_the_card(project, db) -> None:
    add_book(db, "A", "Writer One", passages=12, per_passage=2)
    result = build_dataset(project, db, BuildSpec(name="nv", valid_ratio=0.0, formats=("alpaca", "openai"),
                                                  near_dedup=False))
    assert not (result.path / "alpaca" / "valid.jsonl").exists()
    axolotl = (result.path / "axolotl.yaml").read_text()
    assert "alpaca/train.jsonl" in axolotl and "valid.jsonl" not in axolotl
    using = (result.path / "README.md").read_text().split("## Using it")[1]
    assert "openai/valid.jsonl" not in using and "`<build>/openai/train.jsonl`" in using
    assert "needs a valid split" in using


def test_a_staged_card_names_the_stage_folders_and_shortfalls_name_their_stage(project, db) -> None:
    add_book(db, "A", "Writer One", passages=20, per_passage=3)
    add_book(db, "B", "Writer Two", passages=4, per_passage=3)  # 12 examples: short in the second stage
    result = build_dataset(project, db, BuildSpec(name="st", stages=[20, 40], formats=("mlx-chat",),
                                                  near_dedup=False))
    using = (result.path / "README.md").read_text().split("## Using it")[1]
    assert "<build>/stage-SIZE/mlx-chat" in using
    short = [w for w in result.warnings if "Writer Two" in w]
    assert short == ["Stage 40: Writer Two: 12 of 20 wanted (8 short; accept more examples from it or lower its "
                     "weight)"]
    assert all(Path(s.path).is_dir() for s in result.stages)


def test_rows_with_the_persona_are_book_rows_not_general_rows_with_their_own_system(project, db,
                                                                                   tmp_path: Path) -> None:
    add_book(db, "A", "Writer One", passages=20, per_passage=2)
    general = tmp_path / "general.jsonl"
    with open(general, "w", encoding="utf-8") as handle:
        for n in range(60):
            handle.write(json.dumps({"messages": [
                {"role": "system", "content": "You are a calculator."},
                {"role": "user", "content": f"Question {n}: what is {n * 7919 % 1000} times {n * 104729 % 997}?"},
                {"role": "assistant", "content": f"It is {(n * 7919 % 1000) * (n * 104729 % 997)}, number {n}."}]})
                + "\n")
    result = build_dataset(project, db, BuildSpec(name="pg", general_path=general, general_ratio=0.2,
                                                  persona="You notice your own thoughts.", formats=("mlx-chat",),
                                                  near_dedup=False))
    stats = result.card["stages"][0]["stats"]
    assert stats["by_source"]["general"] > 0
    assert stats["conversation"]["with_system_turn"] == stats["by_source"]["example"]
    assert f"Rows with the persona's system turn: {stats['by_source']['example']}." in \
        (result.path / "README.md").read_text()


def test_a_hand_edited_role_is_an_unusable_example_not_a_crash(project, db) -> None:
    from store.records import Example

    book = add_book(db, "A", "Writer One", passages=12, per_passage=2)
    odd = db.examples.add(Example(
        passage_id=db.passages.for_book(book.id)[0].id, book_id=book.id, template_id="direct-monologue",
        status="accepted", student_shape="single",
        student=[{"role": "user", "content": "How was the day?"}, {"role": "narrator", "content": "It rained."},
                 {"role": "assistant", "content": "Long, and then suddenly short."}],
        messages=[{"role": "user", "content": "x"}, {"role": "assistant", "content": "y"}]))
    result = build_dataset(project, db, BuildSpec(name="roles", formats=("sharegpt", "mlx-chat"), near_dedup=False))
    assert result.card["pool"]["malformed"] == [odd.id]
    assert "Unusable (no user turn, no final answer, or a role other than system, user or assistant): 1." in \
        (result.path / "README.md").read_text()


def test_every_dpo_row_maps_back_through_its_dpo_line(project, db) -> None:
    add_book(db, "A", "Writer One", passages=20, per_passage=3, edited_every=4)
    result = build_dataset(project, db, BuildSpec(name="dpo", formats=("mlx-chat", "dpo"), near_dedup=False))
    provenance = [json.loads(line) for line in (result.path / "provenance.jsonl").read_text().splitlines()]
    for split in ("train", "valid", "test"):
        chat = (result.path / "mlx-chat" / f"{split}.jsonl").read_text().splitlines()
        dpo_file = result.path / "dpo" / f"{split}.jsonl"
        dpo = dpo_file.read_text().splitlines() if dpo_file.exists() else []
        entries = [e for e in provenance if e["split"] == split]
        assert [e["line"] for e in entries] == list(range(1, len(chat) + 1))
        with_dpo = [e for e in entries if "dpo_line" in e]
        assert [e["dpo_line"] for e in with_dpo] == list(range(1, len(dpo) + 1))
        for entry in with_dpo:  # the DPO row's chosen answer is that example's row's answer
            chosen = json.loads(dpo[entry["dpo_line"] - 1])["chosen"][0]["content"]
            assert json.loads(chat[entry["line"] - 1])["messages"][-1]["content"] == chosen
        assert all(e["edited"] for e in with_dpo)
    assert any("dpo_line" in e for e in provenance)


def test_general_data_given_at_ratio_zero_is_said_to_be_unused(project, db, tmp_path: Path) -> None:
    add_book(db, "A", "Writer One", passages=12, per_passage=2)
    general = tmp_path / "general.jsonl"
    general.write_text(json.dumps({"instruction": "Add 2 and 2.", "output": "4"}) + "\n", encoding="utf-8")
    result = build_dataset(project, db, BuildSpec(name="g0", general_path=general, general_ratio=0.0,
                                                  formats=("mlx-chat",), near_dedup=False))
    assert result.card["stages"][0]["stats"]["by_source"] == {"example": 24}
    assert f"| general data | none ({general} was given at ratio 0, so not read) |" in \
        (result.path / "README.md").read_text()


def test_the_leakage_heading_names_the_unit_kept_whole(project, db) -> None:
    for n in range(4):
        add_book(db, f"Book {n}", f"Writer {n}", passages=6, per_passage=2)
    result = build_dataset(project, db, BuildSpec(name="bb", group_by="book", valid_ratio=0.25, test_ratio=0.25,
                                                  formats=("mlx-chat",), near_dedup=False))
    readme = (result.path / "README.md").read_text()
    assert "**Leakage** (no book in two splits; checked by text, not only by id)" in readme
    overlaps = result.card["stages"][0]["leakage"]["overlaps"]
    assert all(overlaps[k] == 0 for k in overlaps if k.startswith("books"))


def test_an_empty_project_is_told_to_accept_examples_not_to_use_the_mix_it_uses(project, db) -> None:
    import pytest

    from core.dataset import EmptyBuildError

    with pytest.raises(EmptyBuildError) as caught:
        build_dataset(project, db, BuildSpec(name="none"))
    assert str(caught.value) == ("Nothing to build: the project has no accepted examples yet; accept some in Review "
                                 "(4) or with `interiority decide ID accept`, then build again.")
    add_book(db, "A", "Writer One", passages=3, per_passage=1)
    with pytest.raises(EmptyBuildError, match=r"outside it: Writer One \(3\)\); set those books' groups"):
        build_dataset(project, db, BuildSpec(name="none", mix="method"))
    assert not (project.exports / "none").exists()
