"""The Build screen: preview against targets, build with progress, the card, the list of builds."""

from __future__ import annotations

import json

from textual.widgets import DataTable, Input, Select, Static

from tests.dataset.synthetic import add_book
from tests.tui.conftest import SIZE
from tests.tui.helpers import record_notifications, settle, text_of


async def _open_build(app, pilot):
    app.show_screen("build")
    await settle(app, pilot)
    return app.screen


async def test_preview_build_and_card(make_app, project, db):
    add_book(db, "War and Peace", "Leo Tolstoy", passages=20, per_passage=3)
    add_book(db, "Swann's Way", "Marcel Proust", passages=6, per_passage=3)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_build(app, pilot)
        assert type(screen).__name__ == "BuildScreen"
        # Balanced over all examples by default: both groups, no shortfall.
        rows = {r.group: r for r in screen.last_preview.rows}
        assert rows["Leo Tolstoy"].available == 60 and rows["Marcel Proust"].available == 18
        assert "Leo Tolstoy" in text_of(screen.query_one("#build-preview"))

        # The method mix at two stages: Proust falls short at 100, and the preview says so before building.
        screen.query_one("#build-mix", Select).value = "method"
        stages = screen.query_one("#build-stages", Input)
        stages.focus()
        await pilot.press(*"40,100")
        await settle(app, pilot)
        preview = screen.last_preview
        assert preview.stages == [40, 100]
        rows = {r.group: r for r in preview.rows}
        assert rows["War and Peace"].targets == {"40": 8, "100": 20}
        assert rows["Proust"].taken == {"40": 7, "100": 17}
        shown = text_of(screen.query_one("#build-preview"))
        assert "short: Dostoevsky (40: 0 of 5; 100: 0 of 13)" in shown and "short: Proust" not in shown

        name = screen.query_one("#build-name", Input)
        name.value = "screen-build"
        # Two formats keep the test quick (the mlx-lm read-back is covered in tests/dataset).
        screen.query_one("#build-formats", Input).value = "alpaca,sharegpt"
        await pilot.press("f8")
        await settle(app, pilot)
        assert not screen.building and screen.last_result is not None
        assert [s.size for s in screen.last_result.stages] == [40, 100]
        card = json.loads((project.exports / "screen-build" / "card.json").read_text())
        assert [s["size"] for s in card["stages"]] == [40, 100]
        assert "Built screen-build" in text_of(screen.query_one("#build-status"))
        table = screen.query_one("#build-builds", DataTable)
        assert table.row_count == 1
        assert screen.card_name == "screen-build" and screen.query_one("#build-card", Static).display
        assert "Stage 100" in text_of(screen.query_one("#build-card"))

        # F6 hides the card, F6 again shows the selected build's card.
        await pilot.press("f6")
        assert not screen.query_one("#build-card", Static).display
        await pilot.press("f6")
        assert screen.query_one("#build-card", Static).display

        # Building the same name again without "replace" is refused with a sentence, and nothing changes.
        notes = record_notifications(app)
        await pilot.press("f8")
        await settle(app, pilot)
        assert any("already exists" in n for n in notes)
        assert json.loads((project.exports / "screen-build" / "card.json").read_text())["built_at"] == card["built_at"]


async def test_bad_input_shows_a_sentence(make_app, project, db, tmp_path):
    add_book(db, "Only", "Writer", passages=5, per_passage=2)
    bad = tmp_path / "general.jsonl"
    bad.write_text('{"prompt": "a", "completion": "b"}\nnot json\n', encoding="utf-8")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_build(app, pilot)
        screen.query_one("#build-general", Input).value = str(bad)
        await settle(app, pilot)
        assert f"{bad} line 2: not JSON" in screen.last_error
        screen.query_one("#build-general", Input).value = ""
        screen.query_one("#build-size", Input).value = "many"
        await settle(app, pilot)
        assert "Size must be a number" in screen.last_error
