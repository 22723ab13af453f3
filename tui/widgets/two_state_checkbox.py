"""A Checkbox whose box says, by glyph and by style, whether it is ticked: `[x]` bold green, `[ ]` muted.

Why not Textual's own: its Checkbox draws the same "X" in both states and tells them apart only by colour (green
against a dark grey), so a person reads an unticked box as ticked (issue 18; the same fix as the template
checklist in tui/widgets/template_choices.py).  Both glyphs are three cells wide, so the label does not move when
the box is ticked.  Everything else (the value, `Checkbox.Changed`, Enter / space / click to toggle, focus) is
Textual's Checkbox, so screens query and handle it as a Checkbox.
"""

from __future__ import annotations

from typing import ClassVar

from textual.content import Content
from textual.geometry import Size
from textual.widgets import Checkbox

TICKED = "[x]"
UNTICKED = "[ ]"


class TwoStateCheckbox(Checkbox):
    """Textual's Checkbox with a box whose glyph differs between ticked and unticked."""

    COMPONENT_CLASSES: ClassVar[set[str]] = Checkbox.COMPONENT_CLASSES | {"two-state--ticked", "two-state--unticked"}
    DEFAULT_CSS = """
    TwoStateCheckbox > .two-state--ticked {
        color: $text-success;
        text-style: bold;
    }
    TwoStateCheckbox > .two-state--unticked {
        color: $text-muted;
        text-style: none;
    }
    """

    @property
    def box(self) -> str:
        """What the box shows now: `[x]` or `[ ]` (tests and screen readers read this)."""
        return TICKED if self.value else UNTICKED

    def render(self) -> Content:
        style = self.get_visual_style("two-state--ticked" if self.value else "two-state--unticked")
        label = self.label.pad(1, 1).stylize_before(self.get_visual_style("toggle--label"))
        return Content.assemble((self.box, style), label)

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return len(TICKED) + (2 if self.label else 0) + self.label.cell_length
