"""Loss curves drawn with plotext (textual-plotext): train and validation, smoothed, for one or two runs."""

from __future__ import annotations

from typing import Any, Sequence

from textual_plotext import PlotextPlot

SMOOTHING = 0.6
RUN_COLOURS = (("cyan", "magenta"), ("yellow", "green"))


def smooth(values: Sequence[float], weight: float = SMOOTHING) -> list[float]:
    """Exponential moving average (as TensorBoard's slider): noise down, trend kept, first point exact."""
    out: list[float] = []
    last = None
    for value in values:
        last = value if last is None else weight * last + (1 - weight) * value
        out.append(last)
    return out


class LossChart(PlotextPlot):
    """Train (smoothed) and validation loss against iteration."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.series: list[tuple[str, dict[str, Any]]] = []

    def on_mount(self) -> None:
        self._draw()

    def show_runs(self, runs: list[tuple[str, dict[str, Any]]]) -> None:
        """Draw each (name, curves) pair; curves as in Run.curves ({"train": [[it, loss]], "val": ...})."""
        self.series = runs
        self._draw()

    def _draw(self) -> None:
        plt = self.plt
        plt.clear_data()
        plt.title("loss")
        plt.xlabel("iteration")
        drawn = False
        for index, (name, curves) in enumerate(self.series):
            train_colour, val_colour = RUN_COLOURS[index % len(RUN_COLOURS)]
            label = name[-18:] if len(self.series) > 1 else ""
            train = curves.get("train") or []
            if train:
                plt.plot([p[0] for p in train], smooth([p[1] for p in train]), color=train_colour,
                         label=f"{label} train".strip())
                drawn = True
            val = curves.get("val") or []
            if val:
                plt.plot([p[0] for p in val], [p[1] for p in val], color=val_colour, marker="dot",
                         label=f"{label} val".strip())
                drawn = True
        if not drawn:
            plt.title("loss (no reports yet)")
        self.refresh()
