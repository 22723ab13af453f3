"""EPUB reading, and hostile EPUBs built in the test: each one gets a clear error."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from books import epub
from books.errors import BookFormatError, UnsafeEpubError
from books.reader import parse_book_file

CONTAINER = ('<?xml version="1.0"?><container xmlns="urn:oasis:names:tc:opendocument:xmlns:container" '
             'version="1.0"><rootfiles><rootfile full-path="OEBPS/content.opf" '
             'media-type="application/oebps-package+xml"/></rootfiles></container>')
OPF = ('<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" '
       'xmlns:dc="http://purl.org/dc/elements/1.1/" version="2.0"><metadata><dc:title>Tiny</dc:title>'
       '<dc:creator>A. Writer</dc:creator></metadata><manifest>'
       '<item id="c2" href="two.xhtml" media-type="application/xhtml+xml"/>'
       '<item id="c1" href="one.xhtml" media-type="application/xhtml+xml"/></manifest>'
       '<spine><itemref idref="c1"/><itemref idref="c2"/></spine></package>')


def _xhtml(body: str, preamble: str = "") -> str:
    return (f'<?xml version="1.0" encoding="utf-8"?>{preamble}<html xmlns="http://www.w3.org/1999/xhtml">'
            f"<head><title>t</title><style>p {{}}</style></head><body>{body}</body></html>")


def _epub(tmp_path: Path, files: dict[str, object], name: str = "book.epub") -> Path:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/epub+zip")
        for entry, content in files.items():
            archive.writestr(entry, content)  # type: ignore[arg-type]
    path = tmp_path / name
    path.write_bytes(buffer.getvalue())
    return path


def _good_files(**overrides: object) -> dict[str, object]:
    files: dict[str, object] = {
        "META-INF/container.xml": CONTAINER, "OEBPS/content.opf": OPF,
        "OEBPS/one.xhtml": _xhtml("<h1>The Start</h1><p>First line\nwrapped&nbsp;here.</p>"
                                  "<p>Verse one<br/>verse two</p><hr/><div>A loose div.</div>"),
        "OEBPS/two.xhtml": _xhtml("<h2>The End Game</h2><p>Last <i>words</i>.</p><table><tr><td>a</td>"
                                  "<td>b</td></tr></table>"),
    }
    files.update(overrides)
    return files


def test_spine_order_headings_and_metadata(tmp_path: Path) -> None:
    parsed = parse_book_file(_epub(tmp_path, _good_files()))
    assert (parsed.title, parsed.author, parsed.source_kind) == ("Tiny", "A. Writer", "epub")
    assert parsed.text.text.split("\n\n") == ["The Start", "First line wrapped here.", "Verse one verse two",
                                              "A loose div.", "The End Game", "Last words.", "a b"]
    assert [(c.title, c.paragraph) for c in parsed.text.chapters] == [("The Start", 0), ("The End Game", 4)]


def test_xxe_refused(tmp_path: Path) -> None:
    evil = _xhtml("<p>&xxe;</p>", '<!DOCTYPE html [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>')
    with pytest.raises(UnsafeEpubError, match="entities or external references"):
        parse_book_file(_epub(tmp_path, _good_files(**{"OEBPS/one.xhtml": evil})))


def test_billion_laughs_refused(tmp_path: Path) -> None:
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
    evil = _xhtml("<p>&lol9;</p>", f"<!DOCTYPE html [{entities}]>")
    with pytest.raises(UnsafeEpubError, match="refusing a possibly hostile EPUB"):
        parse_book_file(_epub(tmp_path, _good_files(**{"OEBPS/one.xhtml": evil})))


def test_zip_bomb_by_ratio_refused(tmp_path: Path) -> None:
    bomb = b"\0" * (2 * 1024 * 1024)  # 2 MB of zeros deflate to ~2 KB
    with pytest.raises(UnsafeEpubError, match="zip bomb"):
        parse_book_file(_epub(tmp_path, _good_files(**{"OEBPS/bomb.bin": bomb})))


def test_too_many_entries_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(epub, "MAX_ENTRIES", 5)
    with pytest.raises(UnsafeEpubError, match="entries"):
        parse_book_file(_epub(tmp_path, _good_files(**{"OEBPS/x.css": "a", "OEBPS/y.css": "b"})))


@pytest.mark.parametrize("entry", ["../escape.xhtml", "/etc/evil.xhtml", "OEBPS/../../up.txt"])
def test_path_escapes_refused(tmp_path: Path, entry: str) -> None:
    with pytest.raises(UnsafeEpubError, match="unsafe path"):
        parse_book_file(_epub(tmp_path, _good_files(**{entry: "x"})))


def test_href_escaping_the_archive_refused(tmp_path: Path) -> None:
    opf = OPF.replace('href="one.xhtml"', 'href="../../../etc/passwd.xhtml"')
    with pytest.raises(UnsafeEpubError, match="outside the archive"):
        parse_book_file(_epub(tmp_path, _good_files(**{"OEBPS/content.opf": opf})))


def test_missing_container_and_not_a_zip(tmp_path: Path) -> None:
    files = _good_files()
    del files["META-INF/container.xml"]
    with pytest.raises(BookFormatError, match="container.xml is missing"):
        parse_book_file(_epub(tmp_path, files))
    broken = tmp_path / "broken.epub"
    broken.write_bytes(b"PK\x03\x04" + b"garbage" * 20)
    with pytest.raises(BookFormatError, match="not a valid EPUB"):
        parse_book_file(broken)


def test_malformed_xml_is_a_format_error(tmp_path: Path) -> None:
    with pytest.raises(BookFormatError, match="not well-formed"):
        parse_book_file(_epub(tmp_path, _good_files(**{"OEBPS/one.xhtml": "<html><p>open"})))
