"""The Plan screen starts from a build's real token count (issue 18): the newest build by default, each stage
a choice, the number's source on screen, and the typed count only when no build is chosen."""

from __future__ import annotations

import json

from textual.widgets import Input, Select

from tests.dataset.synthetic import add_book
from tests.tui.conftest import SIZE
from tests.tui.helpers import settle, text_of


def _train(project, name: str, size: int) -> int:
    """The train split's tokens of the stage of that size (the one stage of a plain build has its size too)."""
    card = json.loads((project.exports / name / "card.json").read_text(encoding="utf-8"))
    return next(s for s in card["stages"] if s["size"] == size)["stats"]["tokens"]["by_split"]["train"]


async def test_the_newest_build_is_planned_with_its_train_tokens(make_app, project, db):
    from core.dataset import BuildSpec, build_dataset

    add_book(db, "War and Peace", "Leo Tolstoy", passages=20, per_passage=3)
    build_dataset(project, db, BuildSpec(name="older", size=30, mix="balanced", formats="mlx-chat"))
    card = project.exports / "older" / "card.json"
    data = json.loads(card.read_text(encoding="utf-8"))
    data["built_at"] = "2000-01-01T00:00:00+0000"  # two builds in one second: make the order certain
    card.write_text(json.dumps(data), encoding="utf-8")
    build_dataset(project, db, BuildSpec(name="newer", stages=[20, 40], mix="balanced", formats="mlx-chat"))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.show_screen("plan")
        await settle(app, pilot)
        screen = app.screen
        select = screen.query_one("#plan-build", Select)
        tokens_field = screen.query_one("#plan-tokens", Input)
        assert select.value == "newer/stage-40" and tokens_field.disabled
        big = _train(project, "newer", 40)
        note = f"newer/stage-40: {big:,} tokens (train split, estimate chars/4)"
        assert screen.last_plan["tokens"] == big and screen.tokens_note == note
        assert note in text_of(screen.query_one("#plan-dataset-note"))
        assert f"Dataset: {note}" in text_of(screen.query_one("#plan-verdict"))

        # Another stage, then another build: the plan recomputes from each card.
        select.value = "newer/stage-20"
        await settle(app, pilot)
        assert screen.last_plan["tokens"] == _train(project, "newer", 20) < big
        select.value = "older"
        await settle(app, pilot)
        assert screen.last_plan["tokens"] == _train(project, "older", 30)
        assert screen.tokens_note.startswith("older: ")

        # The typed count: the field comes back, and the screen says the number was typed.
        select.value = ""
        await settle(app, pilot)
        assert not tokens_field.disabled and screen.last_plan["tokens"] == 3_000_000
        assert "3,000,000 tokens (typed above)" in text_of(screen.query_one("#plan-verdict"))


async def test_a_build_made_while_the_studio_runs_becomes_the_choice(make_app, project, db):
    from core.dataset import BuildSpec, build_dataset

    add_book(db, "War and Peace", "Leo Tolstoy", passages=20, per_passage=3)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.show_screen("plan")
        await settle(app, pilot)
        screen = app.screen
        assert screen.query_one("#plan-build", Select).value == "" and screen.last_plan["tokens"] == 3_000_000
        build_dataset(project, db, BuildSpec(name="fresh", size=25, mix="balanced", formats="mlx-chat"))
        app.show_screen("library")
        await settle(app, pilot)
        app.show_screen("plan")
        await settle(app, pilot)
        assert screen.query_one("#plan-build", Select).value == "fresh"
        assert screen.last_plan["tokens"] == _train(project, "fresh", 25)
