"""Filters of the Review screen: the one-line bar saying what is shown, and the picker with counts.

The picker lists every value of every facet (status, template, book, tag, teacher, flag) with how many
examples it would show combined with the other active filters, so a reviewer sees "cliche (212)" before
choosing it.  Counts come from the session's in-memory index (set intersections, milliseconds at 10,000
examples), computed by the screen and handed over as plain values.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

FACET_TITLES = {"status": "Status", "template": "Template", "book": "Book", "tag": "Tag", "teacher": "Teacher",
                "flag": "Flag"}
CLEAR_ALL = "clear-all"

FilterChoice = tuple[str, Any]  # (facet, value); value None clears the facet; (CLEAR_ALL, None) clears all


def value_label(facet: str, value: Any, book_titles: Mapping[int, str]) -> str:
    if facet == "book":
        return book_titles.get(value, f"book {value}")
    if facet == "flag" and value == "flagged":
        return "any flag"
    return str(value) if value != "" else "(none)"


def filters_text(filters: Mapping[str, Any], shown: int, total: int, book_titles: Mapping[int, str],
                 search: str = "") -> Text:
    """`Filters: status=pending, tag=grief  ·  search “mem”  ·  1,234 of 10,000 shown  (/ to change)`.

    The search is here, with the filters it narrows, not on the progress line: there it pushed the careful
    start's note past the right edge at 120 columns.
    """
    text = Text()
    text.append("Filters: ", style="bold")
    if filters:
        text.append(", ".join(f"{facet}={value_label(facet, value, book_titles)}" for facet, value in filters.items()))
    else:
        text.append("none")
    if search:
        text.append(f"  \u00b7  search \u201c{search}\u201d (ctrl+f)", style="cyan")
    text.append(f"  \u00b7  {shown:,} of {total:,} shown  (/ to change)", style="dim")
    return text


class ReviewFiltersBar(Static):
    """What the screen is showing, in one line."""

    DEFAULT_CSS = """
    ReviewFiltersBar { height: 1; padding: 0 1; background: $panel; }
    """

    def show(self, filters: Mapping[str, Any], shown: int, total: int, book_titles: Mapping[int, str],
             search: str = "") -> None:
        text = filters_text(filters, shown, total, book_titles, search)
        if text.plain != getattr(self, "_shown_plain", None):  # unchanged on most key presses
            self._shown_plain = text.plain
            self.update(text, layout=False)


class ReviewFilterModal(ModalScreen[Optional[FilterChoice]]):
    """Pick a filter (Enter); picking an active one removes it.  Escape leaves the filters as they were.

    Args:
        counts: facet -> value -> examples it would show with the other active filters.
        active: the active filters.
        book_titles: book id -> title, for the book facet.
    """

    BINDINGS = [
        Binding("escape", "cancel", "Close", id="review.filters_close"),
        Binding("x", "clear_all", "Clear all", id="review.filters_clear"),
    ]
    DEFAULT_CSS = """
    ReviewFilterModal #filter-options { height: 1fr; }
    """

    def __init__(self, counts: Mapping[str, Mapping[Any, int]], active: Mapping[str, Any],
                 book_titles: Mapping[int, str]) -> None:
        super().__init__(classes="modal")
        self.counts = counts
        self.active = dict(active)
        self.book_titles = book_titles
        self.choices: dict[str, FilterChoice] = {}

    def _options(self) -> list[Option]:
        options: list[Option] = [Option(Text("Clear all filters", style="bold"), id=CLEAR_ALL)]
        self.choices[CLEAR_ALL] = (CLEAR_ALL, None)
        for facet, title in FACET_TITLES.items():
            values = self.counts.get(facet, {})
            options.append(Option(Text(title, style="bold underline"), id=f"header:{facet}", disabled=True))
            if facet in self.active and self.active[facet] not in values:
                values = {**values, self.active[facet]: 0}
            for value in sorted(values, key=lambda v: (str(type(v)), v)):
                chosen = self.active.get(facet) == value
                tick = "\u2713" if chosen else " "
                prompt = Text(f"  {tick} {value_label(facet, value, self.book_titles)}")
                prompt.append(f"  ({values[value]:,})", style="dim")
                option_id = f"{facet}:{value}"
                self.choices[option_id] = (facet, None if chosen else value)
                options.append(Option(prompt, id=option_id))
        return options

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box modal-tall"):
            yield Label("Show only\u2026  (Enter picks; picking a ticked one removes it; x clears all)",
                        classes="modal-question", markup=False)
            yield OptionList(*self._options(), id="filter-options")

    def on_mount(self) -> None:
        options = self.query_one("#filter-options", OptionList)
        options.highlighted = 0
        options.focus()

    def select(self, option_id: str) -> None:
        """Pick the option with this id (as Enter on it does)."""
        self.dismiss(self.choices[option_id])

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id in self.choices:
            self.select(event.option.id)

    def action_clear_all(self) -> None:
        self.dismiss((CLEAR_ALL, None))

    def action_cancel(self) -> None:
        self.dismiss(None)
