"""Other people's JSONL (`lint`, `export --general`): bounded lines, real line numbers, no hangs."""

from __future__ import annotations

import io
import json
import os
import sys
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from core.dataset import GeneralDataError, load_general
from core.dataset.jsonl import JsonlFileError, open_regular, read_jsonl
from core.lint import LintFileError, lint_file

CHAT = {"messages": [{"role": "user", "content": "Say it."},
                     {"role": "assistant", "content": "The kettle ticked while she counted the spoons again."}]}

json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                        max_size=4),
                           max_leaves=12)
lines_strategy = st.lists(st.one_of(
    json_values.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=40).filter(lambda b: b"\n" not in b),
    st.just(b""), st.just(b"   "), st.just(b"[" * 3000)), max_size=30)


@settings(max_examples=150, deadline=None)
@given(lines=lines_strategy, bom=st.booleans())
@example(lines=[b"\xef\xbb\xbf"], bom=False)  # a file that is only a BOM: no line to answer
def test_every_line_gets_one_answer_at_its_real_number(lines: list[bytes], bom: bool) -> None:
    data = (b"\xef\xbb\xbf" if bom else b"") + b"\n".join(lines)
    got = list(read_jsonl(io.BytesIO(data), max_line_bytes=2000))
    effective = list(lines)
    if not bom and effective and effective[0].startswith(b"\xef\xbb\xbf"):
        effective[0] = effective[0][3:]  # a BOM at the start of the file is the file's, whoever wrote it
    expected = [number for number, line in enumerate(effective, 1) if line.strip()]
    assert [entry.number for entry in got] == expected
    for entry in got:
        raw = effective[entry.number - 1]
        if entry.error:
            assert entry.value is None
        if len(raw) > 2000:
            assert "longer than" in entry.error
            continue
        try:
            wanted = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            assert entry.error  # anything Python cannot read is that line's error, never an exception
        else:
            assert not entry.error and entry.value == wanted


def test_lint_reports_each_bad_line_and_reads_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    rows = [b"\xef\xbb\xbf" + json.dumps(CHAT).encode(),  # 1: a BOM is fine
            b'{"text": "caf\xe9 au lait"}',  # 2: Latin-1, not UTF-8
            b"[" * 100_000,  # 3: too deep for the parser (and over the cap below)
            b'{"text": ' + b"7" * 4301 + b"}",  # 4: an integer Python will not parse
            b'{"text": "' + b"x" * 60_000 + b'"}',  # 5: over the 50 KB cap of this run
            json.dumps(CHAT).encode()]  # 6: read after all of that
    path.write_bytes(b"\n".join(rows) + b"\n")
    report = lint_file(path, _settings(), max_line_bytes=50_000)
    errors = {bad["line"]: bad["error"] for bad in report.bad_lines}
    assert sorted(errors) == [2, 3, 4, 5]
    assert "not UTF-8 (byte 0xe9" in errors[2] and "longer than 0.05 MB" in errors[3]
    assert "4,300 digits" in errors[4] and "longer than" in errors[5]
    assert report.checked == 2 and report.lines == 6
    nested = tmp_path / "nested.jsonl"
    nested.write_text("[" * 50_000 + "\n", encoding="utf-8")
    assert lint_file(nested, _settings()).bad_lines[0]["error"] == "JSON nested too deeply to read"


def test_identical_lines_are_grouped_not_compared_pairwise(tmp_path: Path) -> None:
    other = {"text": "A different answer about a window, the cold tea and the hands that waited for it."}
    path = tmp_path / "dupes.jsonl"
    path.write_text("\n".join(json.dumps(row) for row in [other] + [CHAT] * 500) + "\n", encoding="utf-8")
    report = lint_file(path, _settings())
    by_line = {row["line"]: row["flags"] for row in report.flagged}
    assert "repeated word for word on line(s) 3, 4, 5, 6, 7 and 494 more" in str(by_line[2])
    assert any(f["detail"] == "exact duplicate of line 2" for f in by_line[501])
    assert report.clusters == [list(range(2, 502))]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_or_a_device_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    with pytest.raises(LintFileError, match="is a pipe, not a regular file"):
        lint_file(fifo, _settings())
    with pytest.raises(GeneralDataError, match="is a pipe, not a regular file"):
        load_general(fifo)
    if sys.platform != "win32":
        with pytest.raises(GeneralDataError, match="device"):
            load_general(Path("/dev/zero"))
    with pytest.raises(JsonlFileError, match="folder"):
        open_regular(tmp_path)


def test_general_data_stops_at_the_first_bad_line_with_its_number(tmp_path: Path) -> None:
    path = tmp_path / "general.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(CHAT).encode() + b"\n" + b'{"n": ' + b"1" * 4400 + b"}\n")
    with pytest.raises(GeneralDataError, match=r"general.jsonl line 2: not readable JSON \(a number of more"):
        load_general(path)
    path.write_bytes(json.dumps(CHAT).encode() + b"\n\n" + b'{"prompt": "\xff"}\n')
    with pytest.raises(GeneralDataError, match=r"line 3: not UTF-8"):
        load_general(path)


def _settings():
    from core.settings import Settings

    return Settings()
