"""Loss curves drawn with plotext (textual-plotext): train and validation, smoothed, for one or two runs.

WHY the x axis is set by hand: plotext fits its axis to all the points it is given (validation at iteration 0
included) and rounds the ticks, so the last report was easy to lose off the right edge.  The axis here runs
from the first shown iteration to the last reported one exactly, the last tick is that iteration, and the
title states the latest values, so the newest loss is always on screen whatever the zoom.
"""

from __future__ import annotations

from typing import Any, Sequence

from textual_plotext import PlotextPlot

SMOOTHING = 0.6
RUN_COLOURS = (("cyan", "magenta"), ("yellow", "green"))
ZOOMS = (0, 200, 50)  # iterations shown: 0 = all, else the last N
TICKS = 5


def smooth(values: Sequence[float], weight: float = SMOOTHING) -> list[float]:
    """Exponential moving average (as TensorBoard's slider): noise down, trend kept, first point exact."""
    out: list[float] = []
    last = None
    for value in values:
        last = value if last is None else weight * last + (1 - weight) * value
        out.append(last)
    return out


def zoom_label(window: int) -> str:
    return "all" if not window else f"last {window}"


def axis_ticks(first: int, last: int, count: int = TICKS) -> list[int]:
    """Up to `count` integer ticks from `first` to `last`, both ends included."""
    if last <= first:
        return [last]
    span = last - first
    return sorted({first + round(span * index / (count - 1)) for index in range(count)})


class LossChart(PlotextPlot):
    """Train (smoothed) and validation loss against iteration, zoomable to the last N iterations."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.series: list[tuple[str, dict[str, Any]]] = []
        self.zoom = 0  # index into ZOOMS
        self.shown_range: tuple[int, int] = (0, 0)
        self.title_text = ""

    def on_mount(self) -> None:
        self._draw()

    def show_runs(self, runs: list[tuple[str, dict[str, Any]]]) -> None:
        """Draw each (name, curves) pair; curves as in Run.curves ({"train": [[it, loss]], "val": ...})."""
        self.series = runs
        self._draw()

    def cycle_zoom(self) -> str:
        """Next zoom (all, last 200, last 50 iterations); returns its label."""
        self.zoom = (self.zoom + 1) % len(ZOOMS)
        self._draw()
        return zoom_label(ZOOMS[self.zoom])

    def _range(self) -> tuple[int, int]:
        iterations = [int(p[0]) for _name, curves in self.series for key in ("train", "val")
                      for p in curves.get(key) or []]
        if not iterations:
            return 0, 0
        last = max(iterations)
        window = ZOOMS[self.zoom]
        first = max(min(iterations), last - window) if window else min(iterations)
        return first, last

    def _draw(self) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        first, last = self._range()
        self.shown_range = (first, last)
        plt.xlabel(f"iteration ({zoom_label(ZOOMS[self.zoom])})")
        drawn = False
        latest: list[str] = []
        for index, (name, curves) in enumerate(self.series):
            train_colour, val_colour = RUN_COLOURS[index % len(RUN_COLOURS)]
            label = name[-18:] if len(self.series) > 1 else ""
            train = curves.get("train") or []
            smoothed = smooth([p[1] for p in train])
            shown = [(p[0], value) for p, value in zip(train, smoothed) if p[0] >= first]
            if shown:
                plt.plot([p[0] for p in shown], [p[1] for p in shown], color=train_colour,
                         label=f"{label} train".strip())
                drawn = True
            if train:
                latest.append(f"train {train[-1][1]:.3f}")
            val = [p for p in curves.get("val") or [] if p[0] >= first]
            if val:
                plt.plot([p[0] for p in val], [p[1] for p in val], color=val_colour, marker="dot",
                         label=f"{label} val".strip())
                drawn = True
                latest.append(f"val {val[-1][1]:.3f}")
        if drawn:
            if last > first:
                plt.xlim(first, last)
            ticks = axis_ticks(first, last)
            plt.xticks([float(tick) for tick in ticks], [str(tick) for tick in ticks])
            self.title_text = f"{last}: " + " ".join(latest[:2]) if len(self.series) == 1 else f"loss to {last}"
        else:
            self.title_text = "loss (no reports yet)"
        plt.title(self.title_text)
        self.refresh()
