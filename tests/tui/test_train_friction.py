"""Issue 18's Train-screen friction: status line at 120 columns, elapsed on re-attach, the form fitted to the
model and remembered, builds refreshed, F9 from any tab, samples side by side, History's latest comparison."""

from __future__ import annotations

import pytest
from textual.geometry import Region
from textual.widgets import Collapsible, DataTable, Input, Select, Static

from core.training.history import latest_comparison
from store.comparisons import Comparison, PairVerdict
from tests.fixtures.tiny_model import tiny_chat_dataset
from tests.tui.helpers import settle
from tests.tui.test_train_chart import add_finished_run
from tui.screens.train import EvaluationDone


def rendered(widget) -> str:
    return "\n".join(strip.text for strip in widget.render_lines(Region(0, 0, widget.size.width, widget.size.height)))


async def test_status_keeps_elapsed_and_eta_at_120_columns_after_reopening(make_app, project, db) -> None:
    add_finished_run(project, db, name="20261201-101010-a-long-build-name-here")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.show_screen("train")
        await settle(app, pilot)
        stats = rendered(app.screen.query_one("#train-stats"))
        assert "elapsed 0:05:03" in stats  # from the progress file: loading at 1000 s, done at 1303 s
        assert "ETA 0:00:00" in stats and "done   iteration 300/300" in stats
        assert "loss 0.7770  val 1.6000 (answer tokens)" in stats


async def test_status_keeps_each_figure_whole_at_80_columns(make_app, project, db) -> None:
    """At 80 columns the live panel is about 46 wide: a line of times and losses wrapped between "val" and -."""
    add_finished_run(project, db, name="20261201-101010-a-long-build-name-here")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.show_screen("train")
        await settle(app, pilot)
        stats = app.screen.query_one("#train-stats")
        lines = [line.rstrip() for line in rendered(stats).splitlines() if line.strip()]
        assert stats.region.right <= 80 and stats.size.width < 50
        for whole in ("elapsed 0:05:03   ETA 0:00:00", "loss 0.7770  val 1.6000 (answer tokens)",
                      "900 tok/s  30,000 tokens  peak 1.50 GB", "iteration 300/300"):
            assert any(whole in line for line in lines), (whole, lines)


async def test_form_fits_the_model_and_is_remembered(make_app, project, db, tiny_model) -> None:
    tiny_chat_dataset(project.exports / "first" / "mlx-chat", n=12)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.show_screen("train")
        await settle(app, pilot)
        screen = app.screen
        screen.query_one("#train-seq", Input).value = "300"  # typed before the model is known: kept
        screen.query_one("#train-model", Input).value = str(tiny_model)
        await settle(app, pilot)
        assert screen.query_one("#train-layers", Input).value == "2"  # the tiny model has 2 layers, not 16
        assert screen.query_one("#train-seq", Input).value == "300"
        assert "context 512" in str(screen.query_one("#train-model-info", Static).render())
        screen.query_one("#train-iters", Input).value = "77"
        screen.query_one("#train-method", Select).value = "dora"
        await settle(app, pilot)
        # A build made meanwhile is offered on return to the screen.
        tiny_chat_dataset(project.exports / "second" / "mlx-chat", n=12)
        app.show_screen("library")
        await settle(app, pilot)
        app.show_screen("train")
        await settle(app, pilot)
        options = [str(option[0]) for option in screen.query_one("#train-data", Select)._options]
        assert "second" in options and not any("exports/" in option for option in options)
        screen.query_one("#train-data", Select).value = "first"
        await settle(app, pilot)
    app = make_app()  # the studio reopened on the same project
    async with app.run_test(size=(120, 40)) as pilot:
        app.show_screen("train")
        await settle(app, pilot)
        screen = app.screen
        assert screen.query_one("#train-iters", Input).value == "77"
        assert screen.query_one("#train-method", Select).value == "dora"
        assert screen.query_one("#train-data", Select).value == "first"
        assert screen.query_one("#train-model", Input).value == str(tiny_model)


async def test_f9_marks_from_any_tab_and_history_shows_the_latest_comparison(make_app, project, db) -> None:
    add_finished_run(project, db, name="r1")
    comparison = db.comparisons.add(Comparison(name="r1-vs-base", model_a={"label": "base"},
                                               model_b={"label": "r1"}, pairs=[{}] * 4))
    for pair, choice in enumerate(("right", "right", "right", "left")):  # r1 (B, on the right) wins 3 of 4
        db.comparisons.verdicts.add(PairVerdict(comparison_id=comparison.id, pair=pair, verdict=choice,
                                                a_left=True))
    summary = latest_comparison(db, "r1")
    assert summary is not None and (summary.wins, summary.losses, summary.opponent) == (3, 1, "base")
    assert summary.rate == 0.75 and summary.low < 0.75 < summary.high
    app = make_app()
    async with app.run_test(size=(170, 40)) as pilot:
        app.show_screen("train")
        await settle(app, pilot)
        screen = app.screen
        assert screen.query_one("#train-tabs").active == "tab-live"
        await pilot.press("f9")
        await settle(app, pilot)
        assert screen.query_one("#train-tabs").active == "tab-history"
        assert "Marked: r1" in str(screen.query_one("#train-compare", Static).render())
        row = screen.query_one("#train-history", DataTable).get_row_at(0)
        assert row[-1] == summary.short() and row[-1].startswith("75% [") and row[-1].endswith("vs base")


async def test_evaluation_samples_side_by_side_wrapped_prompt_folded(make_app, project, db) -> None:
    add_finished_run(project, db, name="r1")
    long_answer = " ".join(["the kettle sang and I did not want to hear it"] * 12)
    report = {"split": "test", "examples": 4, "loss_on": "answer tokens",
              "base": {"loss": 2.5, "perplexity": 12.2}, "tuned": {"loss": 2.1, "perplexity": 8.2},
              "improved": True, "samples": [{"prompt": "Tell me what you were thinking " * 6, "reference": "",
                                             "base": "base: " + long_answer, "tuned": "tuned: " + long_answer}],
              "warning_signs": {"distinct_1": 0.5, "distinct_2": 0.7, "mean_words": 40.0, "top_opening": "the",
                                "top_opening_share": 0.5, "cliche_hits": 0, "cliche_checker": "x", "warnings": []}}
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.show_screen("train")
        await settle(app, pilot)
        screen = app.screen
        screen.query_one("#train-tabs").active = "tab-eval"
        screen.post_message(EvaluationDone("r1", report))
        await settle(app, pilot)
        summary = str(screen.query_one("#train-eval-report", Static).render())
        assert "Test loss on answer tokens of test" in summary
        base, tuned = screen.query(".answer-base").first(), screen.query(".answer-tuned").first()
        assert base.region.y == tuned.region.y and base.region.right <= tuned.region.x  # side by side
        assert base.region.height > 3  # wrapped, not cut to one line
        assert tuned.region.right <= 120
        assert "sang and I did not want" in rendered(tuned)
        folded = screen.query_one(Collapsible)
        assert folded.collapsed and folded.title.startswith("prompt 1: Tell me what you were thinking")
        assert "Checklist" in str(screen.query_one("#train-eval-checklist", Static).render())


async def test_f7_and_f8_act_on_the_run_live_shows_and_on_history_on_the_selected_one(make_app, project,
                                                                                       db) -> None:
    from tests.tui.helpers import record_notifications

    add_finished_run(project, db, name="older")
    add_finished_run(project, db, name="newer")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        said = record_notifications(app)
        app.show_screen("train")
        await settle(app, pilot)
        screen = app.screen
        table = screen.query_one("#train-history", DataTable)
        assert screen.current_run == "newer" and table.get_row_at(1)[0] == "older"
        table.move_cursor(row=1)  # e.g. a run marked for comparison
        screen.query_one("#train-tabs").active = "tab-live"
        await settle(app, pilot)
        await pilot.press("f7")
        await settle(app, pilot)
        assert any("Run newer finished all 300 iterations" in text for text in said), said
        assert screen.target_run() == "newer"
        screen.query_one("#train-tabs").active = "tab-history"
        await settle(app, pilot)
        await pilot.press("f7")
        await settle(app, pilot)
        assert any("Run older finished all 300 iterations" in text for text in said), said


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_every_evaluation_sample_can_be_scrolled_to(make_app, project, db, size) -> None:
    """The screen evaluates 3 prompts: each card lies inside the samples' box, which the Eval tab scrolls."""
    add_finished_run(project, db, name="r1")
    answer = " ".join(["the kettle sang and I did not want to hear it"] * 6)
    report = {"split": "test", "examples": 4, "loss_on": "answer tokens",
              "base": {"loss": 2.5, "perplexity": 12.2}, "tuned": {"loss": 2.1, "perplexity": 8.2},
              "improved": True, "samples": [{"prompt": f"prompt {i} " * 6, "reference": "", "base": f"base{i}: {answer}",
                                             "tuned": f"tuned{i}: {answer}"} for i in range(3)],
              "warning_signs": {"distinct_1": 0.5, "distinct_2": 0.7, "mean_words": 40.0, "top_opening": "the",
                                "top_opening_share": 0.5, "cliche_hits": 0, "cliche_checker": "x", "warnings": []}}
    app = make_app()
    async with app.run_test(size=size) as pilot:
        app.show_screen("train")
        await settle(app, pilot)
        screen = app.screen
        screen.query_one("#train-tabs").active = "tab-eval"
        screen.post_message(EvaluationDone("r1", report))
        await settle(app, pilot)
        samples = screen.query_one("#train-eval-samples")
        last = list(screen.query(".answer-tuned"))[-1]
        assert "tuned2:" in rendered(last)
        assert samples.region.y <= last.region.y and last.region.bottom <= samples.region.bottom  # not clipped
        checklist = screen.query_one("#train-eval-checklist")
        assert checklist.region.y >= last.region.bottom  # the checklist follows the last sample


async def test_a_failed_run_is_announced_with_its_fix(make_app, project, db) -> None:
    from core.training.progress import ProgressEvent
    from core.training.runner import RunUpdate
    from tests.tui.helpers import record_notifications
    from tui.screens.train import RunProgress

    add_finished_run(project, db, name="r1")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        said = record_notifications(app)
        app.show_screen("train")
        await settle(app, pilot)
        event = ProgressEvent("error", {"message": "4 of 4 train examples would lose their whole answer at max "
                                                   "sequence 24 (their prompts fill it), so their loss would be NaN.",
                                        "suggestion": "Raise Max sequence (--max-seq) to 166."}, 0.0)
        app.screen.post_message(RunProgress(RunUpdate("other", event, "failed", 0, 4, None, 0.0, 0.0)))
        await settle(app, pilot)
        assert any(text.startswith("Run other failed: 4 of 4 train examples") and
                   text.endswith("Raise Max sequence (--max-seq) to 166.") for text in said), said


def test_latest_comparison_skips_a_newer_one_without_verdicts(project, db) -> None:
    """A comparison just made in the Arena (no verdict yet) does not blank History's figure from the judged one."""
    judged = db.comparisons.add(Comparison(name="r1-vs-base", model_a={"label": "r1"}, model_b={"label": "base"},
                                           pairs=[{}] * 2))
    for pair in range(2):  # r1 (A, on the left) wins both
        db.comparisons.verdicts.add(PairVerdict(comparison_id=judged.id, pair=pair, verdict="left", a_left=True))
    db.comparisons.add(Comparison(name="r1-vs-r2", model_a={"label": "r2"}, model_b={"label": "r1"}, pairs=[{}] * 2))
    summary = latest_comparison(db, "r1")
    assert summary is not None and summary.comparison == "r1-vs-base" and (summary.wins, summary.losses) == (2, 0)
    assert latest_comparison(db, "r2") is None  # its only comparison has no verdict yet
