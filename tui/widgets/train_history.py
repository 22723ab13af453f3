"""The Train screen's words for runs: history rows (with each run's latest comparison), the log line of a
progress event, and the settings of two marked runs side by side."""

from __future__ import annotations

from typing import Any

from rich.text import Text

COMPARED_SETTINGS = ("method", "learning_rate", "rank", "num_layers", "batch_size", "max_seq_length",
                     "total_iterations")


def history_row(db: Any, run: Any) -> tuple[str, ...]:
    """One History row: the run's figures and its latest comparison (`62% [48-75] vs base`, or "-")."""
    from core.training.history import latest_comparison

    loss = "-" if run.last_train_loss is None else f"{run.last_train_loss:.3f}"
    val = "-" if run.last_val_loss is None else f"{run.last_val_loss:.3f}"
    try:
        summary = latest_comparison(db, run.name)
    except Exception:  # noqa: BLE001 - a damaged comparison must not hide the run itself
        summary = None
    return (run.name, run.status, f"{run.iteration}/{run.total_iterations}", loss, val, f"{run.tokens_per_s:.0f}",
            str(run.config.get("method", "")), f"{run.config.get('learning_rate', 0):g}",
            str(run.config.get("batch_size", "")), summary.short() if summary else "-")


def log_lines(event: Any) -> list[str]:
    """What the live log says about one progress event."""
    data = event.data
    if event.event == "train":
        return [f"{data['iteration']:>6}  loss {data['loss']:.4f}  lr {data['learning_rate']:.2e}  "
                f"{data['tokens_per_s']:.0f} tok/s"]
    if event.event == "val":
        return [f"{data['iteration']:>6}  val loss {data['val_loss']:.4f}"]
    if event.event == "checkpoint":
        return [f"{data['iteration']:>6}  checkpoint saved"]
    if event.event == "step":
        return [f"{data['iteration']:>6}  step done"]
    if event.event == "config":
        return [f"config: {data.get('total_iterations')} iterations, loss on {data.get('loss_on', 'answer tokens')}"
                + ("; optimizer state restored" if data.get("optimizer_restored") else "")
                + (f"; {data['no_validation']}" if data.get("no_validation") else "")]
    lines = [f"{event.event}: {data.get('message') or event.event}"]
    if data.get("suggestion"):
        lines.append(f"  {data['suggestion']}")
    if data.get("log_tail"):
        lines += [f"  | {line}" for line in str(data["log_tail"]).splitlines()[-8:]]
    return lines


def comparison_text(marks: list[str], runs: list[Any]) -> Text:
    """The two marked runs' settings side by side (`*` where they differ), or how many are marked."""
    if len(runs) < 2:
        return Text(f"Marked: {', '.join(marks) or 'none'}. Mark two runs (F9) to compare.")
    lines = [f"{'setting':18} {runs[0].name[:28]:28} {runs[1].name[:28]:28}"]
    for key in COMPARED_SETTINGS:
        a, b = runs[0].config.get(key), runs[1].config.get(key)
        marker = "  *" if a != b else ""
        lines.append(f"{key:18} {str(a):28} {str(b):28}{marker}")
    for label, attr in (("final loss", "last_train_loss"), ("final val", "last_val_loss")):
        a, b = getattr(runs[0], attr), getattr(runs[1], attr)
        lines.append(f"{label:18} {('-' if a is None else f'{a:.3f}'):28} {('-' if b is None else f'{b:.3f}'):28}")
    return Text("\n".join(lines))
