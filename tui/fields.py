"""Which widgets are text fields: while one has the focus, printable keys are text, not studio keys.

Shared by the app (Escape leaves a field; bound keys for a field run in typing order)
and the base screen (a screen never opens with a field focused), in its own module so
that neither imports the other.
"""

from __future__ import annotations

from typing import Optional

from textual.widget import Widget
from textual.widgets import Input, TextArea

TEXT_FIELD_TYPES: tuple[type[Widget], ...] = (Input, TextArea)


def is_text_field(widget: Optional[Widget]) -> bool:
    """True when `widget` turns printable keys into text (an Input, or a TextArea that can be edited)."""
    if isinstance(widget, TextArea):
        return not widget.read_only
    return isinstance(widget, TEXT_FIELD_TYPES)
