"""The Train screen's status lines for one run: what it is doing now, how far, how long, how well.

WHY short lines with the times first: at 120 columns the live panel is about 74 wide, and a single long line
lost its elapsed time and ETA off the right; at 80 columns it is about 46 wide, and a line of times and losses
wrapped between "val" and its figure.  So the times, the losses and the speed each have a line of their own
(a narrow panel wraps a long name or huge figures between items, never inside one), and the line with the
times never carries the name.
"""

from __future__ import annotations

from typing import Any, Optional

from rich.text import Text

PHASES = {  # the latest event of the run -> what the worker is doing while no report has come yet
    "loading": "loading the model and tokenizing the data ...",
    "config": "compiling and running the first steps ...",
    "step": "training: waiting for the first report ...",
    "stopping": "stopping ... (finishing the step in flight and saving a checkpoint)",
}


def format_seconds(seconds: Optional[float]) -> str:
    if seconds is None:
        return "?"
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def phase_of(run: Any) -> str:
    """What the run is doing, in words, while it has no report to show ("" when the figures say it all)."""
    if run.status == "stopping":
        return PHASES["stopping"]
    if run.status != "running" or not run.events:
        return ""
    last = run.events[-1].get("event", "")
    if last in ("loading", "config"):
        return PHASES[last]
    if last == "step" and run.last_train_loss is None:
        return f"training: step {run.iteration} done, waiting for the first report ..."
    return ""


def final_message(run: Any) -> str:
    """The message of a stopped run's last event (e.g. that nothing was saved to resume from)."""
    if run.status != "stopped":
        return ""
    for event in reversed(run.events):
        if event.get("event") == "stopped":
            return str(event.get("message") or "")
    return ""


def status_text(run: Any, eta: Optional[float], elapsed: Optional[float]) -> Text:
    """Four short lines: name and state; times; losses; speed and memory (and the error or phase)."""
    tokens = next((e.get("trained_tokens") for e in reversed(run.events) if e.get("event") == "train"), 0)
    loss = "-" if run.last_train_loss is None else f"{run.last_train_loss:.4f}"
    val = "-" if run.last_val_loss is None else f"{run.last_val_loss:.4f}"
    text = Text()
    text.append(run.name, style="bold")
    text.append(f"  {run.status}   iteration {run.iteration}/{run.total_iterations}\n")
    text.append(f"elapsed {format_seconds(elapsed)}   ETA {format_seconds(eta)}\n")
    text.append(f"loss {loss}  val {val} (answer tokens)\n")
    text.append(f"{run.tokens_per_s:,.0f} tok/s  {tokens or 0:,} tokens  peak {run.peak_memory_gb:.2f} GB")
    phase = phase_of(run) or final_message(run)
    if phase:
        text.append(f"\n{phase}", style="yellow")
    if run.error:
        text.append(f"\n{run.error}", style="red")
    return text
