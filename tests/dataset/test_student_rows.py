"""Issue 14's targets on a build made from fake-teacher examples: the rows are student conversations.

The examples come from the real queue and the real `anthropic` SDK against the fake server (forced tool
use), for all six shipped templates; every one is accepted through the review session, built with the
tiny model's tokenizer (exact token counts), then the tiny model trains on the rows.  What is checked is
what a person would check by reading the training files: no teacher's system prompt, no template task
text, no 8 words of the source passage, short natural first user turns, continuity conversations with
several user turns, answers as most of the tokens.
"""

from __future__ import annotations

import asyncio
import json
import statistics
from pathlib import Path

import pytest

from core.dataset import BuildSpec, build_dataset
from core.dataset.build import EmptyBuildError
from core.dataset.spec import BuildSpecError
from core.dataset.split import SPLITS
from core.review.session import ReviewSession
from core.templates import load_templates
from core.training.runner import TrainingRunner
from store.records import Example
from tests.dataset.synthetic import add_book
# `_close_teachers` (autouse) closes the SDK clients `make_queue` opens, inside this test's event loop.
from tests.queue.conftest import _close_teachers, add_passages, make_queue  # noqa: F401
from tests.training.conftest import WORKER_ENV, small_config

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

TEMPLATES = ("monologue", "conversation", "meta-awareness", "continuity", "uncertainty", "desire-resistance")


def grams(text: str, n: int = 8) -> set[tuple[str, ...]]:
    words = "".join(c.lower() if c.isalnum() or c.isspace() else " " for c in text).split()
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def read_rows(folder: Path) -> list[tuple[str, dict]]:
    out = []
    for split in SPLITS:
        path = folder / f"{split}.jsonl"
        if path.exists():
            out += [(split, json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines()]
    return out


def _slow_reader():
    """A review clock on which each card was read for a minute (the careful start wants seconds)."""
    ticks = iter(range(0, 10**9, 60))
    return lambda: float(next(ticks))


async def _generate_and_accept(project, db, fake_anthropic) -> None:
    add_passages(db, 8, templates=TEMPLATES)
    summary = await make_queue(project, db, fake_anthropic).run()
    assert (summary.done, summary.failed) == (48, 0)
    session = ReviewSession(db, project.settings, clock=_slow_reader())
    for example in db.examples.all():
        assert session.accept(example_id=example.id, advance=False).ok


async def test_rows_are_student_conversations_and_meet_the_targets(project, db, fake_anthropic, tiny_model):
    await _generate_and_accept(project, db, fake_anthropic)
    # One example edited in its first user turn and its answer: the rows carry the reviewer's turns.
    edited = db.examples.all()[0]
    turns = [dict(t) for t in edited.final_student]
    turns[0]["content"] = "Honestly I just wanted to hear what you'd say."
    turns[-1]["content"] = turns[-1]["content"] + " Then the kettle again."
    assert ReviewSession(db, project.settings, clock=_slow_reader()).edit_student(turns, edited.id).ok

    result = await asyncio.to_thread(build_dataset, project, db, BuildSpec(
        name="student", formats="all", tokenizer_model=str(tiny_model), near_dedup=False))
    stage = result.card["stages"][0]
    rows = read_rows(result.path / "mlx-chat")
    assert len(rows) == stage["stats"]["examples"] == 48

    templates = load_templates(project, db)
    teacher_grams: set[tuple[str, ...]] = set()
    for template in templates:
        teacher_grams |= grams(template.system) | grams(template.body.replace("{passage}", " "))
    passages = {p.id: p.text for p in db.passages.all()}
    provenance = [json.loads(line) for line in
                  (result.path / "provenance.jsonl").read_text(encoding="utf-8").splitlines()]
    by_place = {(p["split"], p["line"]): p for p in provenance}
    lines_in_split = {split: 0 for split in SPLITS}
    first_user_turns, continuity_users = [], []
    for split, row in rows:
        lines_in_split[split] += 1
        source = by_place[(split, lines_in_split[split])]
        messages = row["messages"]
        assert [m["role"] for m in messages[:1]] == ["user"]  # no persona set: no system turn at all
        text = " ".join(m["content"] for m in messages)
        assert "<passage>" not in text and "{passage}" not in text
        assert not grams(text) & teacher_grams, "a row holds the teacher's system prompt or a template's task"
        assert not grams(text) & grams(passages[source["passage"]]), "a row copies 8+ words of its passage"
        first_user_turns.append(len(messages[0]["content"]))
        if source["template"] == "continuity":
            continuity_users.append(sum(1 for m in messages if m["role"] == "user"))
        example = db.examples.get(source["example"])
        assert messages == example.final_student  # exactly the reviewed student conversation
        assert source["request_hash"] == example.request_hash and source["teacher"] == example.teacher
    assert statistics.median(first_user_turns) < 400
    assert continuity_users and min(continuity_users) >= 2
    conversation = stage["stats"]["conversation"]
    print("student rows:", json.dumps({k: conversation[k] for k in ("tokens", "user_turns", "first_user_turn_chars")}))
    assert conversation["tokens"]["answer_share"] >= 0.5, conversation["tokens"]
    assert stage["stats"]["tokens"]["exact"] is True
    assert conversation["shapes_by_template"]["continuity"] == {"continuity": 8}
    assert conversation["shapes_by_template"]["conversation"] == {"conversation": 8}
    assert conversation["shapes_by_template"]["monologue"] == {"single": 8}
    assert set(conversation["user_turns"]) >= {"1", "2"}
    assert stage["stats"]["provenance"]["distinct_requests"] == 48

    # Every other format: the same conversations; mlx-lm's own loader read every mlx-lm export.
    for fmt in ("mlx-completions", "mlx-text", "alpaca", "sharegpt", "openai"):
        for _split, row in read_rows(result.path / fmt):
            text = json.dumps(row, ensure_ascii=False)
            assert "<passage>" not in text and not grams(text) & teacher_grams, fmt
    for fmt in ("mlx-chat", "mlx-completions", "mlx-text"):
        assert stage["formats"][fmt]["mlx_lm"]["tokenized"], fmt
    (pair,) = [row for _split, row in read_rows(result.path / "dpo")]
    # The pair shares the student prompt: every reviewed turn before the final answer.
    assert pair["prompt"] == db.examples.get(edited.id).final_student[:-1]
    assert pair["prompt"][0] == {"role": "user", "content": "Honestly I just wanted to hear what you'd say."}
    assert pair["chosen"][0]["content"].endswith("Then the kettle again.")
    assert pair["rejected"][0]["content"] == edited.completion

    readme = (result.path / "README.md").read_text(encoding="utf-8")
    assert "What the rows teach" in readme and "Student shapes by template" in readme
    assert "provenance.jsonl" in readme

    # The tiny model trains on these rows.
    runner = TrainingRunner(project, db, env=WORKER_ENV)
    run = await runner.begin("student", tiny_model, small_config(iters=2, steps_per_report=1, steps_per_eval=2,
                                                                 save_every=2, max_seq_length=1024))
    run = await runner.wait(run.name)
    assert run.status == "done", run.error
    assert run.last_train_loss is not None


def test_examples_without_a_student_conversation_are_left_out_and_counted(project, db) -> None:
    add_book(db, "New", "Writer", passages=12, per_passage=2)
    add_book(db, "Old", "Writer", passages=4, per_passage=2, student=False)
    result = build_dataset(project, db, BuildSpec(name="mixed", formats=("mlx-chat",), near_dedup=False))
    assert result.card["stages"][0]["stats"]["examples"] == 24
    assert result.card["pool"]["without_student"] == 8
    (warning,) = [w for w in result.warnings if "student conversation" in w]
    assert warning.startswith("8 accepted examples have no student conversation") and "interiority backfill" in warning
    assert "Left out for want of a student conversation: 8" in (result.path / "README.md").read_text()


def test_a_build_of_only_old_examples_says_how_to_backfill(project, db) -> None:
    add_book(db, "Old", "Writer", passages=3, per_passage=1, student=False)
    with pytest.raises(EmptyBuildError, match=r"Nothing to build: 3 accepted examples have no student .*backfill"):
        build_dataset(project, db, BuildSpec(name="old", formats=("mlx-chat",)))
    assert not (project.exports / "old").exists()


@pytest.mark.parametrize("persona, problem", [
    ("line one\nline two", "one line"),
    ("x" * 301, "at most 300"),
])
def test_a_persona_is_one_short_line(project, db, persona: str, problem: str) -> None:
    add_book(db, "New", "Writer", passages=3, per_passage=1)
    with pytest.raises(BuildSpecError, match=problem):
        build_dataset(project, db, BuildSpec(name="p", formats=("mlx-chat",), persona=persona))


def test_an_edit_of_an_old_example_without_student_is_still_left_out(project, db) -> None:
    """An edit made before student conversations (`edited_text`) cannot make a row by itself."""
    book = add_book(db, "Some", "Writer", passages=3, per_passage=1)
    passage = db.passages.all()[0]
    db.examples.add(Example(passage_id=passage.id, book_id=book.id, template_id="monologue", status="accepted",
                            messages=[{"role": "user", "content": "Task: write."},
                                      {"role": "assistant", "content": "An answer."}],
                            edited_text="An edited answer."))
    result = build_dataset(project, db, BuildSpec(name="e", formats=("mlx-chat",), near_dedup=False))
    assert result.card["pool"]["without_student"] == 1
    texts = [m["content"] for _s, row in read_rows(result.path / "mlx-chat") for m in row["messages"]]
    assert "An edited answer." not in texts and "Task: write." not in texts
