"""Property tests of the EPUB reader: any archive, any XHTML gives a book or a `BookFormatError`.

An EPUB is outside input; whatever its members hold (garbled XML, random tags, broken
zip bytes, odd spines), the reader answers with a `ParsedBook` or a sentence, never with
another exception.
"""

from __future__ import annotations

import io
import random
import zipfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from books.errors import BookFormatError
from books.reader import ParsedBook, parse_book_bytes
from tests.books.test_epub import CONTAINER, OPF, _xhtml

PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def epub_bytes(files: dict[str, object]) -> bytes:
    """A ZIP (EPUB layout) holding `files` in order, `mimetype` first."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/epub+zip")
        for entry, content in files.items():
            archive.writestr(entry, content)  # type: ignore[arg-type]
    return buffer.getvalue()


def _check(data: bytes) -> None:
    try:
        parsed = parse_book_bytes(data, "random.epub")
    except BookFormatError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert isinstance(parsed, ParsedBook) and parsed.text.paragraphs
    text = parsed.text
    assert text.text == "\n\n".join(text.paragraph_text(i) for i in range(len(text.paragraphs)))


_TAGS = ["p", "div", "span", "h1", "h2", "br", "hr", "i", "b", "table", "tr", "td", "script", "style", "li",
         "section", "svg", "a"]
_pieces = st.one_of(
    st.sampled_from(_TAGS).map(lambda t: f"<{t}>"),
    st.sampled_from(_TAGS).map(lambda t: f"</{t}>"),
    st.sampled_from(_TAGS).map(lambda t: f"<{t}/>"),
    st.sampled_from(["&nbsp;", "&amp;", "&bogus;", "&#65;", "&#xD800;", "<!-- c -->", "<![CDATA[x]]>", "<?pi x?>",
                     '<p class="pg-boilerplate">', '<div id="pg-header">', "<", ">", "&"]),
    st.text(max_size=20),
)
_markup = st.lists(_pieces, max_size=40).map("".join)


@PROPERTY_SETTINGS
@given(body=_markup, second=_markup)
def test_random_xhtml_chapters_give_a_book_or_a_sentence(body: str, second: str) -> None:
    _check(epub_bytes({"META-INF/container.xml": CONTAINER, "OEBPS/content.opf": OPF,
                       "OEBPS/one.xhtml": _xhtml(body), "OEBPS/two.xhtml": second}))


_members = st.dictionaries(
    st.sampled_from(["META-INF/container.xml", "OEBPS/content.opf", "OEBPS/one.xhtml", "OEBPS/two.xhtml",
                     "content.opf", "OEBPS/img.png", "a/b/c.xhtml"]),
    st.one_of(st.binary(max_size=200), _markup, st.sampled_from([CONTAINER, OPF, _xhtml("<p>x</p>")])),
    max_size=5,
)


@PROPERTY_SETTINGS
@given(members=_members)
def test_random_zip_members_give_a_book_or_a_sentence(members: dict[str, object]) -> None:
    _check(epub_bytes(members))


_opf_parts = st.lists(st.one_of(
    st.sampled_from(['<itemref idref="c1"/>', '<itemref idref="c2"/>', '<itemref idref="nope"/>', "<itemref/>",
                     '<item id="c3" href="../x.xhtml" media-type="application/xhtml+xml"/>',
                     '<item id="c4" href="one.xhtml#frag" media-type="application/xhtml+xml"/>',
                     '<itemref idref="c4"/>', '<item id="c5" href="%2e%2e/%2e%2e/x.html"/>',
                     '<itemref idref="c5"/>', '<itemref idref="c3"/>']),
    st.text(max_size=10)), max_size=12).map("".join)


@PROPERTY_SETTINGS
@given(spine=_opf_parts)
def test_random_manifests_and_spines_give_a_book_or_a_sentence(spine: str) -> None:
    opf = OPF.replace('<spine><itemref idref="c1"/><itemref idref="c2"/></spine>', f"<spine>{spine}</spine>")
    _check(epub_bytes({"META-INF/container.xml": CONTAINER, "OEBPS/content.opf": opf,
                       "OEBPS/one.xhtml": _xhtml("<p>one</p>"), "OEBPS/two.xhtml": _xhtml("<p>two</p>")}))


_GOOD = epub_bytes({"META-INF/container.xml": CONTAINER, "OEBPS/content.opf": OPF,
                    "OEBPS/one.xhtml": _xhtml("<h1>Start</h1><p>First.</p>"),
                    "OEBPS/two.xhtml": _xhtml("<h2>End</h2><p>Last.</p>")})


@PROPERTY_SETTINGS
@given(rng=st.randoms(use_true_random=False), flips=st.integers(1, 6), truncate=st.booleans())
def test_damaged_archive_bytes_give_a_book_or_a_sentence(rng: random.Random, flips: int, truncate: bool) -> None:
    # Positions drawn uniformly over the file: a corrupt deflate stream, header or directory alike.
    data = bytearray(_GOOD)
    for _ in range(flips):
        data[rng.randrange(len(data))] = rng.randrange(256)
    if truncate:
        data = data[:rng.randrange(4, len(data))]
    _check(bytes(data))
