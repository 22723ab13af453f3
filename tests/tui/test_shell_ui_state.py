"""core.ui_state: the studio's per-project memory (last screen, per-screen values) -- headless.

Any file content loads (keeping what is valid) or is ignored with a log line; saving is
atomic, stays inside the project, and a failure is logged, not raised.
"""

from __future__ import annotations

import json
import logging

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.ui_state import FILE_NAME, MAX_FILE_BYTES, UiState, load_ui_state, save_ui_state

_json_leaf = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True),
                       st.text(max_size=20))
_json = st.recursive(_json_leaf, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                         st.dictionaries(st.text(max_size=12), inner, max_size=4)),
                     max_leaves=20)
_documents = st.one_of(
    _json,
    st.fixed_dictionaries({"version": st.sampled_from([1, 2, "1", None]),
                           "values": st.dictionaries(st.text(max_size=12), _json, max_size=4)}),
    st.fixed_dictionaries({"version": st.just(1),
                           "values": st.dictionaries(st.sampled_from(["app", "reader", "Bad ns", ""]),
                                                     st.dictionaries(st.text(max_size=12), _json_leaf, max_size=4),
                                                     max_size=3)}),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(st.binary(max_size=300), _documents.map(lambda d: json.dumps(d).encode())))
def test_any_file_content_loads_or_is_ignored_with_a_log_line(tmp_path, caplog, data):
    (tmp_path / FILE_NAME).write_bytes(data)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="core.ui_state"):
        state = load_ui_state(tmp_path)
    assert isinstance(state, UiState)
    # What loaded is exactly what the typed API would accept, and it round-trips.
    for namespace, entries in state.values.items():
        for key, value in entries.items():
            UiState().set(namespace, key, value)
    assert UiState.from_document(state.to_document()) == (state, [])
    try:
        parsed = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        assert state.values == {} and "not JSON" in caplog.text
        return
    if UiState.from_document(parsed)[1]:  # something was dropped: the log says so
        assert "ui state" in caplog.text and "ignored" in caplog.text
    else:
        assert caplog.text == ""


def test_round_trip_and_typed_getters(tmp_path):
    state = UiState()
    state.last_screen = "review"
    state.set("reader", "book", 12)
    state.set("reader", "offset", 40_312)
    state.set("review", "filter", "status=pending")
    state.set("train", "lr", 2e-5)
    state.set("reader", "sidebar", False)
    assert save_ui_state(tmp_path, state)
    loaded = load_ui_state(tmp_path)
    assert loaded == state and loaded.last_screen == "review"
    assert loaded.get_int("reader", "book") == 12 and loaded.get_str("review", "filter") == "status=pending"
    assert loaded.get_float("train", "lr") == 2e-5 and loaded.get_float("reader", "book") == 12.0
    assert loaded.get_bool("reader", "sidebar") is False
    # The wrong type or a missing key answers the default, never a surprise.
    assert loaded.get_int("reader", "sidebar", -1) == -1  # a bool is not an int here
    assert loaded.get_str("reader", "book") is None and loaded.get_int("plan", "gpus", 1) == 1
    loaded.forget("reader", "offset")
    loaded.forget("review")
    assert loaded.get("reader", "offset") is None and "review" not in loaded.values
    assert [p.name for p in tmp_path.iterdir()] == [FILE_NAME]  # no temporary file left behind


@pytest.mark.parametrize("namespace,key,value", [
    ("Reader", "book", 1), ("reader", "", 1), ("reader", "a/b", 1), ("reader", "book", [1]),
    ("reader", "book", float("nan")), ("reader", "book", None), ("reader", "book", "x" * 5000),
])
def test_bad_names_and_values_are_refused(namespace, key, value):
    with pytest.raises(ValueError):
        UiState().set(namespace, key, value)


def test_a_missing_huge_or_unreadable_file_is_an_empty_state(tmp_path, caplog):
    assert load_ui_state(tmp_path) == UiState()
    (tmp_path / FILE_NAME).write_bytes(b" " * (MAX_FILE_BYTES + 1))
    with caplog.at_level(logging.WARNING, logger="core.ui_state"):
        assert load_ui_state(tmp_path) == UiState()
    assert "larger than" in caplog.text
    (tmp_path / FILE_NAME).unlink()
    (tmp_path / FILE_NAME).mkdir()  # a folder where the file should be
    assert load_ui_state(tmp_path) == UiState()


def test_a_link_out_of_the_project_is_neither_read_nor_written(tmp_path, caplog):
    project, outside = tmp_path / "project", tmp_path / "elsewhere.json"
    project.mkdir()
    outside.write_text('{"version": 1, "values": {"app": {"screen": "plan"}}}', encoding="utf-8")
    (project / FILE_NAME).symlink_to(outside)
    state = UiState()
    state.last_screen = "reader"
    with caplog.at_level(logging.WARNING, logger="core.ui_state"):
        assert load_ui_state(project) == UiState()
        assert save_ui_state(project, state) is False
    assert "outside the project" in caplog.text
    assert json.loads(outside.read_text(encoding="utf-8"))["values"]["app"]["screen"] == "plan"
    assert sorted(p.name for p in project.iterdir()) == [FILE_NAME]


def test_a_failed_save_logs_instead_of_raising_and_leaves_no_temporary_file(tmp_path, caplog):
    (tmp_path / FILE_NAME).mkdir()  # a folder where the file should be: the rename fails
    (tmp_path / FILE_NAME / "keep").write_text("x", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="core.ui_state"):
        assert save_ui_state(tmp_path, UiState()) is False
    assert "not saved" in caplog.text
    assert [p.name for p in tmp_path.iterdir()] == [FILE_NAME]


def test_a_screens_namespace_view_reads_and_writes_its_own_keys():
    state = UiState()
    reader = state.namespace("reader")
    reader.set("book", 3)
    reader.set("offset", 120)
    state.namespace("review").set("filter", "flagged")
    assert reader.get_int("book") == 3 and state.get_int("reader", "offset") == 120
    assert reader.get_str("filter") is None and state.namespace("review").get_str("filter") == "flagged"
    reader.forget("offset")
    assert reader.get_int("offset", -1) == -1
    reader.forget()
    assert "reader" not in state.values
    with pytest.raises(ValueError):
        state.namespace("Not A Screen")
