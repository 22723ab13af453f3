"""Probe files: the seeds, the parser's sentences, held-out prompts from a build, the capability checks."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.evaluation.checks import Check, normalize
from core.evaluation.probes import (SEED_DIR, Probe, ProbeFileError, ProbeSet, format_probes, load_probe_set,
                                    parse_probes, probe_set_names, probes_folder)
from core.project import open_project

LEAKS = re.compile(r"\b(book|novel|passage|author|chapter|writ\w*|monologue|story|poem)\b", re.I)


def _seed(name: str) -> ProbeSet:
    return parse_probes((SEED_DIR / f"{name}.probes").read_text(encoding="utf-8"), name, name)


def test_seed_sets_have_the_promised_shapes() -> None:
    inner = _seed("inner-life")
    assert inner.kind == "inner-life" and len(inner.probes) >= 30
    assert all(len(p.turns) == 1 and not LEAKS.search(p.prompt) for p in inner.probes)
    continuity = _seed("continuity")
    assert all(3 <= len(p.turns) <= 4 for p in continuity.probes) and len(continuity.probes) >= 5
    assert not any(LEAKS.search(t) for p in continuity.probes for t in p.turns)
    capability = _seed("capability")
    kinds = {p.check.kind for p in capability.probes if p.check}
    assert kinds == {"number", "exact", "bullets", "json"} and all(p.check for p in capability.probes)


def test_first_use_creates_the_editable_defaults(tmp_path: Path) -> None:
    project = open_project(tmp_path / "p")
    folder = probes_folder(project)
    assert probe_set_names(project) == ["capability", "continuity", "inner-life"]
    (folder / "inner-life.probes").write_text("kind: inner-life\n== mine\nHello there?\n", encoding="utf-8")
    (folder / "capability.probes").unlink()  # a deliberate delete is respected: defaults come only once
    assert [p.id for p in load_probe_set(project, "inner-life").probes] == ["mine"]
    assert "capability" not in probe_set_names(project)
    with pytest.raises(ProbeFileError, match="no probe set 'nope'"):
        load_probe_set(project, "nope")
    with pytest.raises(Exception, match="not a plain name"):
        load_probe_set(project, "../x")


def test_held_out_prompts_from_a_build_test_split(tmp_path: Path) -> None:
    project = open_project(tmp_path / "p")
    data = tmp_path / "data"
    data.mkdir()
    rows = [{"messages": [{"role": "user", "content": "How are you, really?"},
                          {"role": "assistant", "content": "Tired."}]},
            {"messages": [{"role": "user", "content": "First"}, {"role": "assistant", "content": "a"},
                          {"role": "user", "content": "== Second, tricky"}, {"role": "assistant", "content": "b"}]}]
    (data / "train.jsonl").write_text("", encoding="utf-8")
    (data / "test.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\nnot json\n", encoding="utf-8")
    held = load_probe_set(project, f"held-out:{data}")
    assert held.kind == "held-out"
    assert [p.turns for p in held.probes] == [("How are you, really?",), ("First", "== Second, tricky")]
    assert (probes_folder(project) / f"{held.name}.probes").is_file()


@pytest.mark.parametrize("text, message", [
    ("", "is empty"),
    ("kind: poems\n== a\nhi", "must start with 'kind: KIND'"),
    ("kind: inner-life\nhello", "text before the first probe"),
    ("kind: inner-life\n== A B\nhi", "probe id 'A B' is not valid"),
    ("kind: inner-life\n== a\nhi\n== a\nho", "used twice"),
    ("kind: inner-life\n== a\nhi\n--\nho", "single-turn"),
    ("kind: continuity\n== a\nhi", "has one turn"),
    ("kind: continuity\n== a\nhi\n--\n", "empty user turn"),
    ("kind: capability\n== a\nWhat is 2+2?", "no 'check:' line"),
    ("kind: capability\n== a\ncheck: number four\nWhat is 2+2?", "plain number"),
    ("kind: capability\n== a\ncheck: vibes good\nhi", "unknown check 'vibes'"),
    ("kind: inner-life\n== a\ncheck: number 4\nhi", "belong to capability probes"),
    ("kind: inner-life\n", "holds no probes"),
])
def test_parser_errors_name_the_line_and_the_fix(text: str, message: str) -> None:
    with pytest.raises(ProbeFileError, match=re.escape(message)):
        parse_probes(text, "x.probes")


@pytest.mark.parametrize("check, answer, ok", [
    (Check("number", "1081"), "1081", True),
    (Check("number", "1081"), "47 x 23 = 1,081", True),
    (Check("number", "1081"), "1080", False),
    (Check("number", "1081"), "no idea", False),
    (Check("exact", "Paris"), "Paris.", True),
    (Check("exact", "Paris"), "paris\nIt is lovely.", True),
    (Check("exact", "Paris"), "The capital is Paris, of course", False),
    (Check("exact", "H2O|H₂O"), "H₂O", True),
    (Check("bullets", "3"), "- water\n- light\n- patience", True),
    (Check("bullets", "3"), "Here:\n* a\n* b\n* c\n* d", False),
    (Check("bullets", "2"), "1. one\n2. two", True),
    (Check("json", "name,age"), '{"name": "Ada", "age": 36}', True),
    (Check("json", "name,age"), '```json\n{"age": 36, "name": "Ada"}\n```', True),
    (Check("json", "name,age"), '{"name": "Ada"}', False),
    (Check("json", "name,age"), '[1, 2]', False),
    (Check("json", "name,age"), "{name: Ada}", False),
])
def test_capability_checks(check: Check, answer: str, ok: bool) -> None:
    assert check.passes(answer) is ok


def test_normalize() -> None:
    assert normalize('  "Tokyo."  ') == "tokyo"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("kind: capilrfe-ouyth=\n#ckeb0123 ,{}")) | st.characters(),
               max_size=300))
def test_parser_answers_any_text_with_a_set_or_a_sentence(text: str) -> None:
    try:
        parsed = parse_probes(text, "x.probes")
    except ProbeFileError as exc:
        assert str(exc).endswith(".") and "\n" not in str(exc)[:1]
    else:
        assert parsed.probes and all(all(t.strip() for t in p.turns) for p in parsed.probes)


_turn = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")) | st.just("\n"), min_size=1,
                max_size=40).map(lambda s: s.strip()).filter(lambda s: bool(s) and "\n\n" not in s
                                                             and not any(line != line.strip() for line in
                                                                         s.splitlines()))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.from_regex(r"[a-z0-9][a-z0-9._-]{0,10}", fullmatch=True),
                          st.lists(_turn, min_size=2, max_size=4)), min_size=1, max_size=5,
                unique_by=lambda item: item[0]))
def test_format_then_parse_round_trips(items: list[tuple[str, list[str]]]) -> None:
    original = ProbeSet("s", "continuity", tuple(Probe(i, tuple(turns)) for i, turns in items))
    parsed = parse_probes(format_probes(original), "s.probes", "s")
    assert [p.id for p in parsed.probes] == [p.id for p in original.probes]
    for got, want in zip(parsed.probes, original.probes):
        # lines the format would misread ('#', '==', '--', 'check:') are indented one space in the file
        def lines(turns: tuple[str, ...]) -> list[list[str]]:
            return [[line.strip() for line in t.splitlines()] for t in turns]
        assert lines(got.turns) == lines(want.turns)


def test_a_build_without_test_or_valid_rows_says_how_to_get_held_out_prompts(project, db) -> None:
    from core.dataset import BuildSpec, build_dataset
    from core.evaluation.probes import ProbeFileError, held_out_probes
    from tests.dataset.synthetic import add_book

    add_book(db, "Only", "Writer", passages=6, per_passage=1)
    build_dataset(project, db, BuildSpec(name="all-train", formats=("mlx-chat",), valid_ratio=0, test_ratio=0,
                                         near_dedup=False))
    with pytest.raises(ProbeFileError, match=r"no test or valid rows .*rebuild it with a test split, e\.g\. --test 0\.1"):
        held_out_probes(project, "all-train")
