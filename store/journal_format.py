"""The on-disk format of the journal and the snapshot: checksummed lines, strict parsing.

Why checksums: a one-bit change in a header or a value used to be read as valid data (a
generation flipped from 1 to 0 made open discard every record).  Every journal line and the
snapshot now end in a tab and the CRC32 of what precedes it::

    {"format":2,"generation":3}<TAB>1c291ca3\n          journal header
    {"t":"jobs","put":{"7":{...}}}<TAB>9a0b33f1\n         one change
    {"ops":[{"t":"decisions",...},{"t":"examples",...}]}<TAB>...\n   one transaction

JSON text never holds a raw tab (json escapes it inside strings), so the last tab splits a
line unambiguously.  Parsing here is strict and never raises anything but
`StoreCorruptError` (naming the file and line): wrong types, deep nesting and bad ids are
damage, not tracebacks.  Files written before checksums ("legacy": no tab, no "format") are
still read; the storage rewrites them once in this format.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from store.errors import StoreCorruptError

FORMAT = 2
_TAIL = 10  # b"\t" + 8 hex digits + b"\n"

Document = dict[str, Any]
Tables = dict[str, dict[str, Document]]


def dumps(obj: Any) -> bytes:
    """Compact JSON as UTF-8; a lone surrogate (invalid in UTF-8) is kept as a \\u escape."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(obj, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def seal(payload: bytes) -> bytes:
    """`payload` + tab + its CRC32 + newline: one journal line, or the whole snapshot."""
    return payload + b"\t%08x\n" % zlib.crc32(payload)


def encode_line(entry: Any) -> bytes:
    return seal(dumps(entry))


def encode_header(generation: int) -> bytes:
    return encode_line({"format": FORMAT, "generation": generation})


def encode_snapshot(generation: int, max_ids: dict[str, int], tables: Tables,
                    folded_generation: int, folded_bytes: int) -> bytes:
    """The snapshot, recording which journal (generation and exact size) it folded in.

    Knowing the folded journal's size lets open tell "crash between the snapshot's rename and
    the new journal" (that journal is already in the snapshot) from a damaged header.
    """
    return seal(dumps({"format": FORMAT, "generation": generation, "max_ids": max_ids,
                       "folded": {"generation": folded_generation, "bytes": folded_bytes},
                       "tables": tables}))


def _unseal(raw: bytes) -> Optional[bytes]:
    """The payload of a sealed line (with its newline) if the checksum matches, else None."""
    if len(raw) < _TAIL or raw[-_TAIL:-_TAIL + 1] != b"\t" or raw[-1:] != b"\n":
        return None
    digits = raw[-_TAIL + 1:-1]
    try:
        expected = int(digits, 16)
    except ValueError:
        return None
    payload = raw[:-_TAIL]
    if not all(c in b"0123456789abcdefABCDEF" for c in digits) or zlib.crc32(payload) != expected:
        return None
    return payload


def _loads(payload: bytes) -> Any:
    # RecursionError: a document nested thousands deep; it is damage here, not a crash.
    return json.loads(payload)


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_doc_id(key: Any) -> bool:
    return isinstance(key, str) and 0 < len(key) <= 18 and key.isascii() and key.isdigit()


def check_documents(docs: Any, what: str) -> Optional[str]:
    """Why `docs` is not a `{"<id>": {document}}` object, or None when it is."""
    if not isinstance(docs, dict):
        return f"{what} is not an object"
    for key, doc in docs.items():
        if not _is_doc_id(key):
            return f"{what} has a document id {key[:20]!r} that is not a whole number"
        if not isinstance(doc, dict):
            return f"{what} document {key} is a {type(doc).__name__}, not an object"
    return None


def check_op(op: Any) -> Optional[str]:
    """Why `op` is not one change to one table, or None when it is."""
    if not isinstance(op, dict):
        return f"a change is a {type(op).__name__}, not an object"
    extra = set(op) - {"t", "put", "del", "clear"}
    if extra:
        return f"unknown field {sorted(extra)[0][:20]!r}"
    name = op.get("t")
    if not isinstance(name, str) or not name:
        return "no table name"
    if "put" in op:
        problem = check_documents(op["put"], f"table {name[:40]!r}")
        if problem:
            return problem
    if "del" in op and (not isinstance(op["del"], list) or not all(_is_doc_id(k) for k in op["del"])):
        return "the deleted ids are not a list of whole numbers"
    if "clear" in op and not isinstance(op["clear"], bool):
        return "'clear' is not true or false"
    return None


def check_entry(entry: Any) -> Optional[str]:
    """Why `entry` is not a journal entry (one change, or a transaction of them), or None."""
    if isinstance(entry, dict) and "ops" in entry:
        ops = entry["ops"]
        if set(entry) != {"ops"} or not isinstance(ops, list) or not ops:
            return "a transaction without a list of changes"
        for op in ops:
            problem = check_op(op)
            if problem:
                return problem
        return None
    return check_op(entry)


@dataclass
class JournalImage:
    """What a journal file holds, checked line by line."""

    generation: int
    legacy: bool
    entries: list[dict[str, Any]] = field(default_factory=list)
    good_end: int = 0  # bytes up to the end of the last complete line
    torn: bool = False  # a proven-torn fragment follows good_end (cut it)
    missing_newline: bool = False  # the last line is whole and valid, only its "\n" is missing


def parse_journal(path: Path, raw: bytes, header_only: bool = False) -> JournalImage:
    """Read a journal; raises StoreCorruptError for anything but a torn last write.

    A torn last line is a fragment after the final newline that cannot be a whole line: no
    tab at all (cut inside the JSON, or a zero-filled block after a power cut) or fewer than
    the 8 checksum digits after the tab.  A whole-length line with a wrong checksum, or one
    whose newline was replaced, is damage -- even at the end -- so a bit flip is never
    mistaken for a crash.
    """
    first = raw.find(b"\n")
    if first < 0:
        raise StoreCorruptError(path, "the header line is missing or incomplete", 1)
    image = _parse_header(path, raw[:first + 1])
    if header_only:
        return image
    position, number = first + 1, 2
    end = len(raw)
    while position < end:
        newline = raw.find(b"\n", position)
        if newline < 0:
            _parse_fragment(path, raw[position:], number, image)
            if not image.torn:
                position = end
            break
        line = raw[position:newline + 1]
        image.entries.append(_parse_line(path, line, number, image.legacy))
        position, number = newline + 1, number + 1
    image.good_end = position
    return image


def _parse_header(path: Path, line: bytes) -> JournalImage:
    legacy = b"\t" not in line
    payload = line[:-1] if legacy else _unseal(line)
    if payload is None:
        raise StoreCorruptError(path, "the header fails its checksum", 1)
    try:
        header = _loads(payload)
    except (ValueError, RecursionError):
        header = None
    keys = {"generation"} if legacy else {"format", "generation"}
    if not isinstance(header, dict) or set(header) != keys or not _is_count(header["generation"]) \
            or (not legacy and header["format"] != FORMAT):
        raise StoreCorruptError(path, "line 1 is not a journal header", 1)
    return JournalImage(generation=header["generation"], legacy=legacy)


def _parse_line(path: Path, line: bytes, number: int, legacy: bool) -> dict[str, Any]:
    payload = line[:-1] if legacy else _unseal(line)
    if payload is None:
        raise StoreCorruptError(path, "the line fails its checksum", number)
    try:
        entry = _loads(payload)
    except (ValueError, RecursionError) as exc:
        raise StoreCorruptError(path, f"the line is not readable JSON: {str(exc)[:80]}", number) from None
    problem = check_entry(entry)
    if problem:
        raise StoreCorruptError(path, f"the line is not a journal change: {problem}", number)
    assert isinstance(entry, dict)
    return entry


def _parse_fragment(path: Path, fragment: bytes, number: int, image: JournalImage) -> None:
    if image.legacy:  # no checksum to tell damage from a torn write: as before, a torn write
        image.torn = True
        return
    tab = fragment.find(b"\t")
    if tab < 0 or len(fragment) - tab - 1 < 8:
        image.torn = True
        return
    if len(fragment) - tab - 1 == 8:
        payload = _unseal(fragment + b"\n")
        if payload is not None:  # whole and valid: only the newline was lost
            image.entries.append(_parse_line(path, fragment + b"\n", number, legacy=False))
            image.missing_newline = True
            return
    raise StoreCorruptError(path, "the last line is damaged (not a torn write: it is whole)", number)


@dataclass
class SnapshotImage:
    """What a snapshot file holds, checked."""

    generation: int
    legacy: bool
    tables: Tables
    max_ids: dict[str, int]
    folded_generation: Optional[int] = None
    folded_bytes: Optional[int] = None


def parse_snapshot(path: Path, raw: bytes) -> SnapshotImage:
    """Read a snapshot; raises StoreCorruptError on any damage (it is never torn: it is renamed in)."""
    payload = _unseal(raw)
    legacy = payload is None
    try:
        snap = _loads(raw if payload is None else payload)
    except (ValueError, RecursionError) as exc:
        detail = "it fails its checksum" if raw.endswith(b"\n") and raw[-_TAIL:-_TAIL + 1] == b"\t" \
            else f"not valid JSON: {str(exc)[:80]}"
        raise StoreCorruptError(path, detail) from None
    if not isinstance(snap, dict):
        raise StoreCorruptError(path, "the top is not an object")
    if legacy and "format" in snap:
        raise StoreCorruptError(path, "its checksum is missing")
    if not legacy and snap.get("format") != FORMAT:
        raise StoreCorruptError(path, f"unknown format {str(snap.get('format'))[:20]}")
    generation = snap.get("generation", 0 if legacy else None)
    if not _is_count(generation):
        raise StoreCorruptError(path, "the generation is not a whole number")
    tables = snap.get("tables")
    if not isinstance(tables, dict):
        raise StoreCorruptError(path, "no 'tables' object at the top")
    for name, docs in tables.items():
        problem = check_documents(docs, f"table {name[:40]!r}")
        if problem:
            raise StoreCorruptError(path, problem)
    max_ids = snap.get("max_ids") or {}
    if not isinstance(max_ids, dict) or not all(_is_count(v) for v in max_ids.values()):
        raise StoreCorruptError(path, "'max_ids' is not an object of whole numbers")
    assert isinstance(generation, int)
    image = SnapshotImage(generation=generation, legacy=legacy, tables=tables, max_ids=max_ids)
    if not legacy:
        folded = snap.get("folded")
        if not isinstance(folded, dict) or not _is_count(folded.get("generation")) \
                or not _is_count(folded.get("bytes")):
            raise StoreCorruptError(path, "'folded' does not name the journal it folded in")
        image.folded_generation, image.folded_bytes = folded["generation"], folded["bytes"]
    return image
