"""The Plan screen: pick a model, method, precision, hardware and dataset; see memory by component, speed,
time, cost, feasibility with its reasons, the formulas behind every number, and the progressive plan.

All numbers come from `core.planner` (headless); this screen only collects the choices and renders. The
planner runs in a thread worker on every change (a plan takes milliseconds, the progressive plan a few dozen),
so typing never waits on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Checkbox, Input, Label, Select, Static

from tui.screens.base import StudioScreen

BAR_WIDTH = 36
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
    tokens: Optional[int]
    tokens_source: str
    epochs: float


def memory_bars(components_gib: dict[str, float], usable_gib: float, width: int = BAR_WIDTH) -> Text:
    """One line of blocks per memory component, on a scale where the full width is max(usable, peak)."""
    total = sum(components_gib.values())
    scale = max(usable_gib, total, 1e-9)
    text = Text()
    for name, gib in components_gib.items():
        if gib <= 0:
            continue
        filled = max(1, round(gib / scale * width))
        text.append(f"{name:12}", style="bold")
        text.append("█" * filled, style=COMPONENT_STYLES.get(name, "white"))
        text.append("░" * (width - filled), style="grey23")
        text.append(f" {gib:9,.2f} GiB\n")
    used = min(width, round(total / scale * width))
    text.append(f"{'peak':12}", style="bold")
    text.append("█" * used, style="bold green" if total <= usable_gib else "bold red")
    text.append("░" * (width - used), style="grey23")
    text.append(f" {total:9,.2f} GiB of {usable_gib:,.1f} usable")
    return text


class PlanScreen(StudioScreen):
    """Memory, time and cost of a fine-tune, explained."""

    SCREEN_ID = "plan"
    BINDINGS = [
        # Function keys: letters, digits and ctrl+letters belong to the form's inputs.
        Binding("f5", "recompute", "Recompute", id="plan.recompute"),
        Binding("f6", "toggle_explanation", "Formulas", id="plan.explain"),
        Binding("f7", "toggle_progressive", "Progressive plan", id="plan.progressive"),
    ]
    DEFAULT_CSS = """
    PlanScreen #plan-form { width: 44; padding: 0 1; border-right: solid $panel; }
    PlanScreen #plan-form Label { margin-top: 1; }
    PlanScreen #plan-form Input, PlanScreen #plan-form Select { width: 100%; }
    PlanScreen #plan-result { padding: 0 1; }
    PlanScreen #plan-verdict { margin-bottom: 1; }
    PlanScreen #plan-bars { margin-bottom: 1; }
    PlanScreen .plan-section { text-style: bold; margin-top: 1; }
    """

    class PlanComputed(Message):
        """The worker's result: the plan and the progressive steps as dicts, or an error sentence."""

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
        self._builds: dict[str, Any] = {}

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
                yield Checkbox("gradient checkpointing", True, id="plan-ckpt")
                yield Label("Dataset")
                yield Select([("token count below", "")], value="", allow_blank=False, id="plan-build")
                yield Input("3000000", type="integer", placeholder="tokens per epoch", id="plan-tokens")
                yield Label("Epochs")
                yield Input("3", type="number", id="plan-epochs")
            with VerticalScroll(id="plan-result"):
                yield Static("", id="plan-verdict")
                yield Static("Memory per device", classes="plan-section")
                yield Static("", id="plan-bars")
                yield Static("Progressive plan", classes="plan-section", id="plan-progressive-title")
                yield Static("", id="plan-progressive")
                yield Static("How these numbers were computed", classes="plan-section", id="plan-explanation-title")
                yield Static("", id="plan-explanation", markup=False)
        yield from self.compose_footer()

    def on_mount(self) -> None:
        self._load_builds()
        self.recompute()

    def on_screen_resume(self) -> None:
        self._load_builds()

    def _load_builds(self) -> None:
        """Dataset builds under exports/ become choices with their token counts (read from their cards)."""
        from core.planner import build_tokens

        builds: dict[str, Any] = {}
        exports = self.studio.project.exports
        if exports.is_dir():
            for folder in sorted(exports.iterdir()):
                if folder.is_dir() and not folder.name.startswith(".") and (folder / "card.json").exists():
                    builds[folder.name] = build_tokens(folder)
        self._builds = builds
        select = self.query_one("#plan-build", Select)
        current = select.value
        options = [("token count below", "")] + [(f"{n} ({t:,} tokens)", n) for n, (t, _) in builds.items()]
        select.set_options(options)
        select.value = current if current in builds or current == "" else ""

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
        build = str(self.query_one("#plan-build", Select).value or "")
        if build and build in self._builds:
            tokens, source = self._builds[build][0], f"build {build} ({self._builds[build][1]})"
        else:
            try:
                tokens, source = int(self.query_one("#plan-tokens", Input).value), "given"
            except ValueError:
                tokens, source = None, "none"
        try:
            epochs = float(self.query_one("#plan-epochs", Input).value)
        except ValueError:
            epochs = 1.0
        return PlanChoices(model=model, method=str(self.query_one("#plan-method", Select).value),
                           precision=None if precision == "auto" else precision,
                           device=str(self.query_one("#plan-device", Select).value),
                           gpus=self._int("#plan-gpus", 1), seq=self._int("#plan-seq", 2048),
                           batch=self._int("#plan-batch", 1), grad_ckpt=self.query_one("#plan-ckpt", Checkbox).value,
                           tokens=tokens or None, tokens_source=source, epochs=epochs if epochs > 0 else 1.0)

    @on(Select.Changed)
    @on(Input.Submitted)
    @on(Input.Changed)
    @on(Checkbox.Changed)
    def _form_changed(self) -> None:
        if self.is_mounted:
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
        self._plan_worker(self.choices(), self.studio.project.runs)

    @work(thread=True, exclusive=True, exit_on_error=False, group="plan")
    def _plan_worker(self, choices: PlanChoices, runs_dir: Any) -> None:
        from core.errors import UserError
        from core.planner import load_calibration, make_plan, make_request, progressive_plan, resolve_device

        try:
            cal = load_calibration(runs_dir)
            req = make_request(choices.model, choices.device, method=choices.method, precision=choices.precision,
                               gpus=choices.gpus, seq=choices.seq, batch=choices.batch, grad_ckpt=choices.grad_ckpt,
                               tokens=choices.tokens, epochs=choices.epochs)
            plan = make_plan(req, cal).to_dict()
            steps: list[dict[str, Any]] = []
            if choices.tokens:
                home = choices.device if resolve_device(choices.device).kind != "cuda" else "this-cpu"
                steps = [s.to_dict() for s in progressive_plan(choices.tokens, epochs=choices.epochs,
                                                               home_device=home, calibration=cal)]
            self.post_message(self.PlanComputed(plan, steps, tokens_note=choices.tokens_source))
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
        self.last_plan, self.last_steps = plan, message.steps
        verdict.update(self._verdict_text(plan, message.tokens_note))
        self.query_one("#plan-bars", Static).update(memory_bars(plan["memory_components_gib"],
                                                                plan["usable_memory_gib"]))
        self.query_one("#plan-progressive", Static).update(self._progressive_text(message.steps))
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
        if plan["hours"] is not None:
            text.append(f"{plan['tokens']:,} tokens ({tokens_note}) x {plan['epochs']:g} epochs; "
                        f"x {plan['failed_run_overhead']} for failed runs; ${plan['price_per_hour']:,.2f}/device-hour\n",
                        style="dim")
        for reason in plan["reasons"]:
            text.append(f"! {reason}\n", style="red")
        return text

    @staticmethod
    def _progressive_text(steps: list[dict[str, Any]]) -> Text:
        text = Text()
        if not steps:
            text.append("Give a token count or pick a build to see the staged path.", style="italic")
            return text
        for s in steps:
            hours = "-" if s["hours"] is None else f"{s['hours']:,.1f} h"
            cost = "-" if s["cost_usd"] is None else f"${s['cost_usd']:,.0f}"
            style = "green" if s["feasible"] else "red"
            text.append(f"{s['stage']:9}", style="bold")
            text.append(f"{s['model']:15} {s['where']:6} {s['gpus']} x {s['device']:13} {s['peak_memory_gib']:7,.1f} GiB "
                        f"{s['tokens_per_s']:8,.0f} tok/s {hours:>9} {cost:>8}\n", style=style)
            text.append(f"         {s['why']}\n", style="italic")
        return text
