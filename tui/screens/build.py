"""The Build screen: choose size (or stages), mix, splits and persona, see what the mix will give, build with
progress, read the card.

All work is `core.dataset` (headless): the preview and the build run in thread
workers and post typed messages back, so the form never waits on them.  The
preview follows every change of the form (it also plans the splits, so a build
that would leave valid or test empty says so before F8); the build runs only on
its key, showing its phase and elapsed time.

Layout (issue 18): the form's labels wrap instead of being cut at 80 columns; the
right side gives the preview the free height and the builds table a fixed place
(its height counts the header and a horizontal scrollbar, which used to cover the
only row at 120 columns); the card is rendered Markdown in its own scrolling box.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, HorizontalScroll, Vertical, VerticalScroll
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Checkbox, DataTable, Input, Label, Markdown, ProgressBar, Select, Static

from tui.screens.base import StudioScreen
from tui.widgets.two_state_checkbox import TwoStateCheckbox

if TYPE_CHECKING:
    from core.dataset import BuildSpec

MIX_CHOICES = [("balanced (equal)", "balanced"), ("method (3,000 mix)", "method"), ("TOML file (below)", "file")]
PHASE_LABELS = {"collect": "Collecting accepted examples", "dedup": "Removing duplicates",
                "split": "Planning the splits", "check": "Checking the stages' splits and texts",
                "export": "Writing", "validate": "Reading back", "card": "Writing the card", "done": "Done"}
MAX_TABLE_ROWS = 6  # builds shown before the table scrolls
# Fields that change what is written but not what the preview counts.
NOT_PREVIEWED = ("build-name", "build-formats", "build-persona")


@dataclass(frozen=True)
class BuildChoices:
    """The form as plain values (read on the UI thread, used by the workers)."""

    name: str
    size: Optional[int]
    stages: tuple[int, ...]
    mix: str
    general: str
    general_ratio: Optional[float]
    group_by: str
    formats: str
    seed: Optional[int]
    overwrite: bool
    valid_ratio: Optional[float] = None
    test_ratio: Optional[float] = None
    persona: str = ""
    problem: str = ""  # a sentence when a field cannot be read

    def spec(self) -> "BuildSpec":
        from core.dataset import BuildSpec

        return BuildSpec(name=self.name or "preview", size=self.size, stages=list(self.stages), mix=self.mix,
                         formats=self.formats or "all", general_path=Path(self.general) if self.general else None,
                         general_ratio=self.general_ratio, seed=self.seed, group_by=self.group_by,
                         overwrite=self.overwrite, valid_ratio=self.valid_ratio, test_ratio=self.test_ratio,
                         persona=self.persona or None)


def preview_table(preview: Any) -> Text:
    """The mix against its targets, one row per source, and the rows per split: a table, never wrapped."""
    labels = ["all" if s is None else str(s) for s in preview.stages]
    width = max([len(r.group) for r in preview.rows] + [16])
    text = Text(no_wrap=True, overflow="ignore")
    text.append(f"{'source':<{width}} {'share':>6} {'avail':>6} " + " ".join(f"{l:>11}" for l in labels) + "\n",
                style="bold")
    for row in preview.rows:
        text.append(f"{row.group:<{width}} {row.share:>6.1%} {row.available:>6} ")
        for label in labels:
            taken, target = row.taken[label], row.targets[label]
            text.append(f"{f'{taken}/{target}':>11} ", style="red" if taken < target else "green")
        text.append("\n")
    if preview.general_rows:
        text.append(f"{'general data':<{width}} {'':>6} {preview.general_rows:>6} "
                    + " ".join(f"{preview.general_taken[l]:>11}" for l in labels) + "\n")
    text.append(f"{'total':<{width}} {'':>6} {'':>6} " + " ".join(f"{preview.totals[l]:>11}" for l in labels),
                style="bold")
    splits = getattr(preview, "splits", {})
    if splits:
        text.append(f"\n{'train/valid/test':<{width}} {'':>6} {'':>6} "
                    + " ".join(f"{'/'.join(str(n) for n in splits[l].values()):>11}" for l in labels if l in splits)
                    + f"  (split by {preview.group_by})", style="bold")
    return text


def preview_notes(preview: Any) -> Text:
    """What the preview says in sentences (shortfalls, a build that would stop, notes): wrapped to the width."""
    text = Text()
    short: dict[str, list[str]] = {}
    for label, shortfalls in preview.shortfalls.items():
        for shortfall in shortfalls:
            short.setdefault(shortfall.group, []).append(f"{label}: {shortfall.available} of {shortfall.target}")
    for group, parts in short.items():
        text.append(f"short: {group} ({'; '.join(parts)}); accept more from it or lower its weight\n", style="red")
    if getattr(preview, "split_problem", ""):
        text.append(f"The build would stop: {preview.split_problem}\n", style="bold red")
    for note in getattr(preview, "split_notes", []):
        text.append(note + "\n", style="yellow")
    for group, count in preview.unassigned.items():
        text.append(f"outside the mix: {group} ({count} accepted examples, not used)\n", style="yellow")
    if preview.without_student_sentence:
        text.append(preview.without_student_sentence + "\n", style="yellow")
    text.append(f"exact duplicates removed: {preview.exact_duplicates}; near-duplicates are removed when building.",
                style="italic")
    return text


def phase_text(phase: str, done: int, total: int) -> str:
    """A build phase as the status line says it: "Writing stage-200: alpaca 1/7"."""
    head, _, detail = phase.partition(" ")
    label = PHASE_LABELS.get(head, phase.capitalize())
    detail = "" if head not in PHASE_LABELS or detail.strip() in ("", ".") else f" {detail.strip()}"
    count = f" {done:,}/{total:,}" if total else ""
    return f"{label}{detail}{count}"


class BuildScreen(StudioScreen):
    """Dataset builds: preview, build, card, history."""

    SCREEN_ID = "build"
    BINDINGS = [
        # Function keys: letters and digits belong to the form's inputs.
        Binding("f5", "preview", "Preview", id="build.preview"),
        Binding("f8", "build", "Build", id="build.run"),
        Binding("f6", "toggle_card", "Card", id="build.card"),
        Binding("f7", "refresh_builds", "Refresh builds", id="build.refresh"),
    ]
    DEFAULT_CSS = """
    BuildScreen #build-form { width: 44; max-width: 45%; padding: 0 1; border-right: solid $panel; }
    BuildScreen #build-form Label { width: 100%; }
    BuildScreen #build-form Input, BuildScreen #build-form Select { width: 100%; }
    BuildScreen #build-form .build-pair { height: auto; }
    BuildScreen #build-form .build-pair Input { width: 1fr; }
    BuildScreen #build-right { padding: 0 1; }
    BuildScreen .build-section { text-style: bold; width: 100%; height: auto; }
    BuildScreen #build-preview-box { height: 1fr; min-height: 3; }
    BuildScreen #build-preview-table { height: auto; }
    BuildScreen #build-preview { width: auto; }
    BuildScreen #build-status { height: auto; max-height: 8; }
    BuildScreen #build-progress { height: 1; }
    BuildScreen #build-builds { height: 3; }
    BuildScreen #build-card-box { height: 2fr; display: none; }
    BuildScreen.-card-shown #build-preview-title, BuildScreen.-card-shown #build-preview-box { display: none; }
    BuildScreen.-card-shown #build-status { max-height: 3; }
    """

    class PreviewReady(Message):
        def __init__(self, preview: Any, error: str = "") -> None:
            super().__init__()
            self.preview = preview
            self.error = error

    class BuildProgress(Message):
        def __init__(self, phase: str, done: int, total: int) -> None:
            super().__init__()
            self.phase = phase
            self.done = done
            self.total = total

    class BuildFinished(Message):
        def __init__(self, result: Any, error: Optional[BaseException] = None) -> None:
            super().__init__()
            self.result = result
            self.error = error

    def __init__(self) -> None:
        super().__init__()
        self.last_preview: Any = None
        self.last_error = ""
        self.last_result: Any = None
        self.building = False
        self.builds: list[Any] = []
        self.card_name = ""
        self.build_started = 0.0
        self.build_phase = ""
        self._ticker: Optional[Timer] = None

    def compose(self) -> ComposeResult:
        dataset = self.studio.project.settings.dataset
        yield from self.compose_header()
        with Horizontal():
            with VerticalScroll(id="build-form"):
                yield Label("Name (a folder in exports/)")
                yield Input("build-1", id="build-name")
                yield Label("Size or stages (blank: all)")
                with Horizontal(classes="build-pair"):
                    yield Input("", placeholder="size", id="build-size")
                    yield Input("", placeholder="200,500,1000", id="build-stages")
                yield Label("Mix")
                yield Select(MIX_CHOICES, value="balanced", allow_blank=False, id="build-mix")
                yield Input("", placeholder="mix file (.toml)", id="build-mix-file")
                yield Label("General data (JSONL) and its share")
                yield Input("", placeholder="path to general.jsonl (optional)", id="build-general")
                yield Input("", placeholder=f"share ({dataset.general_ratio:g})", id="build-general-ratio")
                yield Label("Valid and test shares (0: none)")
                with Horizontal(classes="build-pair"):
                    yield Input("", placeholder=f"valid {dataset.valid_ratio:g}", id="build-valid")
                    yield Input("", placeholder=f"test {dataset.test_ratio:g}", id="build-test")
                yield Label("Keep together in one split")
                yield Select([("each passage", "passage"), ("each book", "book")], value="passage",
                             allow_blank=False, id="build-group-by")
                yield Label("Persona: the student's system line")
                yield Input("", placeholder="none", id="build-persona")
                yield Label("Formats (comma list or all)")
                yield Input("all", id="build-formats")
                yield Label("Seed (blank: from settings)")
                yield Input("", id="build-seed")
                yield TwoStateCheckbox("replace a build of the same name", False, id="build-overwrite")
            with Vertical(id="build-right"):
                yield Static("Mix preview (taken/target per stage)", classes="build-section", id="build-preview-title")
                with VerticalScroll(id="build-preview-box"):
                    with HorizontalScroll(id="build-preview-table"):
                        yield Static("", id="build-preview")
                    yield Static("", id="build-preview-notes")
                yield Static("", id="build-status")
                yield ProgressBar(total=None, show_eta=False, id="build-progress")
                yield Static("Builds (Enter shows the card)", classes="build-section")
                yield DataTable(id="build-builds", cursor_type="row", zebra_stripes=True)
                yield Static("", classes="build-section", id="build-card-title")
                with VerticalScroll(id="build-card-box"):
                    yield Markdown(id="build-card")
        yield from self.compose_footer()

    def on_mount(self) -> None:
        table = self.query_one("#build-builds", DataTable)
        table.add_columns("name", "built", "mix", "stages (examples)", "formats")
        self.query_one("#build-progress", ProgressBar).display = False
        self.query_one("#build-card-title", Static).display = False
        self.refresh_builds()
        self.request_preview()

    def on_screen_resume(self) -> None:
        self.refresh_builds()
        self.request_preview()

    # --- the form ----------------------------------------------------------------------------------------

    def _value(self, selector: str) -> str:
        return self.query_one(selector, Input).value.strip()

    def choices(self) -> BuildChoices:
        problems = []

        def number(selector: str, kind: type, label: str) -> Any:
            raw = self._value(selector)
            if not raw:
                return None
            try:
                return kind(raw)
            except ValueError:
                problems.append(f"{label} must be a number, got {raw!r}.")
                return None

        stages: tuple[int, ...] = ()
        raw_stages = self._value("#build-stages")
        if raw_stages:
            try:
                stages = tuple(int(p) for p in raw_stages.split(",") if p.strip())
            except ValueError:
                problems.append(f"Stages must be whole numbers separated by commas, got {raw_stages!r}.")
        mix = str(self.query_one("#build-mix", Select).value)
        if mix == "file":
            mix = self._value("#build-mix-file") or "(no mix file given).toml"
        return BuildChoices(
            name=self._value("#build-name"), size=number("#build-size", int, "Size"), stages=stages, mix=mix,
            general=self._value("#build-general"),
            general_ratio=number("#build-general-ratio", float, "The general ratio"),
            group_by=str(self.query_one("#build-group-by", Select).value), formats=self._value("#build-formats"),
            seed=number("#build-seed", int, "The seed"), overwrite=self.query_one("#build-overwrite", Checkbox).value,
            valid_ratio=number("#build-valid", float, "The valid share"),
            test_ratio=number("#build-test", float, "The test share"),
            persona=self.query_one("#build-persona", Input).value, problem=" ".join(problems))

    @on(Select.Changed)
    @on(Input.Submitted)
    @on(Input.Changed)
    def _form_changed(self, event: Any) -> None:
        if self.is_mounted and getattr(event.control, "id", "") not in NOT_PREVIEWED:
            self.request_preview()

    # --- preview -----------------------------------------------------------------------------------------

    def action_preview(self) -> None:
        self._hide_card()  # the preview takes the card's place (see `show_card`)
        self.request_preview()

    def request_preview(self) -> None:
        choices = self.choices()
        if choices.problem:
            self.post_message(self.PreviewReady(None, choices.problem))
            return
        self._preview_worker(choices)

    @work(thread=True, exclusive=True, exit_on_error=False, group="build-preview")
    def _preview_worker(self, choices: BuildChoices) -> None:
        from textual.worker import get_current_worker

        from core.dataset import preview_mix
        from core.errors import UserError

        worker = get_current_worker()
        try:
            preview = preview_mix(self.studio.project, self.studio.db, choices.spec())
            message = self.PreviewReady(preview)
        except UserError as exc:
            message = self.PreviewReady(None, str(exc))
        # A thread cannot be stopped, only marked cancelled: a preview of an earlier form (the "5" of a
        # size typed as "500") that finishes after the newer one must not replace it on screen.
        if not worker.is_cancelled:
            self.post_message(message)

    def on_build_screen_preview_ready(self, message: "BuildScreen.PreviewReady") -> None:
        table = self.query_one("#build-preview", Static)
        notes = self.query_one("#build-preview-notes", Static)
        self.last_error = message.error
        if message.error:
            table.update("")
            notes.update(Text(message.error, style="bold red"))
            return
        self.last_preview = message.preview
        table.update(preview_table(message.preview))
        notes.update(preview_notes(message.preview))

    def preview_shown(self) -> str:
        """The preview as the screen shows it, table then sentences (for tests and the palette)."""
        return "\n".join(str(self.query_one(f"#{i}", Static).render()) for i in ("build-preview", "build-preview-notes"))

    # --- building ----------------------------------------------------------------------------------------

    def action_build(self) -> None:
        if self.building:
            self.app.notify("A build is already running.", severity="warning")
            return
        choices = self.choices()
        if choices.problem:
            self.studio.show_error(choices.problem)
            return
        if not choices.name:
            self.studio.show_error("Give the build a name first (it becomes the folder under exports/).")
            return
        self.building = True
        self.build_started = time.monotonic()
        self.build_phase = f"Building {choices.name}..."
        bar = self.query_one("#build-progress", ProgressBar)
        bar.display = True
        bar.update(total=None, progress=0)
        self._show_phase()
        # The elapsed time keeps moving during a long phase (near-duplicates of 10,000 rows take seconds).
        self._ticker = self.set_interval(0.5, self._show_phase)
        self._build_worker(choices)

    def _show_phase(self) -> None:
        if not self.building:
            return
        elapsed = time.monotonic() - self.build_started
        self.query_one("#build-status", Static).update(Text(f"{self.build_phase} ({elapsed:.1f} s)", style="bold"))

    def _stop_ticker(self) -> None:
        if self._ticker is not None:
            self._ticker.stop()
            self._ticker = None

    @work(thread=True, exclusive=True, exit_on_error=False, group="build-run")
    def _build_worker(self, choices: BuildChoices) -> None:
        from core.dataset import build_dataset

        def progress(phase: str, done: int, total: int) -> None:
            self.post_message(self.BuildProgress(phase, done, total))

        try:
            result = build_dataset(self.studio.project, self.studio.db, choices.spec(), progress=progress)
        except Exception as exc:  # shown as a sentence (UserError) or a short notice, never a traceback
            self.post_message(self.BuildFinished(None, exc))
            return
        self.post_message(self.BuildFinished(result))

    def on_build_screen_build_progress(self, message: "BuildScreen.BuildProgress") -> None:
        bar = self.query_one("#build-progress", ProgressBar)
        if message.total:
            bar.update(total=message.total, progress=message.done)
        else:
            bar.update(total=None)
        self.build_phase = phase_text(message.phase, message.done, message.total)
        self._show_phase()

    def on_build_screen_build_finished(self, message: "BuildScreen.BuildFinished") -> None:
        self.building = False
        self._stop_ticker()
        self.query_one("#build-progress", ProgressBar).display = False
        status = self.query_one("#build-status", Static)
        if message.error is not None:
            from core.errors import UserError

            reason = f": {message.error}" if isinstance(message.error, UserError) else "."
            status.update(Text(f"The build stopped{reason} Nothing was changed under exports/.", style="red"))
            self._hide_card()  # the status's whole sentence, and the preview to change the form by
            self.studio.show_error(message.error)
            return
        result = message.result
        self.last_result = result
        text = Text(f"Built {result.name} in {result.seconds:.1f} s: ", style="bold green")
        text.append(", ".join(f"{'all' if s.size is None else s.size}: {sum(s.counts.values())} examples"
                              for s in result.stages))
        short = {s.group for s in result.shortfalls}
        if short:
            text.append(f"\nShort (reported in the card, not padded): {', '.join(sorted(short))}", style="yellow")
        shortfalls = {s.sentence() for s in result.shortfalls}
        for warning in result.warnings:  # split notes (no test split, uneven shares, repeated answers), backfill
            if not any(warning.endswith(sentence) for sentence in shortfalls):  # "Stage 200: " + the sentence
                text.append(f"\n{warning}", style="yellow")
        status.update(text)
        self.refresh_builds()
        self.show_card(result.name)

    # --- builds and cards --------------------------------------------------------------------------------

    def action_refresh_builds(self) -> None:
        self.refresh_builds()

    def refresh_builds(self) -> None:
        from core.dataset import ALL_FORMATS, list_builds

        self.builds = list_builds(self.studio.project)
        table = self.query_one("#build-builds", DataTable)
        table.clear()
        for build in self.builds:
            stages = ", ".join(f"{'all' if s['size'] is None else s['size']} ({s['examples']})" for s in build.stages)
            formats = "all" if set(build.formats) >= set(ALL_FORMATS) else ",".join(build.formats)
            # Month-day and time: the year is rarely news, and 8 columns less keep the row on screen at 80.
            table.add_row(build.name, build.built_at[5:16].replace("T", " "), build.mix[-20:], stages, formats,
                          key=build.name)
        # Header + rows + one line for a horizontal scrollbar, which `height: auto` did not count, so at
        # 120 columns the scrollbar covered the only row (issue 18).
        table.styles.height = min(MAX_TABLE_ROWS, table.row_count) + 2

    @on(DataTable.RowSelected, "#build-builds")
    def _build_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.show_card(str(event.row_key.value))

    @property
    def card_shown(self) -> bool:
        return bool(self.query_one("#build-card-box", VerticalScroll).display)

    def action_toggle_card(self) -> None:
        if self.card_shown and self.card_name:
            self._hide_card()
            return
        table = self.query_one("#build-builds", DataTable)
        if table.row_count:
            row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
            self.show_card(str(row_key.value))

    def show_card(self, name: str) -> None:
        """The build's README.md, rendered (tables, headings) by Textual's Markdown widget."""
        readme = self.studio.project.exports / name / "README.md"
        try:
            text = readme.read_text(encoding="utf-8")
        except OSError:
            self.studio.show_error(f"The build {name} has no README.md card; build it again.")
            return
        self.card_name = name
        title = self.query_one("#build-card-title", Static)
        title.update(f"Card of {name} (exports/{name}/README.md)")
        title.display = True
        self.query_one("#build-card-box", VerticalScroll).display = True
        # The card takes the preview's place and the status keeps three rows (all it says is in the card):
        # at 80x24 a build with notes filled the status's eight rows and left the card no row at all.
        self.add_class("-card-shown")
        # Not awaited: the widget parses in a thread and mounts in batches, so a long staged card never
        # holds the screen; `card_source` is what it shows.
        self.query_one("#build-card", Markdown).update(text)

    def _hide_card(self) -> None:
        self.query_one("#build-card-box", VerticalScroll).display = False
        self.query_one("#build-card-title", Static).display = False
        self.remove_class("-card-shown")

    @property
    def card_source(self) -> str:
        return self.query_one("#build-card", Markdown).source
