"""An evaluation shown as a person reads it: the figures, then each held-out prompt folded, with the base and
tuned answers side by side and wrapped.

WHY side by side: the question is "which one sounds like an inner life", and two columns over the same prompt
answer it at a glance; the prompt is folded because it is long and the same for both.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Collapsible, Static

PROMPT_TITLE = 60


def summary_text(run_name: str, report: dict[str, Any]) -> Text:
    """The figures of the report (everything but the samples) as plain text."""
    from core.training.evaluate import format_report

    figures = format_report({**report, "samples": []})
    return Text(f"{run_name}\n{figures}")


def prompt_title(index: int, prompt: str) -> str:
    flat = " ".join(prompt.split())
    shown = flat if len(flat) <= PROMPT_TITLE else flat[:PROMPT_TITLE - 1] + "\u2026"
    return f"prompt {index}: {shown}"


class SampleCard(Vertical):
    """One held-out prompt (folded) with the base and tuned answers in two wrapped columns."""

    DEFAULT_CSS = """
    SampleCard { height: auto; margin-bottom: 1; }
    SampleCard Horizontal { height: auto; }
    SampleCard .answer { width: 1fr; height: auto; padding: 0 1; }
    SampleCard .answer-base { border-left: solid $secondary; }
    SampleCard .answer-tuned { border-left: solid $accent; }
    SampleCard Collapsible { height: auto; }
    """

    def __init__(self, index: int, sample: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.index = index
        self.sample = sample

    def compose(self) -> ComposeResult:
        prompt = str(self.sample.get("prompt", ""))
        with Collapsible(title=prompt_title(self.index, prompt), collapsed=True):
            yield Static(Text(prompt), classes="prompt")
        with Horizontal():
            yield Static(Text.assemble(("base\n", "bold"), str(self.sample.get("base", ""))),
                         classes="answer answer-base")
            yield Static(Text.assemble(("tuned\n", "bold"), str(self.sample.get("tuned", ""))),
                         classes="answer answer-tuned")


class EvalReport(Vertical):
    """The Eval tab's content: a message, or a report's figures, samples and checklist."""

    DEFAULT_CSS = """
    EvalReport { height: auto; }
    EvalReport #train-eval-report { height: auto; }
    EvalReport #train-eval-samples { height: auto; }
    EvalReport #train-eval-checklist { height: auto; margin-top: 1; }
    """

    def compose(self) -> ComposeResult:
        # Not "train-eval": that id is the "Validate every" input of the form.  The samples' box is as tall as
        # its cards (a Vertical is 1fr: 5 rows at 80x24 hid every answer after the first lines of the first).
        yield Static("Select a run in History and press F8 to evaluate it.", id="train-eval-report")
        yield Vertical(id="train-eval-samples")
        yield Static("", id="train-eval-checklist")

    def show_message(self, message: Text | str) -> None:
        self.query_one("#train-eval-report", Static).update(message)
        self.query_one("#train-eval-samples", Vertical).remove_children()
        self.query_one("#train-eval-checklist", Static).update("")

    def show_report(self, run_name: str, report: dict[str, Any], checklist: str) -> None:
        self.query_one("#train-eval-report", Static).update(summary_text(run_name, report))
        samples = self.query_one("#train-eval-samples", Vertical)
        samples.remove_children()
        samples.mount_all([SampleCard(index, sample) for index, sample in enumerate(report.get("samples", []), 1)])
        self.query_one("#train-eval-checklist", Static).update(Text(
            f"Checklist (interiority checklist RUN --set item=yes|no|unsure):\n{checklist}"))
