"""The Build screen: preview against targets, build with progress, the card, the list of builds."""

from __future__ import annotations

import json

import pytest
from textual.widgets import DataTable, Input, Label, Select

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
        assert "Leo Tolstoy" in screen.preview_shown()

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
        shown = screen.preview_shown()
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
        assert screen.card_name == "screen-build" and screen.card_shown
        assert "## Stage 100" in screen.card_source
        # Rendered, not raw: the card's tables are Markdown tables, and no "|---|" line is on the screen.
        await settle(app, pilot)
        assert screen.query("#build-card MarkdownTable")
        assert "|---|" not in text_of(screen.query_one("#build-card-title"))

        # F6 hides the card, F6 again shows the selected build's card.
        await pilot.press("f6")
        assert not screen.card_shown
        await pilot.press("f6")
        assert screen.card_shown

        # Building the same name again without "replace" is refused with a sentence, and nothing changes.
        notes = record_notifications(app)
        await pilot.press("f8")
        await settle(app, pilot)
        assert any("already exists" in n and 'tick "replace a build of the same name"' in n for n in notes)
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


def _hidden_text(widget, app) -> int:
    """How many lines of a label's wrapped text do not fit in its box (0: all of it shows)."""
    width = max(1, widget.content_size.width)
    lines = widget.render().wrap(width)
    return max(0, len(lines) - widget.content_size.height)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_labels_fit_and_the_builds_table_shows_its_rows(make_app, project, db, size) -> None:
    """Issue 18 bug 10: "Size (blank: all) or stages (e.g. 200,500,1" was cut, and the builds table showed no
    row at 120x40 (its horizontal scrollbar covered the only row); both at 80x24 and 120x40."""
    from core.dataset import BuildSpec, build_dataset

    add_book(db, "War and Peace", "Leo Tolstoy", passages=20, per_passage=3)
    add_book(db, "Swann's Way", "Marcel Proust", passages=6, per_passage=3)
    build_dataset(project, db, BuildSpec(name="a-rather-long-build-name", stages=[30, 60, 78], mix="method",
                                         formats="mlx-chat"))
    app = make_app()
    async with app.run_test(size=size) as pilot:
        screen = await _open_build(app, pilot)
        screen.query_one("#build-mix", Select).value = "method"  # the longest preview: every group short
        await settle(app, pilot)
        form = screen.query_one("#build-form")
        labels = list(form.query(Label))
        assert any("Size or stages" in text_of(label) for label in labels)
        for label in labels:
            assert label.content_size.width > 0 and _hidden_text(label, app) == 0, text_of(label)
        table = screen.query_one("#build-builds", DataTable)
        assert table.row_count == 1
        footer_top = size[1] - 1
        # The header, the row and a possible horizontal scrollbar all fit, on the screen, above the footer.
        assert table.region.height >= table.row_count + 2 and table.region.bottom <= footer_top
        assert table.region.width > 20
        visible_rows = table.scrollable_content_region.height - table.header_height
        assert visible_rows >= table.row_count, (table.show_horizontal_scrollbar, table.region)


async def test_ratios_grouping_and_persona_from_the_form(make_app, project, db) -> None:
    """The form offers valid/test shares and the grouping: a build that cannot honour them says so before F8,
    stops with the sentence, and writes nothing; shares of 0 build; the persona reaches every row."""
    for number in range(3):
        add_book(db, f"Book {number}", f"Writer {number}", passages=6, per_passage=2)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_build(app, pilot)
        screen.query_one("#build-group-by", Select).value = "book"
        await settle(app, pilot)
        assert screen.last_preview.split_problem.startswith("With 3 books (each kept whole in one split)")
        assert "The build would stop: With 3 books" in screen.preview_shown()
        screen.query_one("#build-name", Input).value = "by-book"
        screen.query_one("#build-formats", Input).value = "mlx-chat"
        notes = record_notifications(app)
        await pilot.press("f8")
        await settle(app, pilot)
        assert any(n.startswith("With 3 books") for n in notes)
        assert "The build stopped: With 3 books" in text_of(screen.query_one("#build-status"))
        assert not (project.exports / "by-book").exists()

        screen.query_one("#build-valid", Input).value = "0"
        screen.query_one("#build-test", Input).value = "0"
        screen.query_one("#build-persona", Input).value = "You think aloud."
        await settle(app, pilot)
        assert screen.last_preview.split_problem == ""
        assert "There is no test split" in screen.preview_shown()
        await pilot.press("f8")
        await settle(app, pilot)
        rows = (project.exports / "by-book" / "mlx-chat" / "train.jsonl").read_text(encoding="utf-8").splitlines()
        assert len(rows) == 36
        assert all(json.loads(r)["messages"][0] == {"role": "system", "content": "You think aloud."} for r in rows)
        assert not (project.exports / "by-book" / "mlx-chat" / "test.jsonl").exists()
        assert "There is no test split (test ratio 0)" in text_of(screen.query_one("#build-status"))


async def test_a_build_shows_its_phase_and_time_and_never_blocks(make_app, project, db, monkeypatch) -> None:
    """Issue 18: progress for every wait over a second; the build runs in a worker while the screen answers."""
    import threading

    import core.dataset

    add_book(db, "Only", "Writer", passages=5, per_passage=2)
    release = threading.Event()
    reached = threading.Event()

    def slow_build(project, db, spec, progress=None):
        progress("dedup", 5, 10)
        reached.set()
        release.wait(30)
        raise core.dataset.EmptyBuildError("Nothing to build (a test build that stops on purpose).")

    monkeypatch.setattr(core.dataset, "build_dataset", slow_build)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_build(app, pilot)
        await pilot.press("f8")
        while not reached.is_set():
            await pilot.pause()
        await pilot.pause()
        await pilot.pause()
        assert screen.building
        status = text_of(screen.query_one("#build-status"))
        assert status.startswith("Removing duplicates 5/10 (") and status.endswith(" s)")
        assert screen.query_one("#build-progress").display
        await pilot.press("f6")  # the screen still answers keys while the build works
        await pilot.pause()
        release.set()
        await settle(app, pilot)
        assert not screen.building
        assert text_of(screen.query_one("#build-status")).startswith("The build stopped: Nothing to build")


def test_phase_text_names_the_phase_and_its_detail() -> None:
    from tui.screens.build import phase_text

    assert phase_text("export stage-200: alpaca", 1, 7) == "Writing stage-200: alpaca 1/7"
    assert phase_text("export .", 0, 1) == "Writing 0/1"
    assert phase_text("collect", 0, 0) == "Collecting accepted examples"
    assert phase_text("something new", 0, 0) == "Something new"


async def test_an_earlier_preview_that_finishes_last_does_not_replace_the_newer(make_app, project, db,
                                                                                 monkeypatch) -> None:
    """Typing "50" starts a preview for "5" then one for "50"; the first may finish last and must be dropped."""
    import threading

    import core.dataset

    add_book(db, "Only", "Writer", passages=30, per_passage=2)
    real = core.dataset.preview_mix
    first_waits = threading.Event()
    seen: list[object] = []

    def preview(project, db, spec):
        seen.append(spec.size)
        if spec.size == 5:
            first_waits.wait(30)  # held until the newer preview is on screen
        return real(project, db, spec)

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_build(app, pilot)
        monkeypatch.setattr(core.dataset, "preview_mix", preview)
        screen.query_one("#build-size", Input).value = "5"
        while 5 not in seen:
            await pilot.pause()
        screen.query_one("#build-size", Input).value = "50"
        while screen.last_preview is None or screen.last_preview.stages != [50]:
            await pilot.pause()
        first_waits.set()
        await settle(app, pilot)
        await app.workers.wait_for_complete()
        await settle(app, pilot)
        assert screen.last_preview.stages == [50]
        assert "50/" in screen.preview_shown()


async def test_an_unexpected_build_error_is_a_whole_sentence(make_app, project, db, monkeypatch) -> None:
    import core.dataset

    add_book(db, "Only", "Writer", passages=5, per_passage=2)

    def broken(project, db, spec, progress=None):
        raise RuntimeError("boom")

    monkeypatch.setattr(core.dataset, "build_dataset", broken)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_build(app, pilot)
        await pilot.press("f8")
        await settle(app, pilot)
        assert text_of(screen.query_one("#build-status")) == "The build stopped. Nothing was changed under exports/."


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_card_has_rows_after_a_build_with_notes(make_app, project, db, size) -> None:
    """At 80x24 a build whose status held notes (no test split, shortfalls) filled eight rows and left the card
    none; the card now takes the preview's place and the status keeps three rows; F5 brings the preview back."""
    from core.dataset import BuildSpec, build_dataset

    add_book(db, "War and Peace", "Leo Tolstoy", passages=20, per_passage=3)
    add_book(db, "Swann's Way", "Marcel Proust", passages=6, per_passage=3)
    for n in range(5):  # a full builds table
        build_dataset(project, db, BuildSpec(name=f"b{n}", formats="mlx-chat"))
    app = make_app()
    async with app.run_test(size=size) as pilot:
        screen = await _open_build(app, pilot)
        screen.query_one("#build-mix", Select).value = "method"  # every group but two short: long notes
        screen.query_one("#build-test", Input).value = "0"
        screen.query_one("#build-stages", Input).value = "30,60"
        screen.query_one("#build-formats", Input).value = "mlx-chat"
        await settle(app, pilot)
        await pilot.press("f8")
        await settle(app, pilot)
        assert screen.last_result is not None and screen.card_shown
        assert "There is no test split" in text_of(screen.query_one("#build-status"))
        box = screen.query_one("#build-card-box")
        footer_top = size[1] - 1
        assert box.region.height >= (6 if size == (80, 24) else 15) and box.region.bottom <= footer_top
        assert screen.query_one("#build-status").region.height <= 3
        await pilot.press("f5")
        await settle(app, pilot)
        assert not screen.card_shown and screen.query_one("#build-preview-box").region.height >= 3
        assert screen.query_one("#build-status").region.height > 3  # the whole status again

        # A build that stops while a card shows hides the card, so its sentence is whole on the screen.
        await pilot.press("f6")
        assert screen.card_shown
        await pilot.press("f8")  # the same name again: refused
        await settle(app, pilot)
        assert not screen.card_shown
        status = screen.query_one("#build-status")
        assert "already exists" in text_of(status) and status.region.height > 3
