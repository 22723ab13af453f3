"""The Build screen: choose size (or stages) and mix, see what the mix will give, build with progress, read the card.

All work is `core.dataset` (headless): the preview and the build run in thread
workers and post typed messages back, so the form never waits on them.  The
preview follows every change of the form; the build runs only on its key.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Checkbox, DataTable, Input, Label, ProgressBar, Select, Static

from tui.screens.base import StudioScreen

if TYPE_CHECKING:
    from core.dataset import BuildSpec

MIX_CHOICES = [("balanced (equal per source group)", "balanced"), ("the method's 3,000-example mix", "method"),
               ("a TOML mix file (below)", "file")]
PHASE_LABELS = {"collect": "Collecting accepted examples", "dedup": "Removing duplicates", "card": "Writing the card",
                "done": "Done"}


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
    problem: str = ""  # a sentence when a field cannot be read

    def spec(self) -> "BuildSpec":
        from core.dataset import BuildSpec

        return BuildSpec(name=self.name or "preview", size=self.size, stages=list(self.stages), mix=self.mix,
                         formats=self.formats or "all", general_path=Path(self.general) if self.general else None,
                         general_ratio=self.general_ratio, seed=self.seed, group_by=self.group_by,
                         overwrite=self.overwrite)


def preview_text(preview: Any) -> Text:
    """The mix against its targets, one row per source; shortfalls in red."""
    labels = ["all" if s is None else str(s) for s in preview.stages]
    width = max([len(r.group) for r in preview.rows] + [14])
    text = Text()
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
    text.append(f"{'total':<{width}} {'':>6} {'':>6} " + " ".join(f"{preview.totals[l]:>11}" for l in labels) + "\n",
                style="bold")
    short: dict[str, list[str]] = {}
    for label, shortfalls in preview.shortfalls.items():
        for shortfall in shortfalls:
            short.setdefault(shortfall.group, []).append(f"{label}: {shortfall.available} of {shortfall.target}")
    for group, parts in short.items():
        text.append(f"short: {group} ({'; '.join(parts)}); accept more from it or lower its weight\n", style="red")
    for group, count in preview.unassigned.items():
        text.append(f"outside the mix: {group} ({count} accepted examples, not used)\n", style="yellow")
    if preview.without_student_sentence:
        text.append(preview.without_student_sentence + "\n", style="yellow")
    text.append(f"exact duplicates removed: {preview.exact_duplicates}; near-duplicates are removed when building.",
                style="italic")
    return text


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
    BuildScreen #build-form { width: 46; padding: 0 1; border-right: solid $panel; }
    BuildScreen #build-form Input, BuildScreen #build-form Select { width: 100%; }
    BuildScreen #build-form .build-pair { height: auto; }
    BuildScreen #build-form .build-pair Input { width: 1fr; }
    BuildScreen #build-right { padding: 0 1; }
    BuildScreen .build-section { text-style: bold; margin-top: 1; }
    BuildScreen #build-progress { margin: 1 0 0 0; }
    BuildScreen #build-builds { height: auto; max-height: 12; }
    BuildScreen #build-card { height: auto; }
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

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        with Horizontal():
            with VerticalScroll(id="build-form"):
                yield Label("Build name (folder under exports/)")
                yield Input("build-1", id="build-name")
                yield Label("Size (blank: all) or stages (e.g. 200,500,1000)")
                with Horizontal(classes="build-pair"):
                    yield Input("", placeholder="size", id="build-size")
                    yield Input("", placeholder="stages", id="build-stages")
                yield Label("Mix")
                yield Select(MIX_CHOICES, value="balanced", allow_blank=False, id="build-mix")
                yield Input("", placeholder="mix file (.toml)", id="build-mix-file")
                yield Label("General data (JSONL) and its share")
                yield Input("", placeholder="path to general.jsonl (optional)", id="build-general")
                yield Input("", placeholder="ratio (default from settings)", id="build-general-ratio")
                yield Label("Keep together in one split")
                yield Select([("each passage", "passage"), ("each book", "book")], value="passage",
                             allow_blank=False, id="build-group-by")
                yield Label("Formats (comma list or all)")
                yield Input("all", id="build-formats")
                yield Label("Seed (blank: from settings)")
                yield Input("", id="build-seed")
                yield Checkbox("replace a build of the same name", False, id="build-overwrite")
            with VerticalScroll(id="build-right"):
                yield Static("What the mix will give (taken/target per stage)", classes="build-section")
                yield Static("", id="build-preview")
                yield Static("", id="build-status")
                yield ProgressBar(total=None, show_eta=False, id="build-progress")
                yield Static("Builds (Enter shows the card)", classes="build-section")
                yield DataTable(id="build-builds", cursor_type="row", zebra_stripes=True)
                yield Static("", classes="build-section", id="build-card-title")
                # The card as plain text: README.md is written to be read raw, and a Static renders
                # its tables instantly where the Markdown widget takes seconds on a staged build.
                yield Static("", id="build-card", markup=False)
        yield from self.compose_footer()

    def on_mount(self) -> None:
        table = self.query_one("#build-builds", DataTable)
        table.add_columns("name", "built", "mix", "stages (examples)", "formats")
        self.query_one("#build-progress", ProgressBar).display = False
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
            problem=" ".join(problems))

    @on(Select.Changed)
    @on(Input.Submitted)
    @on(Input.Changed)
    def _form_changed(self, event: Any) -> None:
        if self.is_mounted and getattr(event.control, "id", "") not in ("build-name", "build-formats"):
            self.request_preview()

    # --- preview -----------------------------------------------------------------------------------------

    def action_preview(self) -> None:
        self.request_preview()

    def request_preview(self) -> None:
        choices = self.choices()
        if choices.problem:
            self.post_message(self.PreviewReady(None, choices.problem))
            return
        self._preview_worker(choices)

    @work(thread=True, exclusive=True, exit_on_error=False, group="build-preview")
    def _preview_worker(self, choices: BuildChoices) -> None:
        from core.dataset import preview_mix
        from core.errors import UserError

        try:
            preview = preview_mix(self.studio.project, self.studio.db, choices.spec())
            self.post_message(self.PreviewReady(preview))
        except UserError as exc:
            self.post_message(self.PreviewReady(None, str(exc)))

    def on_build_screen_preview_ready(self, message: "BuildScreen.PreviewReady") -> None:
        widget = self.query_one("#build-preview", Static)
        self.last_error = message.error
        if message.error:
            widget.update(Text(message.error, style="bold red"))
            return
        self.last_preview = message.preview
        widget.update(preview_text(message.preview))

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
        bar = self.query_one("#build-progress", ProgressBar)
        bar.display = True
        bar.update(total=None, progress=0)
        self.query_one("#build-status", Static).update(Text(f"Building {choices.name}...", style="bold"))
        self._build_worker(choices)

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
        head = message.phase.split(" ")[0]
        label = PHASE_LABELS.get(head, message.phase.capitalize())
        count = f" {message.done:,}/{message.total:,}" if message.total else ""
        self.query_one("#build-status", Static).update(Text(f"{label}{count}", style="bold"))

    def on_build_screen_build_finished(self, message: "BuildScreen.BuildFinished") -> None:
        self.building = False
        self.query_one("#build-progress", ProgressBar).display = False
        status = self.query_one("#build-status", Static)
        if message.error is not None:
            status.update(Text("The build stopped; nothing was changed under exports/.", style="red"))
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
        status.update(text)
        self.refresh_builds()
        self.show_card(result.name)

    # --- builds and cards --------------------------------------------------------------------------------

    def action_refresh_builds(self) -> None:
        self.refresh_builds()

    def refresh_builds(self) -> None:
        from core.dataset import list_builds

        self.builds = list_builds(self.studio.project)
        table = self.query_one("#build-builds", DataTable)
        table.clear()
        for build in self.builds:
            stages = ", ".join(f"{'all' if s['size'] is None else s['size']} ({s['examples']})" for s in build.stages)
            table.add_row(build.name, build.built_at[:19].replace("T", " "), build.mix[-24:], stages,
                          ",".join(build.formats) if len(build.formats) < 7 else "all", key=build.name)

    @on(DataTable.RowSelected, "#build-builds")
    def _build_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.show_card(str(event.row_key.value))

    def action_toggle_card(self) -> None:
        card = self.query_one("#build-card", Static)
        if card.display and self.card_name:
            card.display = False
            self.query_one("#build-card-title", Static).display = False
            return
        table = self.query_one("#build-builds", DataTable)
        if table.row_count:
            row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
            self.show_card(str(row_key.value))

    def show_card(self, name: str) -> None:
        readme = self.studio.project.exports / name / "README.md"
        try:
            text = readme.read_text(encoding="utf-8")
        except OSError:
            self.studio.show_error(f"The build {name} has no README.md card; build it again.")
            return
        self.card_name = name
        title = self.query_one("#build-card-title", Static)
        title.update(f"Card of {name} ({readme})")
        title.display = True
        card = self.query_one("#build-card", Static)
        card.display = True
        card.update(text)
