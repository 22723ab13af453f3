"""interiority.toml is outside input: any text or any parsed document ends in `Settings` or one `SettingsError`.

Hypothesis writes the hostile files (random text, TOML built from the real
section and key names with values of every type, nesting and size) and checks
that nothing else escapes, and that every error is a single line naming the file.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from core.errors import SettingsError
from core.settings import (
    MAX_SETTINGS_BYTES, SECTIONS, Settings, load_settings, parse_settings_text, settings_from_dict,
)

WHERE = "/p/interiority.toml"

KNOWN_KEYS = {name: [f.name for f in dataclasses.fields(getattr(Settings(), name))] for name in SECTIONS}
SECTION_NAMES = [*SECTIONS, "prices", "keymap", "bogus"]
ALL_KEYS = sorted({key for keys in KNOWN_KEYS.values() for key in keys} | {"input", "output", "reader.search",
                                                                            "app.quit", "x"})


def _check_outcome(run: Any) -> None:
    try:
        result = run()
    except SettingsError as exc:
        message = str(exc)
        assert "\n" not in message, message  # one line on stderr, one notification
        assert "interiority.toml" in message
        assert len(message) < 600, message
    else:
        assert isinstance(result, Settings)


# ---- parsed documents ------------------------------------------------------------------------

scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(10 ** 30), max_value=10 ** 30),
    st.integers().map(lambda n: n * 10 ** 400),  # too large for a float
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["anthropic", "mlx", "ctrl+f", "ctrl+q", "f2,,", "ctrl+alt+shift+zz,,,", "question_mark",
                     "ctrl++", "shift+tab,escape", ""]),
    st.none(),
)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.sampled_from(ALL_KEYS), inner, max_size=4), max_leaves=6)
sections = st.dictionaries(st.sampled_from(ALL_KEYS) | st.text(max_size=8), values, max_size=4)
documents = st.dictionaries(st.sampled_from(SECTION_NAMES) | st.text(max_size=6), sections | values, max_size=5)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_any_document_gives_settings_or_one_sentence(document: dict[str, Any]) -> None:
    _check_outcome(lambda: settings_from_dict(document, where=WHERE))


@pytest.mark.parametrize("document", [
    {"teacher": {"a\nb": 1}}, {"keymap": {"a\nb": "ctrl+q"}}, {"prices": {"m\nx": {"inpu\nt": 1.0}}},
    {"prices": {"m\nx": 3}}, {"bo\ngus": 1}, {"keymap": {"x" * 300: "zz"}},
])
def test_odd_key_names_stay_on_one_short_line(document: dict[str, Any]) -> None:
    with pytest.raises(SettingsError) as info:
        settings_from_dict(document, where=WHERE)
    assert "\n" not in str(info.value) and len(str(info.value)) < 300


def _deep(levels: int) -> Any:
    value: Any = "x"
    for _ in range(levels):
        value = [value]
    return value


@pytest.mark.parametrize("levels", [9, 100, 5000])
def test_deep_documents_are_refused_without_recursion(levels: int) -> None:
    with pytest.raises(SettingsError, match="nest"):
        settings_from_dict({"review": {"reject_reasons": _deep(levels)}}, where=WHERE)


# ---- text ------------------------------------------------------------------------------------

toml_values = st.one_of(
    st.integers(min_value=-(10 ** 12), max_value=10 ** 12).map(str),
    st.integers(min_value=1, max_value=6000).map(lambda n: "9" * n),
    st.floats(allow_nan=True, allow_infinity=True).map(lambda f: repr(f).replace("inf", "inf").replace("nan", "nan")),
    st.sampled_from(["true", "false", '"anthropic"', '"mlx"', '"ctrl+f"', '"ctrl+alt+shift+zz,,,"', "[]",
                     '["a", "b"]', "[1, 2]", "{ a = 1 }", '"\\ud800"', "1979-05-27", '"f2,,"', '"ctrl+q"']),
    st.integers(min_value=1, max_value=5000).map(lambda n: "[" * n + "]" * n),
    st.text(max_size=12).map(lambda t: '"' + t.replace("\\", "\\\\").replace('"', '\\"') + '"'),
)
lines = st.one_of(
    st.sampled_from(SECTION_NAMES).map(lambda s: f"[{s}]"),
    st.just('[prices."my-model"]'),
    st.tuples(st.sampled_from(ALL_KEYS).map(lambda k: f'"{k}"'), toml_values).map(lambda kv: f"{kv[0]} = {kv[1]}"),
    st.text(max_size=20),
)
toml_texts = st.lists(lines, max_size=10).map("\n".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(toml_texts)
def test_any_toml_ish_text_gives_settings_or_one_sentence(text: str) -> None:
    _check_outcome(lambda: parse_settings_text(text, where=WHERE))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_any_text_gives_settings_or_one_sentence(text: str) -> None:
    _check_outcome(lambda: parse_settings_text(text, where=WHERE))


# ---- the cases the attack found, by name -----------------------------------------------------

def test_5000_deep_toml_arrays_are_a_sentence(tmp_path: Path) -> None:
    path = tmp_path / "interiority.toml"
    path.write_text("[quality]\nextra_cliches = " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(SettingsError, match="nests arrays or tables too deeply") as info:
        load_settings(path)
    assert str(path) in str(info.value)


def test_a_4300_digit_integer_is_a_sentence() -> None:
    with pytest.raises(SettingsError, match="more than 4,300 digits"):
        parse_settings_text("[queue]\nconcurrency = " + "7" * 5000, where=WHERE)
    with pytest.raises(SettingsError, match="far too large"):
        parse_settings_text("[queue]\nbudget_usd = " + "7" * 400, where=WHERE)


def test_a_fifo_or_a_folder_as_settings_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo" / "interiority.toml"
    fifo.parent.mkdir()
    os.mkfifo(fifo)
    with pytest.raises(SettingsError, match="not a regular file"):
        load_settings(fifo)
    folder = tmp_path / "dir" / "interiority.toml"
    folder.mkdir(parents=True)
    with pytest.raises(SettingsError, match="not a regular file"):
        load_settings(folder)


def test_a_huge_or_non_utf8_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "interiority.toml"
    path.write_bytes(b"#" * (MAX_SETTINGS_BYTES + 1))
    with pytest.raises(SettingsError, match="more than a settings file can be"):
        load_settings(path)
    path.write_bytes(b"[teacher]\nmodel = '\xff'\n")
    with pytest.raises(SettingsError, match="not UTF-8"):
        load_settings(path)


@pytest.mark.parametrize("keymap, reason", [
    ('"reader.search" = "ctrl+alt+shift+zz,,,"', "'zz' in 'ctrl+alt+shift+zz' is neither one character nor a key name"),
    ('"reader.search" = "f2,,"', "an empty key"),
    ('"app.quit" = "f10"', "quit must keep ctrl+q"),
    ('"app.quit" = "ctrl+alt+shift+zz,,,"', "is neither one character nor a key name"),
    ('"library.delete" = "ctrl+q"', "ctrl+q is reserved for quit"),
    ('"reader.search" = "Ctrl+f"', "'Ctrl' in 'Ctrl+f' is not a modifier"),
])
def test_a_bad_keymap_names_the_file_the_binding_and_why(tmp_path: Path, keymap: str, reason: str) -> None:
    path = tmp_path / "interiority.toml"
    path.write_text(f"[keymap]\n{keymap}\n")
    with pytest.raises(SettingsError) as info:
        load_settings(path)
    message = str(info.value)
    binding_id = keymap.split('"')[1]
    assert str(path) in message and f"[keymap] {binding_id} =" in message and reason in message, message


def test_a_good_keymap_loads(tmp_path: Path) -> None:
    path = tmp_path / "interiority.toml"
    path.write_text('[keymap]\n"reader.search" = "ctrl+f, f3"\n"app.quit" = "ctrl+q,f10"\n"app.help" = "?"\n')
    assert load_settings(path).keymap == {"reader.search": "ctrl+f, f3", "app.quit": "ctrl+q,f10", "app.help": "?"}


def test_the_default_file_still_parses() -> None:
    from core.settings import DEFAULT_TOML

    assert settings_from_dict(tomllib.loads(DEFAULT_TOML)).keymap == {}
