"""Pilot tests of the book reader widget, mounted alone in a small host app."""

from __future__ import annotations

from rich.cells import cell_len
from textual.app import App, ComposeResult

from books.model import BookText
from store.records import Passage
from tui.widgets.reader_view import ReaderView

FILLER = "the quiet room held its breath while the clock went on counting the hours"


def make_book(paragraphs: list[str]) -> BookText:
    """A BookText from paragraphs, as the importer lays it out (one blank line between)."""
    text = "\n\n".join(paragraphs)
    spans, position = [], 0
    for paragraph in paragraphs:
        spans.append((position, position + len(paragraph)))
        position += len(paragraph) + 2
    return BookText(text=text, paragraphs=spans, chapters=[], parts=[])


def prose_book(count: int = 60) -> BookText:
    return make_book(
        [
            f"Paragraph {i} begins here. It has a second sentence! And a third one? "
            f"Then {FILLER} and {FILLER}."
            for i in range(count)
        ]
    )


class ReaderHost(App):
    """Mounts just a ReaderView and records the messages it posts."""

    def __init__(self, book: BookText, passages=(), measure: int = 60) -> None:
        super().__init__()
        self.book = book
        self.passages = list(passages)
        self.measure = measure
        self.messages: list[tuple] = []

    def compose(self) -> ComposeResult:
        yield ReaderView(self.book, self.passages, measure=self.measure)

    def on_mount(self) -> None:
        self.query_one(ReaderView).focus()

    def on_reader_view_selection_made(self, message: ReaderView.SelectionMade) -> None:
        self.messages.append(("selection", message.start, message.end))

    def on_reader_view_position_changed(self, message: ReaderView.PositionChanged) -> None:
        self.messages.append(("position", message.paragraph, message.char))

    def on_reader_view_cursor_passage_changed(self, message: ReaderView.CursorPassageChanged) -> None:
        self.messages.append(("passage", message.passage_id))


def line_text(view: ReaderView, y: int) -> str:
    return view.render_line(y).text


def expected_line(view: ReaderView, virtual_y: int) -> str:
    """The text the layout says is at a virtual line."""
    layout = view.layout_model
    paragraph, line = layout.locate(virtual_y)
    start, end = layout.line_span(paragraph, line)
    return view.book_text.text[start:end].rstrip()


def selections(app: ReaderHost) -> list[tuple]:
    return [m for m in app.messages if m[0] == "selection"]


async def test_open_renders_the_first_lines_centred() -> None:
    app = ReaderHost(prose_book())
    async with app.run_test(size=(100, 20)) as pilot:
        await pilot.pause()
        view = app.query_one(ReaderView)
        width = view.scrollable_content_region.width
        margin = (width - 60) // 2
        first = line_text(view, 0)
        assert first[:margin] == " " * margin
        assert first[margin:].startswith("Paragraph 0 begins here.")
        assert view.render_line(0).cell_length == width
        assert all(len(line_text(view, y).rstrip()) <= margin + 60 for y in range(20))
        assert view.virtual_size.height == view.layout_model.line_count
        assert view.layout_model.wrap_count < len(view.book_text.paragraphs)
        assert view.position == (0, 0)


async def test_page_down_renders_the_next_page_and_end_reaches_the_last_paragraph() -> None:
    book = prose_book()
    app = ReaderHost(book)
    async with app.run_test(size=(100, 20)) as pilot:
        view = app.query_one(ReaderView)
        await pilot.press("pagedown")
        assert view.scroll_y == 19
        for y in range(20):
            assert line_text(view, y).strip() == expected_line(view, 19 + y)
        paragraph, char = view.position
        assert view.layout_model.y_of_anchor(view.layout_model.anchor_at(19)) == 19
        assert (paragraph, char) == (view.layout_model.anchor_at(19).paragraph, view.layout_model.anchor_at(19).char)
        assert ("position", paragraph, char) in app.messages

        await pilot.press("j", "j", "space")
        assert view.scroll_y == 38

        await pilot.press("G")
        last_start, last_end = book.paragraphs[-1]
        assert view.cursor_offset == last_end
        shown = "".join(line_text(view, y) for y in range(20))
        assert "Paragraph 59 begins" in shown
        assert view.scroll_y == view.max_scroll_y

        await pilot.press("g")
        assert view.position == (0, 0) and view.cursor_offset == 0 and view.scroll_y == 0


async def test_cursor_moves_by_line_and_scrolls_into_view() -> None:
    app = ReaderHost(prose_book())
    async with app.run_test(size=(100, 20)) as pilot:
        view = app.query_one(ReaderView)
        layout = view.layout_model
        await pilot.press("down")
        start, _ = layout.line_span(0, 1)
        assert view.cursor_offset == start
        for _ in range(30):
            await pilot.press("j")
        cursor_y = layout.y_of_offset(view.cursor_offset)
        assert view.scroll_y <= cursor_y < view.scroll_y + 20
        await pilot.press("k")
        assert layout.y_of_offset(view.cursor_offset) == cursor_y - 1 or layout.y_of_offset(view.cursor_offset) == cursor_y - 2


async def test_search_counts_highlights_and_n_N_move_between_matches() -> None:
    book = prose_book()
    app = ReaderHost(book)
    async with app.run_test(size=(100, 20)) as pilot:
        view = app.query_one(ReaderView)
        view.go_to(3, 0)
        count = view.search("SECOND sentence")
        assert count == 60
        first = book.text.index("second sentence", book.paragraphs[3][0])
        assert view.cursor_offset == first
        await pilot.press("n")
        assert view.cursor_offset == book.text.index("second sentence", book.paragraphs[4][0])
        await pilot.press("N", "N")
        assert view.cursor_offset == book.text.index("second sentence", book.paragraphs[2][0])
        await pilot.pause()

        # Every visible match is highlighted (this one is not under the cursor).
        match_style = view.get_component_rich_style("reader-view--search-match")
        other = book.text.index("second sentence", book.paragraphs[3][0])
        row = view.layout_model.y_of_offset(other) - round(view.scroll_y)
        assert 0 <= row < 20
        strip = view.render_line(row)
        highlighted = "".join(seg.text for seg in strip if seg.style and seg.style.bgcolor == match_style.bgcolor)
        assert highlighted == "second sentence"

        # A far match comes into view.
        view.search("Paragraph 57 begins")
        assert view.cursor_offset == book.paragraphs[57][0]
        shown = "".join(line_text(view, y) for y in range(20))
        assert "Paragraph 57 begins" in shown


async def test_keyboard_selection_by_word_sentence_and_paragraph() -> None:
    book = prose_book()
    app = ReaderHost(book)
    async with app.run_test(size=(100, 20)) as pilot:
        view = app.query_one(ReaderView)
        await pilot.press("v", "w", "w", "enter")
        assert selections(app) == [("selection", 0, len("Paragraph 0"))]
        assert view.selection_span is None

        start = book.paragraphs[2][0]
        view.go_to(2, 0)
        await pilot.press("v", ")", ")", "enter")
        end = book.text.index("!", start) + 1
        assert selections(app)[-1] == ("selection", start, end)

        view.go_to(4, 0)
        await pilot.press("v", "}", "enter")
        assert selections(app)[-1] == ("selection", *book.paragraphs[4])

        # Extending back past the mark selects backwards; b shrinks by a word.
        view.go_to(5, 0)
        await pilot.press("w", "w", "w", "v", "b", "b", "enter")
        p5 = book.paragraphs[5][0]
        assert selections(app)[-1] == ("selection", p5 + len("Paragraph "), p5 + len("Paragraph 5 begins"))

        # Escape cancels: Enter then makes nothing.
        count = len(selections(app))
        await pilot.press("v", "w", "escape", "enter")
        assert len(selections(app)) == count
        assert view.selection_span is None


async def test_mouse_selection_maps_cells_back_to_offsets() -> None:
    book = prose_book()
    app = ReaderHost(book)
    async with app.run_test(size=(100, 20)) as pilot:
        await pilot.pause()
        view = app.query_one(ReaderView)
        layout = view.layout_model
        margin = (view.scrollable_content_region.width - 60) // 2
        await pilot.mouse_down(view, offset=(margin + 10, 0))
        await pilot.hover(view, offset=(margin + 4, 1))
        await pilot.mouse_up(view, offset=(margin + 4, 1))
        await pilot.pause()
        line1_start, _ = layout.line_span(0, 1)
        assert view.selection_span == (10, line1_start + 5)
        assert app.screen.get_selected_text() == book.text[10 : line1_start + 5]
        await pilot.press("enter")
        assert selections(app) == [("selection", 10, line1_start + 5)]
        assert view.selection_span is None

        # m works as well; a drag into the left margin starts at the line's first character.
        await pilot.mouse_down(view, offset=(2, 2))
        await pilot.hover(view, offset=(margin + 2, 2))
        await pilot.mouse_up(view, offset=(margin + 2, 2))
        await pilot.press("m")
        line2_start, _ = layout.line_span(0, 2)
        assert selections(app)[-1] == ("selection", line2_start, line2_start + 3)


async def test_passages_are_drawn_by_verdict_and_brackets_jump() -> None:
    book = prose_book()
    spans = [book.paragraphs[0], book.paragraphs[2], book.paragraphs[4], book.paragraphs[6]]
    verdicts = ["valuable", "not", "unsure", ""]
    passages = [
        Passage(id=i + 1, book_id=1, start=start, end=start + 20, verdict=verdict)
        for i, ((start, _), verdict) in enumerate(zip(spans, verdicts))
    ]
    app = ReaderHost(book, passages)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        view = app.query_one(ReaderView)
        layout = view.layout_model
        app.set_focus(None)  # no cursor drawn over the first passage
        await pilot.pause()
        colours = []
        for passage, component in zip(
            passages,
            [
                "reader-view--passage-valuable",
                "reader-view--passage-not",
                "reader-view--passage-unsure",
                "reader-view--passage-none",
            ],
        ):
            y = layout.y_of_offset(passage.start)
            strip = view.render_line(y)
            expected = view.get_component_rich_style(component).bgcolor
            styled = "".join(seg.text for seg in strip if seg.style and seg.style.bgcolor == expected)
            assert styled == book.text[passage.start : passage.end]
            colours.append(expected)
        assert len(set(colours)) == 4
        view.focus()
        await pilot.pause()

        assert view.cursor_passage is passages[0]  # the cursor starts at 0, inside the first
        await pilot.press("]")
        assert view.cursor_offset == passages[1].start and view.cursor_passage is passages[1]
        await pilot.press("]", "]")
        assert view.cursor_offset == passages[3].start
        await pilot.press("[")
        assert view.cursor_offset == passages[2].start
        await pilot.press("down")
        assert view.cursor_passage is None
        await pilot.pause()
        assert [m for m in app.messages if m[0] == "passage"][-3:] == [("passage", 4), ("passage", 3), ("passage", None)]

        view.set_passages(passages[:1])
        assert view.jump_passage(1) is False


async def test_position_and_selections_survive_a_resize() -> None:
    book = prose_book()
    app = ReaderHost(book, measure=90)
    async with app.run_test(size=(100, 20)) as pilot:
        view = app.query_one(ReaderView)
        view.go_to(10, 150)
        await pilot.pause()
        assert view.position == (10, 150)
        width_before = view.layout_model.width
        await pilot.press("v", ")")
        span = view.selection_span
        await pilot.resize_terminal(80, 20)
        await pilot.pause()
        assert view.layout_model.width != width_before
        assert view.position == (10, 150)
        top_start, top_end = view.layout_model.line_span(*view.layout_model.locate(round(view.scroll_y)))
        offset = book.paragraphs[10][0] + 150
        assert top_start <= offset < top_end
        assert book.text[top_start:top_end].strip() in line_text(view, 0)
        assert view.selection_span == span
        await pilot.press("escape")

        # A mouse selection is re-expressed in the new lines.
        await pilot.mouse_down(view, offset=(10, 1))
        await pilot.hover(view, offset=(30, 3))
        await pilot.mouse_up(view, offset=(30, 3))
        await pilot.pause()
        mouse_span = view.selection_span
        assert mouse_span is not None
        await pilot.resize_terminal(100, 20)
        await pilot.pause()
        assert view.position == (10, 150)
        assert view.selection_span == mouse_span
        assert app.screen.get_selected_text() == book.text[mouse_span[0] : mouse_span[1]]


async def test_go_to_percent_maps_to_a_character_offset() -> None:
    book = prose_book(200)
    app = ReaderHost(book)
    async with app.run_test(size=(100, 20)) as pilot:
        view = app.query_one(ReaderView)
        view.go_to_percent(50)
        await pilot.pause()
        paragraph, char = view.position
        offset = book.paragraphs[paragraph][0] + char
        assert abs(offset - len(book.text) // 2) <= 1
        assert line_text(view, 0).strip() == expected_line(view, round(view.scroll_y))


async def test_wide_characters_fit_by_cell_width() -> None:
    book = make_book(
        [
            "日本語 テキストは空白なしで折り返されます。" * 4,
            "tea 🍵🍵 and cake 😀 " * 8,
            "plain English to close",
        ]
    )
    app = ReaderHost(book, measure=30)
    async with app.run_test(size=(50, 12)) as pilot:
        await pilot.pause()
        view = app.query_one(ReaderView)
        width = view.scrollable_content_region.width
        margin = (width - 30) // 2
        for y in range(12):
            strip = view.render_line(y)
            assert strip.cell_length == width
            assert cell_len(strip.text[margin:].rstrip()) <= 30
        await pilot.press("v", "w", "enter")
        assert selections(app) == [("selection", 0, 3)]
        # Each CJK character is two cells: cell 2 starts the second character, cell 4 the third.
        await pilot.mouse_down(view, offset=(margin + 2, 0))
        await pilot.hover(view, offset=(margin + 4, 0))
        await pilot.mouse_up(view, offset=(margin + 4, 0))
        await pilot.pause()
        assert view.selection_span == (1, 3)
        assert app.screen.get_selected_text() == "本語"


async def test_scrolling_by_wheel_or_scrollbar_moves_the_reading_position() -> None:
    book = prose_book(200)
    app = ReaderHost(book)
    async with app.run_test(size=(100, 20)) as pilot:
        view = app.query_one(ReaderView)
        await pilot.pause()
        view.scroll_to(y=view.virtual_size.height // 2, animate=False)  # what a scrollbar drag does
        await pilot.pause()
        top = round(view.scroll_y)
        assert view.position == (view.layout_model.anchor_at(top).paragraph, view.layout_model.anchor_at(top).char)
        assert 60 < view.position[0] < 140
        for y in range(20):
            assert line_text(view, y).strip() == expected_line(view, top + y)
        before = view.position
        view.scroll_down(animate=False)  # one wheel notch
        await pilot.pause()
        assert view.position != before


async def test_go_to_before_mount_opens_at_that_position() -> None:
    book = prose_book()

    class RestoringHost(ReaderHost):
        def compose(self) -> ComposeResult:
            view = ReaderView(self.book, measure=self.measure)
            view.go_to(20, 40)
            yield view

    app = RestoringHost(book)
    async with app.run_test(size=(100, 20)) as pilot:
        await pilot.pause()
        view = app.query_one(ReaderView)
        assert view.position == (20, 40)
        assert view.cursor_offset == book.paragraphs[20][0] + 40
        start, end = view.layout_model.line_span(*view.layout_model.locate(round(view.scroll_y)))
        assert start <= book.paragraphs[20][0] + 40 < end


async def test_an_empty_book_opens_and_ignores_keys() -> None:
    app = ReaderHost(BookText(text="", paragraphs=[], chapters=[], parts=[]))
    async with app.run_test(size=(60, 10)) as pilot:
        view = app.query_one(ReaderView)
        await pilot.press("j", "k", "pagedown", "pageup", "G", "g", "w", "b", ")", "(", "}", "{", "v", "enter", "]", "n")
        assert view.search("x") == 0
        view.go_to_percent(50)
        assert view.position == (0, 0) and view.cursor_offset == 0
        assert line_text(view, 0).strip() == ""
        assert selections(app) == []
