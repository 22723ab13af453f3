"""The Train screen: pick a build and a model, set the method's settings, watch the run live, stop,
resume, compare runs, evaluate.

All work is `core.training`'s: the screen holds a `TrainingRunner` on the app's event
loop (the worker is a separate process that keeps running when the studio closes;
on mount the screen re-attaches to active runs), turns its updates into a
`RunProgress` message, and renders.  Evaluation runs in a thread worker.
"""

from __future__ import annotations

from typing import Any, Optional

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Input, Label, Log, Select, Static, TabbedContent, TabPane
from textual.worker import Worker, WorkerState

from core.training.config import METHOD_DEFAULTS, config_for_method
from tui.screens.base import StudioScreen
from tui.widgets.train_chart import LossChart

NUMERIC_FIELDS = {  # input id -> (config field, type)
    "train-iters": ("iters", int), "train-batch": ("batch_size", int), "train-lr": ("learning_rate", float),
    "train-rank": ("rank", int), "train-layers": ("num_layers", int), "train-seq": ("max_seq_length", int),
    "train-report": ("steps_per_report", int), "train-eval": ("steps_per_eval", int),
    "train-save": ("save_every", int),
}
FIELD_LABELS = {"train-iters": "Iterations", "train-batch": "Batch", "train-lr": "Learning rate",
                "train-rank": "LoRA rank", "train-layers": "Layers (-1 all)", "train-seq": "Max sequence",
                "train-report": "Report every", "train-eval": "Validate every", "train-save": "Checkpoint every"}


def form_values(method: str) -> dict[str, str]:
    """The form's starting values for `method`: the defaults of `core.training.config`, nothing of our own."""
    config = config_for_method(method)
    return {input_id: f"{getattr(config, field):g}" if kind is float else str(getattr(config, field))
            for input_id, (field, kind) in NUMERIC_FIELDS.items()}


def method_values(method: str) -> dict[str, str]:
    """What changes in the form when the method changes (its own defaults), from `METHOD_DEFAULTS`."""
    values = form_values(method)
    by_field = {field: input_id for input_id, (field, _kind) in NUMERIC_FIELDS.items()}
    return {by_field[field]: values[by_field[field]] for field in METHOD_DEFAULTS.get(method, {}) if field in by_field}


class RunProgress(Message):
    """A progress update from the runner (posted on the UI thread)."""

    def __init__(self, update: Any) -> None:
        super().__init__()
        self.update = update


class EvaluationDone(Message):
    def __init__(self, run_name: str, report: dict[str, Any]) -> None:
        super().__init__()
        self.run_name = run_name
        self.report = report


def _format_seconds(seconds: Optional[float]) -> str:
    if seconds is None:
        return "?"
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


class TrainScreen(StudioScreen):
    """Fine-tune a local MLX model on a dataset build."""

    SCREEN_ID = "train"
    BINDINGS = [
        # Function keys: letters and digits belong to the form's inputs.
        Binding("f5", "start", "Start", id="train.start"),
        Binding("f6", "stop", "Stop", id="train.stop"),
        Binding("f7", "resume", "Resume", id="train.resume"),
        Binding("f8", "evaluate", "Evaluate", id="train.evaluate"),
        Binding("f9", "compare", "Compare", id="train.compare"),
        Binding("f4", "refresh", "Refresh lists", id="train.refresh"),
    ]
    DEFAULT_CSS = """
    TrainScreen #train-form { width: 46; padding: 0 1; border-right: solid $panel; }
    TrainScreen #train-form Input, TrainScreen #train-form Select { width: 100%; }
    TrainScreen #train-model-info { height: auto; margin-bottom: 1; }
    TrainScreen #train-stats { height: auto; }
    TrainScreen LossChart { height: 1fr; min-height: 10; }
    TrainScreen #train-log { height: 8; }
    TrainScreen #train-history { height: 1fr; }
    TrainScreen #train-compare, TrainScreen #train-eval-report { height: auto; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.runner: Any = None
        self.current_run: Optional[str] = None
        self.last_update: Any = None
        self.compare_marks: list[str] = []
        self.last_report: dict[str, Any] = {}

    # ---- layout -----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        with Horizontal():
            with VerticalScroll(id="train-form"):
                yield Label("Dataset build")
                yield Select([], id="train-data", prompt="exports/ ...")
                yield Label("Model folder (local MLX)")
                yield Input(id="train-model", placeholder="/path/to/mlx-model")
                yield Static("", id="train-model-info")
                yield Label("Method")
                yield Select([("LoRA", "lora"), ("DoRA", "dora"), ("Full", "full")], value="lora",
                             id="train-method", allow_blank=False)
                for input_id, value in form_values("lora").items():
                    yield Label(FIELD_LABELS[input_id])
                    yield Input(value, id=input_id)
            with TabbedContent(id="train-tabs"):
                with TabPane("Live", id="tab-live"):
                    with Vertical():
                        yield Static("No run yet: pick a build and a model, then F5.", id="train-stats")
                        yield LossChart(id="train-chart")
                        yield Log(id="train-log", max_lines=500)
                with TabPane("History", id="tab-history"):
                    with Vertical():
                        yield DataTable(id="train-history", cursor_type="row")
                        yield Static("F9 marks the selected run; mark two to compare them.", id="train-compare")
                        yield LossChart(id="train-compare-chart")
                with TabPane("Eval", id="tab-eval"):
                    with VerticalScroll():
                        # Not "train-eval": that id is the "Validate every" input of the form.
                        yield Static("Select a run in History and press F8 to evaluate it.", id="train-eval-report")
        yield from self.compose_footer()

    async def on_mount(self) -> None:  # type: ignore[override]  # Textual awaits an async handler
        from core.training.runner import TrainingRunner

        table = self.query_one("#train-history", DataTable)
        table.add_columns("run", "status", "iter", "loss", "val", "tok/s", "method", "lr", "batch")
        default_model = self.studio.settings.training.local_model
        if default_model:
            self.query_one("#train-model", Input).value = default_model
        self.refresh_lists()
        self.runner = TrainingRunner(self.studio.project, self.studio.db)
        self.runner.add_listener(lambda update: self.post_message(RunProgress(update)))
        try:
            active = await self.runner.attach_active()
        except Exception as exc:  # noqa: BLE001 - a broken run folder must not keep the screen from opening
            self.studio.show_error(exc)
            active = []
        if active:
            self.current_run = active[-1].name
            self._show_run(active[-1])
        self.refresh_history()

    async def on_unmount(self) -> None:
        if self.runner is not None:
            await self.runner.close()  # stop following; the workers keep training

    # ---- lists and model info ---------------------------------------------------------------

    def refresh_lists(self) -> None:
        from core.dataset.builds import training_choices

        # The same list `interiority train` resolves names from: each stage of a staged build is a choice.
        builds = [choice.label for choice in training_choices(self.studio.project)]
        select = self.query_one("#train-data", Select)
        current = select.value
        select.set_options([(name, name) for name in builds])
        if current in builds:
            select.value = current
        elif builds:
            select.value = builds[-1]
        self.update_model_info()

    def action_refresh(self) -> None:
        self.refresh_lists()
        self.refresh_history()

    @on(Input.Changed, "#train-model")
    def _model_changed(self) -> None:
        self.update_model_info()

    @on(Select.Changed, "#train-method")
    def _method_changed(self, event: Select.Changed) -> None:
        for input_id, value in method_values(str(event.value)).items():
            self.query_one(f"#{input_id}", Input).value = value
        self.update_model_info()

    def update_model_info(self) -> None:
        path = self.query_one("#train-model", Input).value.strip()
        if not path:
            self.query_one("#train-model-info", Static).update("")
            return
        self._model_info_worker(path)

    @work(thread=True, exclusive=True, exit_on_error=False, group="train-model-info")
    def _model_info_worker(self, path: str) -> None:
        from core.errors import UserError
        from core.training.model_info import memory_fit, model_info

        try:
            info = model_info(path)
            config = self._config_or_none()
            fit = memory_fit(info, config) if config is not None else None
        except UserError as exc:
            self.app.call_from_thread(self.query_one("#train-model-info", Static).update, f"[red]{exc}[/]")
            return
        lines = [f"{info.model_type}, {info.num_layers} layers, {info.size_gib:.2f} GiB on disk",
                 f"quantization: {info.quantization_label}"]
        if fit is not None and fit.peak_gib is not None:
            colour = "green" if fit.fits else "red"
            lines.append(f"[{colour}]needs ~{fit.peak_gib:.2f} GiB of {fit.machine_gib:.0f} GiB[/]")
        if fit is not None:
            lines += [f"[yellow]{reason}[/]" for reason in fit.reasons[:2]]
        self.app.call_from_thread(self.query_one("#train-model-info", Static).update, "\n".join(lines))

    # ---- the form ---------------------------------------------------------------------------

    def _config_or_none(self) -> Any:
        try:
            return self.read_config()
        except Exception:  # noqa: BLE001 - a half-typed form has no estimate yet
            return None

    def read_config(self) -> Any:
        """The form as a TrainingConfig (raises UserError naming a bad field)."""
        from core.errors import UserError

        values: dict[str, Any] = {}
        for input_id, (field, kind) in NUMERIC_FIELDS.items():
            raw = self.query_one(f"#{input_id}", Input).value.strip()
            try:
                values[field] = kind(float(raw)) if kind is int else kind(raw)
            except ValueError:
                raise UserError(f"{field.replace('_', ' ')} must be a number, not {raw!r}.") from None
        return config_for_method(str(self.query_one("#train-method", Select).value), **values).validate()

    # ---- actions ----------------------------------------------------------------------------

    async def action_start(self) -> None:
        from core.errors import UserError

        data = self.query_one("#train-data", Select).value
        model = self.query_one("#train-model", Input).value.strip()
        try:
            if not isinstance(data, str) or not data:  # Select.NULL when there are no builds
                raise UserError("Pick a dataset build first (build one on the Build screen).")
            if not model:
                raise UserError("Enter a local MLX model folder first.")
            self.query_one("#train-log", Log).clear()
            # The same call as `interiority train`: create the run folder and record, start the worker.
            run = await self.runner.begin(str(data), model, self.read_config())
            self.current_run = run.name
        except UserError as exc:
            self.studio.show_error(exc)
            return
        self._show_run(run)
        self.refresh_history()
        self.notify(f"Training {run.name}: {run.total_iterations} iterations.")

    async def action_stop(self) -> None:
        if not self.current_run:
            return
        from core.errors import UserError

        try:
            self.notify(f"Stopping {self.current_run}: saving a checkpoint first.")
            await self.runner.stop(self.current_run)
        except UserError as exc:
            self.studio.show_error(exc)

    async def action_resume(self) -> None:
        from core.errors import UserError

        name = self.selected_run_name() or self.current_run
        if not name:
            return
        try:
            run = await self.runner.resume(name)
        except UserError as exc:
            self.studio.show_error(exc)
            return
        self.current_run = run.name
        self._show_run(run)

    def selected_run_name(self) -> Optional[str]:
        table = self.query_one("#train-history", DataTable)
        if not table.row_count:
            return None
        row = table.get_row_at(table.cursor_row)
        return str(row[0])

    def action_evaluate(self) -> None:
        name = self.selected_run_name() or self.current_run
        if not name:
            self.studio.show_error("Select a finished run in History first.")
            return
        self.query_one("#train-eval-report", Static).update(f"Evaluating {name}: base and tuned model on the test split ...")
        self.query_one(TabbedContent).active = "tab-eval"
        self._evaluate_worker(name)

    @work(thread=True, exclusive=True, exit_on_error=False, group="train-eval")
    def _evaluate_worker(self, name: str) -> None:
        from core.training.evaluate import evaluate_run
        from core.training.runner import find_run

        run = find_run(self.studio.db, name)
        report = evaluate_run(self.studio.project, self.studio.db, run, prompts=3, max_tokens=48)
        self.post_message(EvaluationDone(name, report))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # A failed evaluation must not leave "Evaluating ..." on the tab: say why there too.
        if event.worker.group == "train-eval" and event.state is WorkerState.ERROR:
            from rich.text import Text

            self.query_one("#train-eval-report", Static).update(
                Text(f"The evaluation did not run: {event.worker.error}", style="red"))
        super().on_worker_state_changed(event)

    def on_evaluation_done(self, message: EvaluationDone) -> None:
        from core.training.evaluate import checklist_rows, format_report
        from core.training.runner import find_run

        self.last_report = message.report
        run = find_run(self.studio.db, message.run_name)
        checklist = "\n".join(f"  {label}: {answer or '-'}" for _item, label, answer in checklist_rows(run))
        from rich.text import Text

        # Plain Text, not markup: the models' samples may hold "[" and would break a markup string.
        self.query_one("#train-eval-report", Static).update(Text(
            f"{message.run_name}\n{format_report(message.report)}\n\nChecklist (interiority checklist RUN --set "
            f"item=yes|no|unsure):\n{checklist}"))

    def action_compare(self) -> None:
        name = self.selected_run_name()
        if not name:
            return
        if name in self.compare_marks:
            self.compare_marks.remove(name)
        else:
            self.compare_marks = (self.compare_marks + [name])[-2:]
        self.render_comparison()

    def render_comparison(self) -> None:
        from core.training.runner import find_run

        runs = [find_run(self.studio.db, name) for name in self.compare_marks]
        chart = self.query_one("#train-compare-chart", LossChart)
        chart.show_runs([(run.name, run.curves) for run in runs])
        if len(runs) < 2:
            self.query_one("#train-compare", Static).update(
                f"Marked: {', '.join(self.compare_marks) or 'none'}. Mark two runs (F9) to compare.")
            return
        keys = ("method", "learning_rate", "rank", "num_layers", "batch_size", "max_seq_length", "total_iterations")
        lines = [f"{'setting':18} {runs[0].name[:28]:28} {runs[1].name[:28]:28}"]
        for key in keys:
            a, b = runs[0].config.get(key), runs[1].config.get(key)
            marker = "  *" if a != b else ""
            lines.append(f"{key:18} {str(a):28} {str(b):28}{marker}")
        for label, attr in (("final loss", "last_train_loss"), ("final val", "last_val_loss")):
            a, b = getattr(runs[0], attr), getattr(runs[1], attr)
            lines.append(f"{label:18} {('-' if a is None else f'{a:.3f}'):28} {('-' if b is None else f'{b:.3f}'):28}")
        self.query_one("#train-compare", Static).update("\n".join(lines))

    # ---- live progress ----------------------------------------------------------------------

    def on_run_progress(self, message: RunProgress) -> None:
        update = message.update
        event = update.event
        log = self.query_one("#train-log", Log)
        if event.event == "train":
            d = event.data
            log.write_line(f"{d['iteration']:>6}  loss {d['loss']:.4f}  lr {d['learning_rate']:.2e}  "
                           f"{d['tokens_per_s']:.0f} tok/s")
        elif event.event == "val":
            log.write_line(f"{event.data['iteration']:>6}  val loss {event.data['val_loss']:.4f}")
        elif event.event == "checkpoint":
            log.write_line(f"{event.data['iteration']:>6}  checkpoint saved")
        else:
            text = event.data.get("message") or event.event
            log.write_line(f"{event.event}: {text}")
            if event.data.get("suggestion"):
                log.write_line(f"  {event.data['suggestion']}")
            if event.data.get("log_tail"):
                for line in str(event.data["log_tail"]).splitlines()[-8:]:
                    log.write_line(f"  | {line}")
        if update.run_name == self.current_run:
            self.last_update = update
            run = next((r for r in self.runner.followed_runs() if r.name == update.run_name), None)
            if run is not None:
                self._show_run(run, update)
        if event.terminal or event.event in ("config", "val"):
            self.refresh_history()
        if event.event in ("error", "failed"):
            self.studio.show_error(f"Run {update.run_name} failed: {event.data.get('message', '')}")

    def _show_run(self, run: Any, update: Any = None) -> None:
        tokens = next((e.get("trained_tokens") for e in reversed(run.events) if e.get("event") == "train"), 0)
        eta = update.eta_s if update is not None else self.runner.eta_seconds(run.name)
        elapsed = update.elapsed_s if update is not None else None
        loss = "-" if run.last_train_loss is None else f"{run.last_train_loss:.4f}"
        val = "-" if run.last_val_loss is None else f"{run.last_val_loss:.4f}"
        self.query_one("#train-stats", Static).update(
            f"[b]{run.name}[/b]  {run.status}   iteration {run.iteration}/{run.total_iterations}   "
            f"loss {loss}  val {val}\n{run.tokens_per_s:,.0f} tok/s   trained tokens {tokens or 0:,}   "
            f"peak memory {run.peak_memory_gb:.2f} GB   elapsed {_format_seconds(elapsed)}   "
            f"ETA {_format_seconds(eta)}" + (f"\n[red]{escape(run.error)}[/]" if run.error else ""))
        self.query_one("#train-chart", LossChart).show_runs([(run.name, run.curves)])

    def refresh_history(self) -> None:
        table = self.query_one("#train-history", DataTable)
        cursor = table.cursor_row
        table.clear()
        for run in sorted(self.studio.db.runs.all(), key=lambda r: r.id, reverse=True):
            loss = "-" if run.last_train_loss is None else f"{run.last_train_loss:.3f}"
            val = "-" if run.last_val_loss is None else f"{run.last_val_loss:.3f}"
            table.add_row(run.name, run.status, f"{run.iteration}/{run.total_iterations}", loss, val,
                          f"{run.tokens_per_s:.0f}", run.config.get("method", ""),
                          f"{run.config.get('learning_rate', 0):g}", str(run.config.get("batch_size", "")),
                          key=run.name)
        if table.row_count:
            table.move_cursor(row=min(cursor, table.row_count - 1))


__all__ = ["TrainScreen", "RunProgress", "EvaluationDone"]
