"""Keymap values: any text gets an answer (a reason or None), the keys Textual can fire are accepted, quit stays on ctrl+q."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from core.keys import (
    KEY_NAMES, MODIFIERS, QUIT_BINDING_ID, QUIT_KEY, key_problem, keymap_value_problem, split_keys,
)

single_characters = st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp", "Cf", "Co", "Cn"),
                                  blacklist_characters=",+")
key_names = st.sampled_from(sorted(KEY_NAMES)) | single_characters


@st.composite
def valid_keys(draw: st.DrawFn) -> str:
    modifiers = draw(st.lists(st.sampled_from(MODIFIERS), unique=True, max_size=4))
    return "+".join([*modifiers, draw(key_names)])


valid_key_lists = st.lists(valid_keys(), min_size=1, max_size=8).map(",".join)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=60), st.text(max_size=20))
def test_any_text_gets_an_answer_and_accepted_lists_are_well_formed(value: str, binding_id: str) -> None:
    problem = keymap_value_problem(binding_id, value)
    if problem is not None:
        assert isinstance(problem, str) and problem
        return
    for key in split_keys(value):
        assert key, value
        if len(key) == 1:  # one printable character is the key itself ("+" is the plus key)
            assert key.isprintable() and not key.isspace()
            continue
        *modifiers, name = key.split("+")
        assert set(modifiers) <= set(MODIFIERS) and len(set(modifiers)) == len(modifiers)
        assert name in KEY_NAMES or len(name) == 1


@settings(max_examples=300, deadline=None)
@given(valid_key_lists)
def test_keys_made_by_the_rules_are_accepted(value: str) -> None:
    problem = keymap_value_problem("reader.search", value)
    if QUIT_KEY in split_keys(value):
        assert problem is not None and "reserved for quit" in problem
    else:
        assert problem is None, (value, problem)


@settings(max_examples=200, deadline=None)
@given(valid_key_lists, st.sampled_from(["{},", ",{}", "{},,", "{}, ,x"]))
def test_an_empty_item_is_refused(value: str, pattern: str) -> None:
    assert keymap_value_problem("reader.search", pattern.format(value)) is not None


@settings(max_examples=200, deadline=None)
@given(st.lists(valid_keys(), min_size=1, max_size=7).map(",".join))
def test_quit_must_keep_ctrl_q(value: str) -> None:
    problem = keymap_value_problem(QUIT_BINDING_ID, value)
    if QUIT_KEY in split_keys(value):
        assert problem is None
    else:
        assert problem is not None and "quit must keep ctrl+q" in problem
    assert keymap_value_problem(QUIT_BINDING_ID, f"{QUIT_KEY},{value}") is None


def test_the_reported_case_and_its_neighbours() -> None:
    assert "'zz'" in (keymap_value_problem("app.quit", "ctrl+alt+shift+zz,,,") or "")
    assert key_problem("ctrl+ctrl+a") == "'ctrl+ctrl+a' repeats the modifier ctrl"
    assert key_problem("ctrl+") is not None and key_problem("+") is None and key_problem("ctrl+plus") is None
    assert key_problem("question_mark") is None and key_problem("?") is None and key_problem("f24") is None
    assert key_problem("f25") is not None and key_problem("\t") is not None
    assert keymap_value_problem("reader.search", " ") is not None
    assert keymap_value_problem("", "f2") is not None
    assert keymap_value_problem("reader.search", ",".join(["f2"] * 9)) is not None
