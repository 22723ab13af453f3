"""The Train screen: pick a build and a model, set the method's settings, watch the run live, stop,
resume, compare runs, evaluate.

All work is `core.training`'s: the screen holds a `TrainingRunner` on the app's event
loop (the worker is a separate process that keeps running when the studio closes;
on mount the screen re-attaches to active runs), turns its updates into a
`RunProgress` message, and renders.  Evaluation runs in a thread worker; a stop runs
as an async worker, so the screen keeps taking the runner's updates ("stopping ...")
while the worker finishes its step.
"""

from __future__ import annotations

from typing import Any, Optional

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.events import Resize
from textual.message import Message
from textual.widgets import DataTable, Input, Log, ProgressBar, Select, Static, TabbedContent, TabPane
from textual.worker import Worker, WorkerState

from tui.screens.base import StudioScreen
from tui.widgets.train_chart import LossChart
from tui.widgets.train_eval import EvalReport
from tui.widgets.train_form import (FIELD_LABELS, NUMERIC_FIELDS, TrainForm, form_values, method_values,
                                    model_values)
from tui.widgets.train_status import format_seconds, status_text

FORM_WIDE, FORM_NARROW, NARROW_SCREEN = 46, 32, 110  # the form's columns; under 110 the chart needs them
REMEMBERED = ("train-data", "train-model", "train-method", *NUMERIC_FIELDS)
HISTORY_COLUMNS = ("run", "status", "iter", "loss", "val", "tok/s", "method", "lr", "batch", "latest comparison")


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


_format_seconds = format_seconds  # kept under its old name for callers of this module


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
        Binding("f3", "zoom", "Zoom", id="train.zoom",
                tooltip="Zoom the loss chart: all iterations, the last 200, the last 50"),
    ]
    DEFAULT_CSS = """
    TrainScreen #train-form { width: 46; padding: 0 1; border-right: solid $panel; }
    TrainScreen #train-form Input, TrainScreen #train-form Select { width: 100%; }
    TrainScreen #train-model-info { height: auto; margin-bottom: 1; }
    TrainScreen #train-tabs { width: 1fr; }
    TrainScreen #train-stats { height: auto; }
    TrainScreen #train-progress { height: 1; }
    TrainScreen LossChart { height: 1fr; min-height: 10; }
    TrainScreen #train-log { height: 8; }
    TrainScreen #train-history { height: 1fr; }
    TrainScreen #train-compare { height: auto; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.runner: Any = None
        self.current_run: Optional[str] = None
        self.last_update: Any = None
        self.compare_marks: list[str] = []
        self.last_report: dict[str, Any] = {}
        self.model_shape: tuple[int, int] = (0, 0)  # (layers, context) of the chosen model, once known
        self.form_values: dict[str, str] = {}  # the form as last seen, remembered per project (save_state)

    # ---- layout -----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        with Horizontal():
            yield TrainForm(id="train-form")
            with TabbedContent(id="train-tabs"):
                with TabPane("Live", id="tab-live"):
                    with Vertical():
                        yield Static("No run yet: pick a build and a model, then F5.", id="train-stats")
                        # Hidden until there is a run: an empty bar would pulse as if something were loading.
                        bar = ProgressBar(id="train-progress", show_eta=False)
                        bar.display = False
                        yield bar
                        yield LossChart(id="train-chart")
                        yield Log(id="train-log", max_lines=500)
                with TabPane("History", id="tab-history"):
                    with Vertical():
                        yield DataTable(id="train-history", cursor_type="row")
                        yield Static("F9 marks the selected run; mark two to compare them.", id="train-compare")
                        yield LossChart(id="train-compare-chart")
                with TabPane("Eval", id="tab-eval"):
                    with VerticalScroll():
                        yield EvalReport(id="train-eval-view")
        yield from self.compose_footer()

    @property
    def form(self) -> TrainForm:
        return self.query_one("#train-form", TrainForm)

    async def on_mount(self) -> None:  # type: ignore[override]  # Textual awaits an async handler
        from core.training.runner import TrainingRunner

        table = self.query_one("#train-history", DataTable)
        table.add_columns(*HISTORY_COLUMNS)
        default_model = self.studio.settings.training.local_model
        if default_model:
            self.query_one("#train-model", Input).value = default_model
        self.form.restore({key: self.ui_state.get_str(key) for key in REMEMBERED})
        self.refresh_lists(prefer=self.ui_state.get_str("train-data"))
        self._fit_form(self.size.width or self.app.size.width)
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
        else:
            await self._show_latest()
        self.refresh_history()

    async def on_unmount(self) -> None:
        if self.runner is not None:
            await self.runner.close()  # stop following; the workers keep training

    def on_screen_resume(self) -> None:
        self.refresh_lists()  # a build made on the Build screen since is offered at once

    def on_resize(self, event: Resize) -> None:
        self._fit_form(event.size.width)

    def _fit_form(self, width: int) -> None:
        self.form.styles.width = FORM_NARROW if 0 < width < NARROW_SCREEN else FORM_WIDE

    @on(Input.Changed, "#train-form Input")
    @on(Select.Changed, "#train-form Select")
    def _form_changed(self) -> None:
        # Kept as it changes: the app saves the state after the screen's widgets are gone.
        self.form_values = self.form.values()

    def save_state(self) -> None:
        for key, value in self.form_values.items():
            self.ui_state.set(key, value)

    # ---- lists and model info ---------------------------------------------------------------

    def refresh_lists(self, prefer: Optional[str] = None) -> None:
        from core.dataset.builds import training_choices

        # The same list `interiority train` resolves names from: each stage of a staged build is a choice.
        builds = [choice.label for choice in training_choices(self.studio.project)]
        select = self.query_one("#train-data", Select)
        current = prefer or select.value
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
        method = str(event.value)
        values = method_values(method)
        if self.model_shape != (0, 0):
            values.update({k: v for k, v in model_values(method, *self.model_shape).items() if k in values})
        for input_id, value in values.items():
            self.query_one(f"#{input_id}", Input).value = value  # a method is an explicit choice: its values win
            self.form.auto[input_id] = value
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
            self.app.call_from_thread(self.query_one("#train-model-info", Static).update, Text(str(exc), "red"))
            return
        # One line within the form's 43 columns: a wrapped line would push the form into a scrollbar.
        context = f", context {info.context_length:,}" if info.context_length else " on disk"
        lines = [f"{info.model_type}, {info.num_layers} layers, {info.size_gib:.2f} GiB{context}",
                 f"quantization: {info.quantization_label}"]
        if fit is not None and fit.peak_gib is not None:
            colour = "green" if fit.fits else "red"
            lines.append(f"[{colour}]needs ~{fit.peak_gib:.2f} GiB of {fit.machine_gib:.0f} GiB[/]")
        if fit is not None:
            lines += [f"[yellow]{reason}[/]" for reason in fit.reasons[:2]]
        self.app.call_from_thread(self._model_described, (info.num_layers, info.context_length), "\n".join(lines))

    def _model_described(self, shape: tuple[int, int], info: str) -> None:
        self.query_one("#train-model-info", Static).update(info)
        if shape != self.model_shape:
            self.model_shape = shape
            for input_id, value in model_values(self.form.method(), *shape).items():
                self.form.set_default(input_id, value)

    # ---- the form ---------------------------------------------------------------------------

    def _config_or_none(self) -> Any:
        try:
            return self.read_config()
        except Exception:  # noqa: BLE001 - a half-typed form has no estimate yet
            return None

    def read_config(self) -> Any:
        """The form as a TrainingConfig (raises UserError naming a bad field)."""
        return self.form.read_config()

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
            self.query_one(TabbedContent).active = "tab-live"
            # The same call as `interiority train`: create the run folder and record, start the worker.
            run = await self.runner.begin(str(data), model, self.read_config())
            self.current_run = run.name
        except UserError as exc:
            self.studio.show_error(exc)
            return
        self.form_values = self.form.values()
        self.save_state()
        self.studio.save_ui_state()
        self._show_run(run)
        self.refresh_history()
        self.notify(f"Training {run.name}: {run.total_iterations} iterations.")

    def action_stop(self) -> None:
        if not self.current_run:
            self.studio.show_error("No run is training here; start one with F5 or resume one with F7.")
            return
        name = self.current_run
        run = next((r for r in self.runner.followed_runs() if r.name == name), None)
        if run is None or run.status not in ("running", "stopping", "created"):
            self.studio.show_error(f"Run {name} is not running ({run.status if run else 'not followed'}).")
            return
        # At once, before the worker has finished its step: the runner's own "stopping" update follows.
        run.status = "stopping"
        self._show_run(run)
        self.run_worker(self._stop(name), group="train-stop", exit_on_error=False)

    async def _stop(self, name: str) -> None:
        from core.errors import UserError

        try:
            await self.runner.stop(name)
        except UserError as exc:
            self.studio.show_error(exc)

    async def action_resume(self) -> None:
        from core.errors import UserError

        name = self.target_run()
        if not name:
            return
        try:
            run = await self.runner.resume(name)
        except UserError as exc:
            self.studio.show_error(exc)
            return
        self.current_run = run.name
        self.query_one(TabbedContent).active = "tab-live"
        self._show_run(run)

    def action_zoom(self) -> None:
        label = self.query_one("#train-chart", LossChart).cycle_zoom()
        self.query_one("#train-compare-chart", LossChart).zoom = self.query_one("#train-chart", LossChart).zoom
        self.query_one("#train-compare-chart", LossChart).show_runs(
            self.query_one("#train-compare-chart", LossChart).series)
        self.notify(f"Loss chart: {label} iterations.")

    def selected_run_name(self) -> Optional[str]:
        table = self.query_one("#train-history", DataTable)
        if not table.row_count:
            return None
        row = table.get_row_at(table.cursor_row)
        return str(row[0])

    def target_run(self) -> Optional[str]:
        """The run F7 and F8 act on: the one under History's cursor on History, else the one Live shows.

        WHY: History's cursor stays where it was (row 0, or a run marked for comparison) while Live shows the
        run being watched; F7 after stopping that run resumed the run under the cursor instead.
        """
        if self.query_one(TabbedContent).active == "tab-history":
            return self.selected_run_name() or self.current_run
        return self.current_run or self.selected_run_name()

    def action_evaluate(self) -> None:
        name = self.target_run()
        if not name:
            self.studio.show_error("Select a finished run in History first.")
            return
        self.query_one(EvalReport).show_message(f"Evaluating {name}: base and tuned model on the test split ...")
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
            self.query_one(EvalReport).show_message(
                Text(f"The evaluation did not run: {event.worker.error}", style="red"))
        super().on_worker_state_changed(event)

    def on_evaluation_done(self, message: EvaluationDone) -> None:
        from core.training.evaluate import checklist_rows
        from core.training.runner import find_run

        self.last_report = message.report
        run = find_run(self.studio.db, message.run_name)
        checklist = "\n".join(f"  {label}: {answer or '-'}" for _item, label, answer in checklist_rows(run))
        self.query_one(EvalReport).show_report(message.run_name, message.report, checklist)

    def action_compare(self) -> None:
        """Mark the run under History's cursor (from any tab) and show the comparison on History."""
        self.query_one(TabbedContent).active = "tab-history"
        name = self.selected_run_name()
        if not name:
            self.studio.show_error("No runs to compare yet: train two runs first (F5).")
            return
        if name in self.compare_marks:
            self.compare_marks.remove(name)
        else:
            self.compare_marks = (self.compare_marks + [name])[-2:]
        self.render_comparison()

    def render_comparison(self) -> None:
        from tui.widgets.train_history import comparison_text

        runs = [self.studio.db.runs.by_name(name) for name in self.compare_marks]
        shown = [run for run in runs if run is not None]
        self.query_one("#train-compare-chart", LossChart).show_runs([(run.name, run.curves) for run in shown])
        self.query_one("#train-compare", Static).update(comparison_text(self.compare_marks, shown))

    # ---- live progress ----------------------------------------------------------------------

    def on_run_progress(self, message: RunProgress) -> None:
        from tui.widgets.train_history import log_lines

        update = message.update
        event = update.event
        log = self.query_one("#train-log", Log)
        for line in log_lines(event):
            log.write_line(line)
        if update.run_name == self.current_run:
            self.last_update = update
            run = next((r for r in self.runner.followed_runs() if r.name == update.run_name), None)
            if run is not None:
                self._show_run(run)
        if event.terminal or event.event in ("config", "val"):
            self.refresh_history()
        if event.event in ("error", "failed"):  # the problem and its fix (the worker's suggestion)
            said = f"{event.data.get('message', '')} {event.data.get('suggestion') or ''}".strip()
            self.studio.show_error(f"Run {update.run_name} failed: {said}")

    async def _show_latest(self) -> None:
        """On arrival with nothing running: the newest run's figures, times and curve (not an empty panel)."""
        runs = self.studio.db.runs.all()
        if runs:
            latest = await self.runner.attach(max(runs, key=lambda r: r.id))
            self.current_run = latest.name
            self._show_run(latest)

    def _show_run(self, run: Any) -> None:
        eta = self.runner.eta_seconds(run.name) if self.runner is not None else None
        elapsed = self.runner.elapsed_seconds(run.name) if self.runner is not None else None
        self.query_one("#train-stats", Static).update(status_text(run, eta, elapsed))
        bar = self.query_one("#train-progress", ProgressBar)
        bar.display = True
        if run.status in ("running", "stopping") and run.iteration == 0:
            bar.update(total=None)  # loading, compiling: a pulse until the first step
        else:
            bar.update(total=max(1, run.total_iterations), progress=min(run.iteration, run.total_iterations or 1))
        self.query_one("#train-chart", LossChart).show_runs([(run.name, run.curves)])

    def refresh_history(self) -> None:
        from tui.widgets.train_history import history_row

        table = self.query_one("#train-history", DataTable)
        cursor = table.cursor_row
        table.clear()
        for run in sorted(self.studio.db.runs.all(), key=lambda r: r.id, reverse=True):
            table.add_row(*history_row(self.studio.db, run), key=run.name)
        if table.row_count:
            table.move_cursor(row=min(cursor, table.row_count - 1))


__all__ = ["TrainScreen", "RunProgress", "EvaluationDone", "FIELD_LABELS", "NUMERIC_FIELDS", "form_values"]
