"""EPUB books, read safely: in memory, never extracted, with defusedxml.

Why so careful: an EPUB is a ZIP of XML files from the internet.  We refuse
entity declarations (XXE, billion laughs), path escapes in entry names, too many
entries, and entries whose size or compression ratio says "zip bomb"; every entry
is read with a hard byte limit so a lying header cannot exhaust memory.

Amplification is bounded too: a spine that lists the same chapter many times reads it
once (a 666 KB file listing one 1.4 MB chapter 300 times is a 1.4 MB book, not 423 MB),
the text gathered is capped at `MAX_TEXT_CHARS`, and the XHTML walk is a loop with a depth
limit, so 20,000 nested `<div>`s get a sentence instead of a `RecursionError`.
"""

from __future__ import annotations

import html.entities
import io
import posixpath
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import Iterator, Optional
from urllib.parse import unquote
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from books.decoding import MAX_TEXT_CHARS, text_too_large
from books.errors import BookFormatError, UnsafeEpubError
from books.structure import Block

MAX_ENTRIES = 5_000
MAX_ENTRY_BYTES = 32 * 1024 * 1024
MAX_TOTAL_BYTES = 256 * 1024 * 1024
MAX_RATIO = 100  # uncompressed / compressed, for entries over RATIO_FLOOR
RATIO_FLOOR = 1024 * 1024
MAX_DEPTH = 500  # element nesting in one XHTML document; real books stay under ~30

_BLOCK_TAGS = {"p", "div", "section", "article", "blockquote", "li", "ul", "ol", "dd", "dt", "dl", "pre",
               "h1", "h2", "h3", "h4", "h5", "h6", "table", "tbody", "thead", "tr", "header", "footer",
               "aside", "figure", "figcaption", "body", "center", "address", "hgroup", "nav"}
_SKIP_TAGS = {"head", "script", "style", "title", "svg", "math"}
_HEADING_TAGS = {"h1", "h2", "h3"}
_CELL_TAGS = {"td", "th"}
_XML_ENTITIES = {"amp", "lt", "gt", "quot", "apos"}
_NAMED_ENTITY = re.compile(rb"&([A-Za-z][A-Za-z0-9]{1,31});")
# What `zipfile` raises on a damaged archive: a bad header, a corrupt deflate stream, a truncated
# member, an unknown compression or version, a nonsense offset.  Each means "damaged EPUB".
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, NotImplementedError, ValueError,
               OverflowError, struct.error, UnicodeDecodeError)
_GUTENBERG_ID = re.compile(r"gutenberg\.org/(?:ebooks/)?(\d+)")


@dataclass
class EpubBook:
    title: str
    author: str
    blocks: list[Block] = field(default_factory=list)
    gutenberg_number: Optional[int] = None


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _check_archive(archive: zipfile.ZipFile, name: str) -> None:
    infos = archive.infolist()
    if len(infos) > MAX_ENTRIES:
        raise UnsafeEpubError(f"{name} has {len(infos)} entries (limit {MAX_ENTRIES}); it is not a normal EPUB.")
    total = 0
    for info in infos:
        entry = info.filename
        parts = entry.replace("\\", "/").split("/")
        if entry.startswith(("/", "\\")) or ".." in parts or re.match(r"^[A-Za-z]:", entry):
            raise UnsafeEpubError(f"{name} holds an entry with an unsafe path ({entry!r}); refusing to read it.")
        if info.file_size > MAX_ENTRY_BYTES:
            raise UnsafeEpubError(f"{name}: entry {entry!r} declares {info.file_size} bytes uncompressed "
                                  f"(limit {MAX_ENTRY_BYTES}); it looks like a zip bomb.")
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise UnsafeEpubError(f"{name}: entry {entry!r} expands {info.file_size // max(info.compress_size, 1)}"
                                  f" times when unpacked; it looks like a zip bomb.")
        total += info.file_size
    if total > MAX_TOTAL_BYTES:
        raise UnsafeEpubError(f"{name} would unpack to {total} bytes (limit {MAX_TOTAL_BYTES}); "
                              f"it looks like a zip bomb.")


def _read_entry(archive: zipfile.ZipFile, entry: str, name: str) -> bytes:
    try:
        info = archive.getinfo(entry)
    except KeyError:
        raise BookFormatError(f"{name} is not a valid EPUB: {entry} is missing.") from None
    try:
        with archive.open(info) as handle:
            data = handle.read(MAX_ENTRY_BYTES + 1)  # never trust the declared size
    except _ZIP_ERRORS as exc:
        raise BookFormatError(f"{name} is a damaged EPUB: cannot read {entry} ({exc}).") from None
    if len(data) > MAX_ENTRY_BYTES:
        raise UnsafeEpubError(f"{name}: entry {entry!r} unpacks past {MAX_ENTRY_BYTES} bytes; "
                              f"it looks like a zip bomb.")
    return data


def _html_entities_to_numeric(data: bytes) -> bytes:
    """XHTML chapters may use HTML names (&nbsp;) that plain XML does not define: make them numeric."""
    def replace(match: re.Match[bytes]) -> bytes:
        name = match.group(1).decode("ascii")
        if name in _XML_ENTITIES or name not in html.entities.name2codepoint:
            return match.group(0)
        return b"&#%d;" % html.entities.name2codepoint[name]
    return _NAMED_ENTITY.sub(replace, data)


def _parse_xml(data: bytes, entry: str, name: str) -> Element:
    try:
        root: Element = SafeET.fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
        return root
    except DefusedXmlException as exc:
        raise UnsafeEpubError(f"{name}: {entry} declares XML entities or external references "
                              f"({type(exc).__name__}); refusing a possibly hostile EPUB.") from None
    except SafeET.ParseError as exc:
        raise BookFormatError(f"{name} is a damaged EPUB: {entry} is not well-formed XML ({exc}).") from None


def _join(base_dir: str, href: str, name: str) -> str:
    path = posixpath.normpath(posixpath.join(base_dir, unquote(href.split("#", 1)[0])))
    if path.startswith("../") or path == ".." or path.startswith("/"):
        raise UnsafeEpubError(f"{name} points outside the archive ({href!r}); refusing it.")
    return path


def read_epub(data: bytes, name: str = "the EPUB") -> EpubBook:
    """Parse an EPUB's bytes into metadata and blocks in spine order."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except _ZIP_ERRORS:
        raise BookFormatError(f"{name} is not a valid EPUB (not a ZIP archive); re-download it.") from None
    with archive:
        _check_archive(archive, name)
        if "META-INF/container.xml" not in archive.namelist():
            raise BookFormatError(f"{name} is not a valid EPUB: META-INF/container.xml is missing; "
                                  f"re-download it or import a plain-text edition.")
        container = _parse_xml(_read_entry(archive, "META-INF/container.xml", name), "container.xml", name)
        rootfile = next((el.get("full-path") for el in container.iter() if _local(el.tag) == "rootfile"
                         and el.get("full-path")), None)
        if not rootfile:
            raise BookFormatError(f"{name} is not a valid EPUB: container.xml names no package file.")
        opf_path = _join("", rootfile, name)
        opf = _parse_xml(_read_entry(archive, opf_path, name), opf_path, name)
        opf_dir = posixpath.dirname(opf_path)

        title = author = ""
        number: Optional[int] = None
        manifest: dict[str, tuple[str, str]] = {}
        spine: list[str] = []
        for element in opf.iter():
            tag = _local(element.tag)
            text = " ".join((element.text or "").split())
            if tag == "title" and not title:
                title = text
            elif tag == "creator" and not author:
                author = text
            elif tag == "identifier" and number is None:
                match = _GUTENBERG_ID.search(text)
                number = int(match.group(1)) if match else None
            elif tag == "item" and element.get("id") and element.get("href"):
                manifest[element.get("id", "")] = (element.get("href", ""), element.get("media-type", ""))
            elif tag == "itemref" and element.get("idref"):
                spine.append(element.get("idref", ""))
        if not spine:
            raise BookFormatError(f"{name} is not a valid EPUB: its package lists no reading order (spine).")

        blocks: list[Block] = []
        chars = 0
        for entry in _spine_entries(spine, manifest, opf_dir, name):
            document = _parse_xml(_html_entities_to_numeric(_read_entry(archive, entry, name)), entry, name)
            found = _BlockCollector(entry, name).collect(document)
            chars += sum(len(block.raw) for block in found)
            if chars > MAX_TEXT_CHARS:
                raise text_too_large(name)
            blocks.extend(found)
    return EpubBook(title=title, author=author, blocks=blocks, gutenberg_number=number)


def _spine_entries(spine: list[str], manifest: dict[str, tuple[str, str]], opf_dir: str, name: str) -> list[str]:
    """The archive entries to read, in reading order, each once (a repeated spine item is read once)."""
    entries: list[str] = []
    seen: set[str] = set()
    for idref in spine:
        if idref in ("pg-header", "pg-footer") or idref not in manifest:
            continue  # Gutenberg's license chunks are not the book
        href, media_type = manifest[idref]
        if "html" not in media_type and not href.lower().endswith((".html", ".htm", ".xhtml")):
            continue
        entry = _join(opf_dir, href, name)
        if entry not in seen:
            seen.add(entry)
            entries.append(entry)
    return entries


class _BlockCollector:
    """Walk an XHTML tree and emit one block per block-level element's own text."""

    def __init__(self, entry: str = "", name: str = "the EPUB") -> None:
        self.entry = entry
        self.name = name
        self.blocks: list[Block] = []
        self.lines: list[str] = [""]
        self.heading = False
        self.pending_break = False

    def collect(self, root: Element) -> list[Block]:
        self._walk(root)
        self._flush()
        return self.blocks

    def _flush(self) -> None:
        lines = [" ".join(line.split()) for line in self.lines]
        lines = [line for line in lines if line]
        if lines:
            self.blocks.append(Block("\n".join(lines), blank_before=1, heading=self.heading,
                                     break_before=self.pending_break))
            self.pending_break = False
        self.lines = [""]
        self.heading = False

    def _text(self, text: Optional[str]) -> None:
        if text:
            self.lines[-1] += text

    def _walk(self, root: Element) -> None:
        """Depth-first over the tree with an explicit stack (no recursion, so no `RecursionError`).

        The stack holds `(element, children iterator, is block)` for each open element; when
        its children are done the element is closed (its block flushed, its tail added).
        """
        stack: list[tuple[Element, Iterator[Element], bool]] = []
        opened = self._open(root)
        if opened is not None:
            stack.append((root, iter(root), opened))
        while stack:
            element, children, block = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                if block:
                    self._flush()
                if stack:
                    self._text(element.tail)
                continue
            opened = self._open(child)
            if opened is None:
                continue
            if len(stack) >= MAX_DEPTH:
                raise BookFormatError(f"{self.name}: {self.entry} nests its elements more than {MAX_DEPTH} deep, "
                                      f"which no book needs; it is damaged or hostile, import another edition.")
            stack.append((child, iter(child), opened))

    def _open(self, element: Element) -> Optional[bool]:
        """Handle an element's start; None when it is done already (skipped, `<hr>`, `<br>`), else "is a block"."""
        tag = _local(element.tag)
        if tag in _SKIP_TAGS:
            self._text(element.tail)
            return None
        classes = (element.get("class") or "").split()
        if "pg-boilerplate" in classes or element.get("id") in ("pg-header", "pg-footer"):
            self._text(element.tail)
            return None
        if tag == "hr":
            self._flush()
            self.pending_break = True
            self._text(element.tail)
            return None
        if tag == "br":
            self.lines.append("")
            self._text(element.tail)
            return None
        block = tag in _BLOCK_TAGS
        if block:
            self._flush()
            self.heading = tag in _HEADING_TAGS
        elif tag in _CELL_TAGS:
            self._text(" ")
        self._text(element.text)
        return block
