"""Small modal dialogs: confirm a destructive step, ask for one value, pick one item from a list.

Each is a `ModalScreen` that dismisses with its answer, so a caller writes
`self.app.push_screen(ConfirmModal(...), callback)` and never blocks.
"""

from __future__ import annotations

from typing import Callable, Optional, Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList
from textual.widgets.option_list import Option


class ConfirmModal(ModalScreen[bool]):
    """Yes / no: `y` or Enter on "Yes" confirms; `n` or Escape cancels."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(self, question: str, yes_label: str = "Yes") -> None:
        super().__init__(classes="modal")
        self.question = question
        self.yes_label = yes_label

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box"):
            yield Label(self.question, classes="modal-question", markup=False)
            with Horizontal(classes="modal-buttons"):
                yield Button(f"{self.yes_label} (y)", variant="error", id="yes")
                yield Button("Cancel (n)", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class PromptModal(ModalScreen[Optional[str]]):
    """One line of input; Enter answers it (after `validate` accepts it), Escape cancels with None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="prompt.cancel")]

    def __init__(self, question: str, placeholder: str = "",
                 validate: Optional[Callable[[str], Optional[str]]] = None) -> None:
        super().__init__(classes="modal")
        self.question = question
        self.placeholder = placeholder
        self.validate_answer = validate  # returns an error sentence, or None when the value is good

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box"):
            yield Label(self.question, classes="modal-question", markup=False)
            yield Input(placeholder=self.placeholder, id="prompt-input")
            yield Label("", id="prompt-error", classes="modal-error", markup=False)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        value = event.value.strip()
        problem = self.validate_answer(value) if self.validate_answer else None
        if problem:
            self.query_one("#prompt-error", Label).update(problem)
            return
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ChoiceModal(ModalScreen[Optional[int]]):
    """A list to pick from (type to move, Enter to pick); dismisses with the chosen index or None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="choice.cancel")]

    def __init__(self, title: str, items: Sequence[str], highlighted: int = 0) -> None:
        super().__init__(classes="modal")
        self.title_text = title
        self.items = list(items)
        self.highlighted = highlighted

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box modal-tall"):
            yield Label(self.title_text, classes="modal-question", markup=False)
            yield OptionList(*[Option(item) for item in self.items], id="choices")

    def on_mount(self) -> None:
        options = self.query_one("#choices", OptionList)
        if self.items:
            options.highlighted = max(0, min(self.highlighted, len(self.items) - 1))
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option_index)

    def action_cancel(self) -> None:
        self.dismiss(None)
