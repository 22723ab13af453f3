"""Pure tests of the reader's cursor model and line keys (no Textual app): offsets in, offsets out."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.style import Style

from tui.widgets.reader_cursor import ReaderCursor
from tui.widgets.reader_layout import ReaderLayout


def book(paragraphs: list[str], width: int) -> ReaderCursor:
    text = "\n\n".join(paragraphs)
    spans, position = [], 0
    for paragraph in paragraphs:
        spans.append((position, position + len(paragraph)))
        position += len(paragraph) + 2
    return ReaderCursor(text, spans, ReaderLayout(text, spans, width))


@dataclass
class Passage:
    id: int
    start: int
    end: int
    verdict: str = ""


def test_vertical_moves_keep_the_column_and_stop_at_the_ends() -> None:
    cursor = book(["aaaa bbbb cccc", "dd", "eeee ffff"], width=5)  # lines: "aaaa ", "bbbb ", "cccc" | "dd" | ...
    cursor.place(2)  # column 2 of "aaaa"
    down = cursor.vertical_target(1)
    assert cursor.text[down - 2:down + 1] == "bbb" and cursor.goal_cells == 2
    cursor.place(down, keep_goal=True)
    cursor.place(cursor.vertical_target(2), keep_goal=True)  # through "cccc" into the short "dd": its end
    assert cursor.offset == cursor.spans[1][1]
    cursor.place(cursor.vertical_target(1), keep_goal=True)
    assert cursor.text[cursor.offset - 2:cursor.offset] == "ee"  # the goal column survives the short line
    assert cursor.text[cursor.vertical_target(5) - 2:cursor.vertical_target(5)] == "ff"  # stops at the last line
    cursor.place(0)
    assert cursor.vertical_target(-3) == 0 and cursor.goal_cells == 0


def test_motions_search_passages_and_the_keyboard_span() -> None:
    cursor = book(["One two. Three four!", "Five six."], width=40)
    assert cursor.text[:cursor.motion_target("word_forward")] == "One"
    cursor.place(cursor.motion_target("sentence_forward"))
    assert cursor.text[:cursor.offset] == "One two."
    assert cursor.search("O") == cursor.text.index("four") + 1 and cursor.matches == [0, 6, 16]  # at or after
    assert (cursor.match_target(-1), cursor.match_target(1)) == (6, 16)
    cursor.set_passages([Passage(1, 9, 20, "valuable"), Passage(2, 22, 31)])
    assert cursor.passage_target(1) == 9 and cursor.passage_target(-1) is None
    assert cursor.keyboard_span() is None
    cursor.mark = 3
    assert cursor.keyboard_span() == (3, cursor.offset)


def test_overlays_are_clipped_to_the_line_and_ordered_by_priority() -> None:
    cursor = book(["abcdefghij"], width=40)
    cursor.set_passages([Passage(1, 0, 8, "valuable")])
    cursor.search("cd")
    cursor.place(5)
    cursor.mark = 1
    names: list[str] = []

    def style(component: str) -> Style:
        names.append(component)
        return Style()

    overlays = cursor.overlays(2, 6, style, mouse_span=(4, 9), show_cursor=True)
    assert [(s, e) for s, e, _ in overlays] == [(2, 6), (2, 4), (2, 5), (4, 6), (5, 6)]
    assert names == ["reader-view--passage-valuable", "reader-view--search-match", "reader-view--selection",
                     "screen--selection", "reader-view--cursor"]


@settings(max_examples=200, deadline=None)
@given(paragraphs=st.lists(st.text("ab \u4e00", min_size=1, max_size=40), min_size=1, max_size=6),
       width=st.integers(3, 20), data=st.data())
def test_line_keys_map_offsets_back_exactly(paragraphs: list[str], width: int, data: st.DataObject) -> None:
    cursor = book(paragraphs, width)
    layout = cursor.layout
    offset = data.draw(st.integers(0, len(cursor.text)))
    paragraph, _ = layout.position_of(offset)
    if offset > cursor.spans[paragraph][1]:  # between paragraphs: the blank line maps to the paragraph's end
        offset = cursor.spans[paragraph][1]
    x, key = layout.key_of_offset(offset)
    assert layout.offset_at_key(x, key) == offset
    assert layout.offset_at_key(-3, key) == layout.offset_at_key(0, key)  # the margin is the line's start
