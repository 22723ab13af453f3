"""The newcomer's checklist (core.first_run) drawn as text: ticked steps, the next one marked."""

from __future__ import annotations

from rich.text import Text

from core.first_run import Step


def steps_text(steps: list[Step], only_next: bool = False, compact: bool = False) -> Text:
    """All seven steps, one sentence each (or just the next one), with ✓ for done and ▶ for next.

    `compact` keeps the sentence for the next step only (the help screen's checklist).
    """
    text = Text()
    next_index = next((i for i, step in enumerate(steps) if not step.done), None)
    if only_next:
        if next_index is not None:
            text.append("Next: ", style="bold")
            text.append(steps[next_index].how)
        return text
    for index, step in enumerate(steps):
        if step.done:
            text.append(" ✓ ", style="bold green")
            text.append(f"{step.title}\n", style="dim")
        elif index == next_index:
            text.append(" ▶ ", style="bold")
            text.append(f"{step.title}: ", style="bold")
            text.append(f"{step.how}\n")
        else:
            text.append(" · ", style="dim")
            text.append(f"{step.title}\n" if compact else f"{step.title}: {step.how}\n", style="dim")
    text.rstrip()
    return text
