"""The Plan screen: pick a model, method, precision, hardware and dataset; see memory by component, speed,
time, cost, feasibility with its reasons, the formulas behind every number, and the progressive plan.

All numbers come from `core.planner` (headless); this screen only collects the choices and renders. The
planner runs in a thread worker on every change (a plan takes milliseconds, the progressive plan a few dozen),
so typing never waits on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Checkbox, DataTable, Input, Label, Select, Static

from tui.screens.base import StudioScreen
from tui.widgets.two_state_checkbox import TwoStateCheckbox

if TYPE_CHECKING:
    from core.project import Project

BAR_WIDTH = 36
MIN_BAR_WIDTH = 8
TYPED = ""  # the dataset Select's value for "the token count typed below"
PROGRESSIVE_COLUMNS = ("stage", "model", "devices", "GiB", "tok/s", "hours", "cost")
COMPONENT_STYLES = {"weights": "blue", "adapters": "green", "gradients": "yellow", "optimizer": "magenta",
                    "activations": "cyan", "logits": "red", "kv_cache": "bright_blue", "overhead": "grey50"}


@dataclass(frozen=True)
class PlanChoices:
    """What the form holds, as plain values (read on the UI thread, planned on a worker)."""

    model: str
    method: str
    precision: Optional[str]
    device: str
    gpus: int
    seq: int
    batch: int
    grad_ckpt: bool
    build: str  # "NAME" or "NAME/stage-N" (its card's count is read on the worker), or TYPED
    tokens: Optional[int]  # what the tokens field holds (used when no build is chosen)
    epochs: float


def memory_bars(components_gib: dict[str, float], usable_gib: float, width: int = BAR_WIDTH,
                columns: Optional[int] = None) -> Text:
    """One line of blocks per memory component, on a scale where the full width is max(usable, peak).

    With `columns` (the pane's width) the bars shrink so that every line, figures included, fits on one row:
    a wrapped bar line reads as two components (issue 18, bug 10).
    """
    total = sum(components_gib.values())
    scale = max(usable_gib, total, 1e-9)
    peak_suffix = f" {total:9,.2f} GiB of {usable_gib:,.1f} usable"
    if columns is not None:
        if columns - 12 - len(peak_suffix) < MIN_BAR_WIDTH:
            peak_suffix = f" {total:,.2f}/{usable_gib:,.1f} GiB usable"  # a narrow pane: the same figures, shorter
        width = max(MIN_BAR_WIDTH, min(width, columns - 12 - len(peak_suffix)))
    text = Text()
    for name, gib in components_gib.items():
        if gib <= 0:
            continue
        filled = min(width, max(1, round(gib / scale * width)))
        text.append(f"{name:12}", style="bold")
        text.append("█" * filled, style=COMPONENT_STYLES.get(name, "white"))
        text.append("░" * (width - filled), style="grey23")
        text.append(f" {gib:9,.2f} GiB\n")
    used = min(width, round(total / scale * width))
    text.append(f"{'peak':12}", style="bold")
    text.append("█" * used, style="bold green" if total <= usable_gib else "bold red")
    text.append("░" * (width - used), style="grey23")
    text.append(peak_suffix)
    return text


def progressive_row(step: dict[str, Any]) -> list[Text]:
    """One step of the progressive plan as table cells (a table row never wraps: at 80 columns it scrolls)."""
    style = "green" if step["feasible"] else "red"
    hours = "-" if step["hours"] is None else f"{step['hours']:,.1f}"
    cost = "-" if step["cost_usd"] is None else f"${step['cost_usd']:,.0f}"
    cells = [step["model"], f"{step['gpus']} x {step['device']}", f"{step['peak_memory_gib']:,.1f}",
             f"{step['tokens_per_s']:,.0f}", hours, cost]
    return [Text(step["stage"], style="bold " + style)] + [
        Text(cell, style=style, justify="right" if index >= 2 else "left") for index, cell in enumerate(cells)]


class MemoryBars(Static):
    """The memory bars, drawn at the width the widget has when it is drawn (not when the plan arrived), so that a
    scrollbar appearing or the terminal resizing never wraps a bar line."""

    plan: Optional[dict[str, Any]] = None

    def show(self, plan: dict[str, Any]) -> None:
        self.plan = plan
        self.refresh(layout=True)

    def render(self) -> Text:
        if self.plan is None:
            return Text("")
        return memory_bars(self.plan["memory_components_gib"], self.plan["usable_memory_gib"],
                           columns=self.content_size.width or None)


class PlanScreen(StudioScreen):
    """Memory, time and cost of a fine-tune, explained."""

    SCREEN_ID = "plan"
    # The results, not a field: the number keys keep switching screens, the arrows scroll the results.
    MAIN_WIDGET = "#plan-result"
    # Below 110 columns the form narrows so that the results keep room for a bar or a table row on one line.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    BINDINGS = [
        # Function keys: letters, digits and ctrl+letters belong to the form's inputs.
        Binding("f5", "recompute", "Recompute", id="plan.recompute"),
        Binding("f6", "toggle_explanation", "Formulas", id="plan.explain"),
        Binding("f7", "toggle_progressive", "Progressive plan", id="plan.progressive"),
    ]
    DEFAULT_CSS = """
    PlanScreen #plan-form { width: 40; padding: 0 1; border-right: solid $panel; }
    PlanScreen.-narrow #plan-form { width: 31; }
    PlanScreen.-narrow #plan-ckpt { border: none; padding: 0; }
    PlanScreen #plan-form Label { margin-top: 1; width: 100%; }
    PlanScreen #plan-form Input, PlanScreen #plan-form Select { width: 100%; }
    PlanScreen #plan-dataset-note { color: $text-muted; }
    PlanScreen #plan-result { padding: 0 1; }
    PlanScreen #plan-verdict { margin-bottom: 1; }
    PlanScreen #plan-bars { margin-bottom: 1; }
    PlanScreen .plan-section { text-style: bold; margin-top: 1; }
    PlanScreen #plan-progressive { height: auto; }
    PlanScreen #plan-progressive-table { height: auto; width: 100%; overflow-x: auto; overflow-y: hidden; }
    PlanScreen #plan-progressive-why { margin-top: 1; }
    """

    class PlanComputed(Message):
        """The worker's result: the plan and the progressive steps as dicts, or an error sentence; and the sentence
        saying where the token count came from."""

        def __init__(self, plan: Optional[dict[str, Any]], steps: list[dict[str, Any]], error: str = "",
                     tokens_note: str = "") -> None:
            super().__init__()
            self.plan = plan
            self.steps = steps
            self.error = error
            self.tokens_note = tokens_note

    def __init__(self) -> None:
        super().__init__()
        self.last_plan: Optional[dict[str, Any]] = None
        self.last_steps: list[dict[str, Any]] = []
        self.last_error = ""
        self.tokens_note = ""
        self._build_choices: list[str] = []

    def compose(self) -> ComposeResult:
        from core.planner import BUILTIN_SHAPES, all_devices

        yield from self.compose_header()
        with Horizontal():
            with VerticalScroll(id="plan-form"):
                yield Label("Model (built-in, or a folder below)")
                yield Select([(s.name, s.name) for s in BUILTIN_SHAPES.values()], value="llama-3.1-8b",
                             allow_blank=False, id="plan-model")
                yield Input(placeholder="model folder with config.json (overrides)", id="plan-model-path")
                yield Label("Method")
                yield Select([(m, m) for m in ("lora", "qlora", "dora", "full", "inference")], value="qlora",
                             allow_blank=False, id="plan-method")
                yield Label("Precision")
                yield Select([("auto", "auto")] + [(p, p) for p in ("bf16", "fp32", "int8", "4bit")], value="auto",
                             allow_blank=False, id="plan-precision")
                yield Label("Hardware")
                yield Select([(d.name, d.key) for d in all_devices()], value="m3-ultra-512", allow_blank=False,
                             id="plan-device")
                yield Label("GPUs / Macs")
                yield Input("1", type="integer", id="plan-gpus")
                yield Label("Sequence length / micro-batch")
                with Horizontal(classes="plan-pair"):
                    yield Input("2048", type="integer", id="plan-seq")
                    yield Input("1", type="integer", id="plan-batch")
                yield TwoStateCheckbox("gradient checkpointing", True, id="plan-ckpt")
                yield Label("Dataset: a build, or tokens")
                yield Select([("token count below", TYPED)], value=TYPED, allow_blank=False, id="plan-build")
                yield Input("3000000", type="integer", placeholder="tokens per epoch", id="plan-tokens")
                yield Static("", id="plan-dataset-note")
                yield Label("Epochs")
                yield Input("3", type="number", id="plan-epochs")
            with VerticalScroll(id="plan-result"):
                yield Static("", id="plan-verdict")
                yield Static("Memory per device", classes="plan-section")
                yield MemoryBars("", id="plan-bars")
                yield Static("Progressive plan", classes="plan-section", id="plan-progressive-title")
                with Vertical(id="plan-progressive"):
                    yield DataTable(id="plan-progressive-table", cursor_type="none", show_cursor=False)
                    yield Static("", id="plan-progressive-why")
                yield Static("How these numbers were computed", classes="plan-section", id="plan-explanation-title")
                yield Static("", id="plan-explanation", markup=False)
        yield from self.compose_footer()

    def on_mount(self) -> None:
        self.query_one("#plan-progressive-table", DataTable).add_columns(*PROGRESSIVE_COLUMNS)
        self._load_builds()
        self.recompute()

    def on_screen_resume(self) -> None:
        self._load_builds()

    def _load_builds(self) -> None:
        """The project's builds (each stage of a staged one) become the dataset choices, newest first.

        The newest build is chosen when the screen first opens and whenever a build appears that was not there
        before (one just built is the one to plan); otherwise the current choice is kept while it exists.
        """
        from core.planner import build_choices

        previous, choices = self._build_choices, build_choices(self.studio.project)
        self._build_choices = choices
        select = self.query_one("#plan-build", Select)
        current = select.value
        select.set_options([("token count below", TYPED)] + [(label, label) for label in choices])
        appeared = [label for label in choices if label not in previous]
        if choices and appeared and appeared[0] == choices[0]:
            select.value = choices[0]
        else:
            select.value = current if current in choices else TYPED
        self._sync_tokens_field()

    def _sync_tokens_field(self) -> None:
        """The typed count is used only without a build: grey it out while a build's card gives the number."""
        self.query_one("#plan-tokens", Input).disabled = bool(self.query_one("#plan-build", Select).value)

    # --- reading the form -------------------------------------------------------------------------------

    def _int(self, selector: str, default: int) -> int:
        try:
            return max(1, int(self.query_one(selector, Input).value))
        except ValueError:
            return default

    def choices(self) -> PlanChoices:
        path = self.query_one("#plan-model-path", Input).value.strip()
        model = path or str(self.query_one("#plan-model", Select).value)
        precision = str(self.query_one("#plan-precision", Select).value)
        build = self.query_one("#plan-build", Select).value
        try:
            tokens: Optional[int] = int(self.query_one("#plan-tokens", Input).value)
        except ValueError:
            tokens = None
        try:
            epochs = float(self.query_one("#plan-epochs", Input).value)
        except ValueError:
            epochs = 1.0
        return PlanChoices(model=model, method=str(self.query_one("#plan-method", Select).value),
                           precision=None if precision == "auto" else precision,
                           device=str(self.query_one("#plan-device", Select).value),
                           gpus=self._int("#plan-gpus", 1), seq=self._int("#plan-seq", 2048),
                           batch=self._int("#plan-batch", 1), grad_ckpt=self.query_one("#plan-ckpt", Checkbox).value,
                           build=build if isinstance(build, str) else TYPED, tokens=tokens or None,
                           epochs=epochs if epochs > 0 else 1.0)

    @on(Select.Changed)
    @on(Input.Submitted)
    @on(Input.Changed)
    @on(Checkbox.Changed)
    def _form_changed(self) -> None:
        if self.is_mounted:
            self._sync_tokens_field()
            self.recompute()

    def action_recompute(self) -> None:
        self.recompute()

    def action_toggle_explanation(self) -> None:
        for selector in ("#plan-explanation", "#plan-explanation-title"):
            widget = self.query_one(selector)
            widget.display = not widget.display

    def action_toggle_progressive(self) -> None:
        for selector in ("#plan-progressive", "#plan-progressive-title"):
            widget = self.query_one(selector)
            widget.display = not widget.display

    def recompute(self) -> None:
        self._plan_worker(self.choices(), self.studio.project)

    @work(thread=True, exclusive=True, exit_on_error=False, group="plan")
    def _plan_worker(self, choices: PlanChoices, project: "Project") -> None:
        from core.errors import UserError
        from core.planner import (load_calibration, make_plan, make_request, progressive_plan, resolve_device,
                                  tokens_from_build)

        tokens: Optional[int]
        try:
            if choices.build:
                found = tokens_from_build(project, choices.build)  # the card is read here, off the UI thread
                tokens, note = found.tokens, found.note
            else:
                tokens = choices.tokens
                note = f"{tokens:,} tokens (typed above)" if tokens else "no token count: pick a build or type one"
            cal = load_calibration(project.runs)
            req = make_request(choices.model, choices.device, method=choices.method, precision=choices.precision,
                               gpus=choices.gpus, seq=choices.seq, batch=choices.batch, grad_ckpt=choices.grad_ckpt,
                               tokens=tokens, epochs=choices.epochs)
            plan = make_plan(req, cal).to_dict()
            steps: list[dict[str, Any]] = []
            if tokens:
                home = choices.device if resolve_device(choices.device).kind != "cuda" else "this-cpu"
                steps = [s.to_dict() for s in progressive_plan(tokens, epochs=choices.epochs,
                                                               home_device=home, calibration=cal)]
            self.post_message(self.PlanComputed(plan, steps, tokens_note=note))
        except UserError as exc:
            self.post_message(self.PlanComputed(None, [], error=str(exc)))

    # --- rendering ----------------------------------------------------------------------------------------

    def on_plan_screen_plan_computed(self, message: "PlanScreen.PlanComputed") -> None:
        self.last_error = message.error
        verdict = self.query_one("#plan-verdict", Static)
        if message.error:
            verdict.update(Text(message.error, style="bold red"))
            return
        plan = message.plan
        assert plan is not None
        self.last_plan, self.last_steps, self.tokens_note = plan, message.steps, message.tokens_note
        self.query_one("#plan-dataset-note", Static).update(Text(message.tokens_note))
        verdict.update(self._verdict_text(plan, message.tokens_note))
        self.query_one("#plan-bars", MemoryBars).show(plan)
        self._render_progressive(message.steps)
        self.query_one("#plan-explanation", Static).update("\n".join(plan["explanation"]))

    @staticmethod
    def _verdict_text(plan: dict[str, Any], tokens_note: str) -> Text:
        """The same headline as `interiority plan` (core.planner.headline), styled; then the dataset and reasons."""
        from core.planner.headline import headline

        text = Text()
        first, note, *figures = headline(plan)
        verdict_style = "bold green" if plan["feasible"] else "bold red"
        title, _, status = first.rpartition(": ")
        text.append(title + ": ", style="bold")
        text.append(status.replace(" (UNCALIBRATED)", ""), style=verdict_style)
        if not plan["calibrated"]:
            text.append("  UNCALIBRATED", style="bold yellow")
        text.append("\n")
        text.append(note.strip() + "\n", style="yellow" if not plan["calibrated"] else "dim")
        for line in figures:
            main, bracket, rest = line.strip().partition("   [")
            text.append(main)
            if bracket:
                text.append("   [" + rest, style="dim")
            text.append("\n")
        text.append(f"Dataset: {tokens_note}", style="dim")
        if plan["hours"] is not None:
            text.append(f" x {plan['epochs']:g} epochs; x {plan['failed_run_overhead']} for failed runs; "
                        f"${plan['price_per_hour']:,.2f}/device-hour", style="dim")
        text.append("\n")
        for reason in plan["reasons"]:
            text.append(f"! {reason}\n", style="red")
        return text

    def _render_progressive(self, steps: list[dict[str, Any]]) -> None:
        """The staged path as a table (one row per step, never wrapped) and each step's reason as prose below."""
        table = self.query_one("#plan-progressive-table", DataTable)
        table.clear()
        why = Text()
        table.display = bool(steps)
        if not steps:
            why.append("Give a token count or pick a build to see the staged path.", style="italic")
        for step in steps:
            table.add_row(*progressive_row(step), key=step["stage"])
            why.append(f"{step['stage']} ({'at home' if step['where'] == 'home' else 'rented'}): ", style="bold")
            why.append(step["why"] + "\n", style="italic")
            for reason in step["reasons"] if not step["feasible"] else []:
                why.append(f"  ! {reason}\n", style="red")
        self.query_one("#plan-progressive-why", Static).update(why)
