"""The Train screen's form: the build, the model folder, the method and the numeric settings.

Its defaults are `core.training.config`'s (nothing of our own), fitted to the chosen model
(`defaults_for_model`: no more layers than it has, no longer sequences than its context), and the last
values used in a project are remembered in its UI state.  WHY a fitted default never overwrites a typed
value: the model's description arrives from a thread a moment after the folder is typed, maybe after the
person has already changed Layers or Max sequence.
"""

from __future__ import annotations

from typing import Any, Optional

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Input, Label, Select, Static

from core.training.config import METHOD_DEFAULTS, config_for_method, defaults_for_model

NUMERIC_FIELDS = {  # input id -> (config field, type)
    "train-iters": ("iters", int), "train-batch": ("batch_size", int), "train-lr": ("learning_rate", float),
    "train-rank": ("rank", int), "train-layers": ("num_layers", int), "train-seq": ("max_seq_length", int),
    "train-report": ("steps_per_report", int), "train-eval": ("steps_per_eval", int),
    "train-save": ("save_every", int),
}
FIELD_LABELS = {"train-iters": "Iterations", "train-batch": "Batch", "train-lr": "Learning rate",
                "train-rank": "LoRA rank", "train-layers": "Layers (-1 all)", "train-seq": "Max sequence",
                "train-report": "Report every", "train-eval": "Validate every", "train-save": "Checkpoint every"}
METHODS = [("LoRA", "lora"), ("DoRA", "dora"), ("Full", "full")]
NO_BUILDS = "(no builds yet: F8 on Build)"


def form_values(method: str) -> dict[str, str]:
    """The form's starting values for `method`: the defaults of `core.training.config`, nothing of our own."""
    config = config_for_method(method)
    return {input_id: _shown(getattr(config, field), kind) for input_id, (field, kind) in NUMERIC_FIELDS.items()}


def _shown(value: Any, kind: type) -> str:
    return f"{value:g}" if kind is float else str(value)


def method_values(method: str) -> dict[str, str]:
    """What changes in the form when the method changes (its own defaults), from `METHOD_DEFAULTS`."""
    values = form_values(method)
    by_field = {field: input_id for input_id, (field, _kind) in NUMERIC_FIELDS.items()}
    return {by_field[field]: values[by_field[field]] for field in METHOD_DEFAULTS.get(method, {}) if field in by_field}


def model_values(method: str, model_layers: int, context_length: int) -> dict[str, str]:
    """Layers and Max sequence fitted to the chosen model (`core.training.config.defaults_for_model`)."""
    fitted = defaults_for_model(method, model_layers, context_length)
    return {"train-layers": str(fitted["num_layers"]), "train-seq": str(fitted["max_seq_length"])}


class TrainForm(VerticalScroll):
    """The settings of the next run; `auto` holds the values the form set itself (so typed ones are kept)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.auto: dict[str, str] = form_values("lora")

    def compose(self) -> ComposeResult:
        yield Label("Dataset build")
        yield Select([], id="train-data", prompt=NO_BUILDS)
        yield Label("Model folder (local MLX)")
        yield Input(id="train-model", placeholder="/path/to/mlx-model")
        yield Static("", id="train-model-info")
        yield Label("Method")
        yield Select(METHODS, value="lora", id="train-method", allow_blank=False)
        for input_id, value in form_values("lora").items():
            yield Label(FIELD_LABELS[input_id])
            yield Input(value, id=input_id)

    def set_default(self, input_id: str, value: str) -> None:
        """Put a default in a field unless the person typed something else there."""
        field = self.query_one(f"#{input_id}", Input)
        if field.value.strip() in ("", self.auto.get(input_id, "")):
            field.value = value
        self.auto[input_id] = value

    def method(self) -> str:
        return str(self.query_one("#train-method", Select).value)

    def values(self) -> dict[str, str]:
        """Everything the form holds, by field id (to remember it)."""
        values = {input_id: self.query_one(f"#{input_id}", Input).value.strip() for input_id in NUMERIC_FIELDS}
        values["train-model"] = self.query_one("#train-model", Input).value.strip()
        values["train-method"] = self.method()
        data = self.query_one("#train-data", Select).value
        if isinstance(data, str):
            values["train-data"] = data
        return values

    def restore(self, remembered: dict[str, Optional[str]]) -> None:
        """Put back the remembered values (unknown or empty ones are skipped); they count as typed."""
        method = remembered.get("train-method")
        if method in {value for _label, value in METHODS}:
            self.query_one("#train-method", Select).value = method
        if remembered.get("train-model"):
            self.query_one("#train-model", Input).value = str(remembered["train-model"])
        for input_id in NUMERIC_FIELDS:
            value = remembered.get(input_id)
            if value:
                self.query_one(f"#{input_id}", Input).value = value

    def read_config(self) -> Any:
        """The form as a TrainingConfig (raises UserError naming a bad field)."""
        from core.errors import UserError

        values: dict[str, Any] = {}
        for input_id, (field, kind) in NUMERIC_FIELDS.items():
            raw = self.query_one(f"#{input_id}", Input).value.strip()
            try:
                values[field] = kind(float(raw)) if kind is int else kind(raw)
            except ValueError:
                raise UserError(f"{FIELD_LABELS[input_id]} must be a number, not {raw!r}.") from None
        return config_for_method(self.method(), **values).validate()
