"""The reader's chapter list: a `ChoiceModal` that opens with the current chapter in the middle of the list.

Issue 18, bug 8: the list opened "one row short", the current chapter highlighted
on the row just below the visible part.  `ChoiceModal` sets the highlight while
mounting, and the option list scrolls to it before the modal's box has its final
height (the list is as tall as the dialog allows only after the first layout), so
the scroll was computed for a taller list.  Here the highlight is brought into view
once more after that layout, centred, so the chapters before and after it show too.
"""

from __future__ import annotations

from typing import Sequence

from textual.widgets import OptionList

from tui.widgets.modals import ChoiceModal


def chapter_label(title: str, part: str) -> str:
    """A chapter as the list shows it: "PART II — IV", or the title alone in a book without parts."""
    return f"{part} \u2014 {title}" if part else title


class ChapterModal(ChoiceModal):
    """Pick a chapter; the current one is highlighted and centred when the list opens."""

    def __init__(self, titles: Sequence[str], current: int) -> None:
        super().__init__("Chapters (Enter jumps, Escape cancels)", titles, max(current, 0))

    def on_mount(self) -> None:
        # ChoiceModal.on_mount (run by Textual after this one) highlights and focuses; the centring waits
        # for the first layout, which gives the list its real height.
        self.call_after_refresh(self.centre_highlight)

    def centre_highlight(self) -> None:
        """Scroll the list so the highlighted chapter sits in the middle of what is visible."""
        options = self.query_one("#choices", OptionList)
        highlighted = options.highlighted
        if highlighted is None:
            return
        height = options.scrollable_content_region.height
        options.scroll_to_highlight(top=True)  # its first line at the top (titles may wrap)...
        line = round(options.scroll_y)
        if line >= round(options.max_scroll_y):
            return  # near the end the scroll stopped short of the top: the highlight is in the lower half
        # ...then half a list back, so the chapters before it show too.
        options.scroll_to(y=max(0, line - height // 2), animate=False, immediate=True, force=True)
