"""The sidebar's template checklist: a chosen template reads `[x]`, an unchosen one `[ ]`.

Why not Textual's own SelectionList button: it draws the same "X" for both states and tells
them apart only by colour (green against a dark grey), so a person reads every template as
ticked (issue 18).  Here the glyph differs AND the style: chosen is bold in the success colour,
unchosen is muted.  Three cells either way, so the prompt does not move when a box is ticked;
the click target (the option's meta) is kept, so clicking the box still toggles it.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip
from textual.widgets import SelectionList
from textual.widgets.option_list import OptionDoesNotExist

CHOSEN = "[x]"
NOT_CHOSEN = "[ ]"


class TemplateChoices(SelectionList[str]):
    """A SelectionList of template ids whose boxes say, in glyph and style, whether each is chosen."""

    DEFAULT_CSS = """
    TemplateChoices > .selection-list--button,
    TemplateChoices > .selection-list--button-highlighted {
        color: $text-muted;
        text-style: none;
        background: $panel;
    }
    TemplateChoices > .selection-list--button-selected,
    TemplateChoices > .selection-list--button-selected-highlighted {
        color: $text-success;
        text-style: bold;
        background: $panel;
    }
    """

    def is_chosen(self, index: int) -> bool:
        """Whether the option at `index` is ticked (what the box shows)."""
        return self.get_option_at_index(index).value in self._selected

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        index = self.scroll_offset.y + y
        try:
            chosen = self.is_chosen(index)
        except OptionDoesNotExist:
            return strip
        segments = list(strip)
        if len(segments) < 4:
            return strip
        component = "selection-list--button" + ("-selected" if chosen else "")
        if self.highlighted == index:
            component += "-highlighted"
        button = self.get_component_rich_style(component)
        underlying = segments[3].style or Style()
        style = Style(color=button.color, bgcolor=underlying.bgcolor, bold=chosen, dim=not chosen)
        style += Style(meta={"option": index})
        return Strip([Segment(CHOSEN if chosen else NOT_CHOSEN, style), *segments[3:]])
