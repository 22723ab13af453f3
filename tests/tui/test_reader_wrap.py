"""Pure tests of the reader's wrapping, layout and motions (no Textual)."""

from __future__ import annotations

import random

import pytest
from rich.cells import cell_len

from tui.widgets import reader_motion as motion
from tui.widgets.reader_layout import Anchor, ReaderLayout
from tui.widgets.reader_wrap import _wrap_cells, estimate_lines, text_cells, wrap_paragraph


def lines_of(text: str, width: int) -> list[str]:
    starts = wrap_paragraph(text, width)
    return [text[a:b] for a, b in zip(starts, starts[1:] + [len(text)])]


def spans_of(paragraphs: list[str]) -> tuple[str, list[tuple[int, int]]]:
    text = "\n\n".join(paragraphs)
    spans, position = [], 0
    for paragraph in paragraphs:
        spans.append((position, position + len(paragraph)))
        position += len(paragraph) + 2
    return text, spans


PROSE = (
    "Well, Prince, so Genoa and Lucca are now just family estates of the Buonapartes. "
    "But I warn you, if you don't tell me that this means war, if you still try to defend "
    "the infamies and horrors perpetrated by that Antichrist, I really believe he is Antichrist."
)


# --- wrap_paragraph ---------------------------------------------------------------


@pytest.mark.parametrize("width", [1, 5, 12, 40, 72, 500])
def test_lines_partition_the_paragraph_and_fit_the_width(width: int) -> None:
    lines = lines_of(PROSE, width)
    assert "".join(lines) == PROSE
    for line in lines:
        assert cell_len(line.rstrip(" ")) <= width


def test_wrapping_is_greedy() -> None:
    lines = lines_of(PROSE, 40)
    for line, following in zip(lines, lines[1:]):
        next_word = following.split(" ")[0]
        assert cell_len(line.rstrip(" ")) + 1 + cell_len(next_word) > 40


def test_ascii_fast_path_agrees_with_the_cell_measuring_path() -> None:
    rng = random.Random(7)
    words = ["a", "of", "the", "prince", "Buonapartes", "x" * 30, "", "  "]
    for _ in range(200):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(0, 60)))
        width = rng.randint(1, 50)
        slow = [0]
        _wrap_cells(text, 0, len(text), width, slow)
        assert wrap_paragraph(text, width) == slow, (text, width)


def test_a_word_longer_than_the_line_is_cut() -> None:
    assert lines_of("abcdefghij klm", 4) == ["abcd", "efgh", "ij ", "klm"]


def test_empty_paragraph_is_one_line() -> None:
    assert wrap_paragraph("", 10) == [0]


def test_hard_newlines_inside_a_paragraph_break_lines() -> None:
    verse = "So we'll go no more a roving\nSo late into the night"
    lines = lines_of(verse, 72)
    assert lines == ["So we'll go no more a roving\n", "So late into the night"]


def test_wide_characters_are_measured_in_cells() -> None:
    text = "日本語のテキストは空白なしで折り返されます。" * 3
    for line in lines_of(text, 10):
        assert cell_len(line) <= 10
    assert lines_of("日本語の", 4) == ["日本", "語の"]
    emoji = "tea 🍵🍵🍵 and 😀 cake"
    lines = lines_of(emoji, 6)
    assert "".join(lines) == emoji
    assert all(cell_len(line.rstrip()) <= 6 for line in lines)
    assert text_cells("a日🍵") == 5


def test_estimates_are_close_for_prose() -> None:
    exact = len(wrap_paragraph(PROSE * 10, 72))
    estimate = estimate_lines(len(PROSE * 10), 0, 72)
    assert abs(estimate - exact) <= max(2, exact // 10)


# --- ReaderLayout -------------------------------------------------------------------


def make_layout(count: int = 200, width: int = 30) -> ReaderLayout:
    rng = random.Random(3)
    paragraphs = [" ".join("w" * rng.randint(1, 9) for _ in range(rng.randint(1, 80))) for _ in range(count)]
    text, spans = spans_of(paragraphs)
    return ReaderLayout(text, spans, width)


def test_layout_wraps_nothing_until_asked() -> None:
    layout = make_layout()
    assert layout.line_count > 200
    assert layout.wrap_count == 0 and layout.exact_count == 0


def test_locate_and_paragraph_y_agree_after_corrections() -> None:
    layout = make_layout()
    layout.wrap_around(Anchor(100, 0), above=30, below=60)
    for paragraph in range(90, 110):
        if not layout.is_exact(paragraph):
            continue
        y = layout.paragraph_y(paragraph)
        assert layout.locate(y) == (paragraph, 0)
        lines = layout.line_total(paragraph)
        assert layout.locate(y + lines) == (paragraph, lines)  # its blank line


def test_wrap_around_wraps_only_the_window() -> None:
    layout = make_layout(count=2000)
    layout.settle(Anchor(1000, 0), height=40)
    assert 0 < layout.exact_count < 200
    assert layout.is_exact(1000) and not layout.is_exact(0) and not layout.is_exact(1999)


def test_line_count_becomes_exact_when_everything_is_wrapped() -> None:
    layout = make_layout()
    for paragraph in range(layout.paragraph_count):
        layout.lines(paragraph)
    expected = sum(len(wrap_paragraph(layout.text[a:b], 30)) + 1 for a, b in layout.paragraphs)
    assert layout.line_count == expected


def test_an_anchor_survives_a_width_change() -> None:
    layout = make_layout()
    anchor = Anchor(120, 57)
    layout.settle(anchor, 40)
    layout.set_width(17)
    y = layout.settle(anchor, 40)
    paragraph, line = layout.locate(y)
    start, end = layout.line_span(paragraph, line)
    para_start = layout.paragraphs[120][0]
    assert paragraph == 120 and start <= para_start + 57 < end


def test_anchor_at_reports_line_starts_and_gaps() -> None:
    layout = make_layout()
    y = layout.paragraph_y(5)
    assert layout.anchor_at(y) == Anchor(5, 0)
    lines = layout.lines(5)
    y = layout.paragraph_y(5)
    assert layout.anchor_at(y + 1) == Anchor(5, lines[1]) if len(lines) > 1 else True
    gap = layout.anchor_at(y + len(lines))
    assert gap.gap and gap.paragraph == 5
    assert layout.y_of_anchor(gap) == y + len(lines)


def test_position_of_maps_offsets_between_paragraphs_to_the_paragraph_before() -> None:
    text, spans = spans_of(["abc", "defg"])
    layout = ReaderLayout(text, spans, 10)
    assert layout.position_of(0) == (0, 0)
    assert layout.position_of(4) == (0, 3)  # in the "\n\n"
    assert layout.position_of(5) == (1, 0)
    assert layout.offset_of(1, 2) == 7


# --- motions ---------------------------------------------------------------------------


TEXT, SPANS = spans_of(["He said: \u201cNo.\u201d Then he left! Who knew?", "Second para here.", "Third"])
STARTS = [a for a, _ in SPANS]


def test_word_motions() -> None:
    assert motion.next_word_end(TEXT, 0) == 2  # "He"
    assert motion.next_word_end(TEXT, 2) == 8  # " said:"
    assert motion.prev_word_start(TEXT, 8) == 3
    assert motion.prev_word_start(TEXT, 3) == 0
    assert motion.next_word_end(TEXT, SPANS[0][1]) == SPANS[1][0] + len("Second")


def test_sentence_motions() -> None:
    first_end = TEXT.index("\u201d") + 1
    assert motion.next_sentence_end(TEXT, SPANS, STARTS, 0) == first_end
    assert motion.next_sentence_end(TEXT, SPANS, STARTS, first_end) == TEXT.index("!") + 1
    assert motion.next_sentence_end(TEXT, SPANS, STARTS, SPANS[0][1]) == SPANS[1][1]
    assert motion.prev_sentence_start(TEXT, SPANS, STARTS, TEXT.index("!")) == TEXT.index("Then")
    assert motion.prev_sentence_start(TEXT, SPANS, STARTS, TEXT.index("Then")) == 0
    assert motion.prev_sentence_start(TEXT, SPANS, STARTS, SPANS[1][0]) == TEXT.index("Who")
    # "Third" has no full stop: the paragraph's end ends the sentence.
    assert motion.next_sentence_end(TEXT, SPANS, STARTS, SPANS[2][0]) == SPANS[2][1]


def test_paragraph_motions() -> None:
    assert motion.next_paragraph_end(SPANS, STARTS, 0) == SPANS[0][1]
    assert motion.next_paragraph_end(SPANS, STARTS, SPANS[0][1]) == SPANS[1][1]
    assert motion.prev_paragraph_start(SPANS, STARTS, SPANS[1][0] + 3) == SPANS[1][0]
    assert motion.prev_paragraph_start(SPANS, STARTS, SPANS[1][0]) == SPANS[0][0]


def test_search_is_case_insensitive_and_wraps() -> None:
    matches = motion.find_all("The cat. the CAT. tHe end", "the")
    assert matches == [0, 9, 18]
    assert motion.next_match(matches, 1) == 9
    assert motion.next_match(matches, 19) == 0
    assert motion.prev_match(matches, 9) == 0
    assert motion.prev_match(matches, 0) == 18
    assert motion.find_all("abc", "") == []
    assert motion.next_match([], 3) is None


# --- passages and style runs -------------------------------------------------------------


def test_passage_index_queries() -> None:
    from rich.style import Style

    from store.records import Passage
    from tui.widgets.reader_paint import PassageIndex, style_runs, verdict_component

    outer = Passage(id=1, start=10, end=100, verdict="valuable")
    inner = Passage(id=2, start=40, end=50, verdict="not")
    later = Passage(id=3, start=200, end=210)
    index = PassageIndex([later, inner, outer])
    assert [p.id for p in index.overlapping(45, 60)] == [1, 2]
    assert index.overlapping(100, 200) == []
    assert index.at(45) is inner and index.at(20) is outer and index.at(150) is None
    assert index.next_after(10) is inner and index.next_after(200) is None
    assert index.previous_before(200) is inner and index.previous_before(10) is None
    assert verdict_component("unsure") == "reader-view--passage-unsure"
    assert verdict_component("") == verdict_component("bogus") == "reader-view--passage-none"

    red, bold = Style(color="red"), Style(bold=True)
    runs = style_runs(0, 10, Style(), [(2, 6, red), (4, 8, bold)])
    assert [(a, b) for a, b, _ in runs] == [(0, 2), (2, 4), (4, 6), (6, 8), (8, 10)]
    assert runs[2][2].color.name == "red" and runs[2][2].bold and not runs[3][2].color


def test_estimating_all_paragraphs_at_once_matches_one_by_one() -> None:
    from tui.widgets.reader_wrap import estimate_cells, estimate_cells_of_spans

    text, spans = spans_of(["plain", "\u201ccurly\u201d", "日本語 and 🍵", "", "more 漢字"])
    assert estimate_cells_of_spans(text, spans) == [estimate_cells(text[a:b]) for a, b in spans]
    assert estimate_cells_of_spans("abc", [(0, 3)]) == [3]


def test_layout_estimates_match_estimate_lines() -> None:
    layout = make_layout(count=50, width=25)
    for paragraph, (start, end) in enumerate(layout.paragraphs):
        cells = end - start
        assert layout.height(paragraph) == estimate_lines(cells, 0, 25) + 1
