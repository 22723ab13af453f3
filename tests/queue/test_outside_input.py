"""Outside input the queue reads: key files, template files, API responses and retry-after headers.

Property tests (Hypothesis) check that any response body or header either becomes valid data or a typed
error, never an exception of another kind nor text that cannot be stored (issue 13 items 7 and 9).
"""

from __future__ import annotations

import os
import threading
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.queue.budget import usage_problem
from core.settings import Settings
from core.teacher.anthropic_teacher import parse_retry_after, result_from_message
from core.teacher.apikey import read_key_file, resolve_api_key
from core.teacher.base import MAX_RETRY_AFTER_S, TeacherNotConfigured, TeacherOutputError, Usage
from core.templates import TemplateError, load_templates
from core.teacher.pricing import cost_usd

ROW = {"input": 3.0, "output": 15.0, "cache_read": 0.3, "cache_write": 3.75}


def finishes_quickly(call, seconds: float = 3.0):
    """Run `call` in a thread; fail (instead of hanging the suite) if it does not return in time."""
    outcome: dict = {}

    def target():
        try:
            outcome["value"] = call()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            outcome["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "it blocked"
    return outcome


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_as_key_file_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "key"
    os.mkfifo(fifo, 0o600)
    outcome = finishes_quickly(lambda: read_key_file(str(fifo)))
    assert isinstance(outcome.get("error"), TeacherNotConfigured) and "not a regular file" in str(outcome["error"])


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_as_template_is_refused_without_blocking(project):
    fifo = project.templates_dir / "zz-pipe.md"
    load_templates(project)  # seeds the folder
    os.mkfifo(fifo)
    outcome = finishes_quickly(lambda: load_templates(project))
    assert isinstance(outcome.get("error"), TemplateError) and "not a regular file" in str(outcome["error"])


def test_a_multi_line_key_gets_its_own_sentence(tmp_path, monkeypatch):
    key_file = tmp_path / "key"
    key_file.write_text("sk-ant-first\nsk-ant-second\n")
    key_file.chmod(0o600)
    with pytest.raises(TeacherNotConfigured, match="more than one line"):
        read_key_file(str(key_file))
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-a\nsk-ant-b")
    with pytest.raises(TeacherNotConfigured, match="ANTHROPIC_API_KEY holds more than one"):
        resolve_api_key(Settings())


def message(text, usage: dict, stop_reason="end_turn", content_kind="list"):
    block = SimpleNamespace(type="text", text=text)
    content = [block] if content_kind == "list" else (None if content_kind == "none" else text)
    return SimpleNamespace(content=content, usage=SimpleNamespace(**usage), stop_reason=stop_reason, model="m")


token_value = st.one_of(st.integers(min_value=-10**13, max_value=10**13), st.text(max_size=5), st.none(),
                        st.booleans(), st.floats(allow_nan=True), st.just(2**70))


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(st.text(), st.integers(), st.none()),
       usage=st.fixed_dictionaries({}, optional={
           "input_tokens": token_value, "output_tokens": token_value,
           "cache_read_input_tokens": token_value, "cache_creation_input_tokens": token_value}),
       content_kind=st.sampled_from(["list", "none", "string"]))
def test_any_response_is_a_result_or_a_typed_error(text, usage, content_kind):
    try:
        result = result_from_message(message(text, usage, content_kind=content_kind), ROW, "m")
    except TeacherOutputError as exc:
        assert str(exc)
        return
    result.text.encode("utf-8")  # storable
    counts = result.usage.to_dict()
    assert all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in counts.values())
    assert result.cost_usd == cost_usd(result.usage, ROW) >= 0


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.characters(min_codepoint=0xD7F0, max_codepoint=0xE010), max_size=20)
       | st.text(max_size=50))
def test_lone_surrogates_become_replacement_characters(text):
    result = result_from_message(message(text, {"input_tokens": 1, "output_tokens": 1}), ROW, "m")
    result.text.encode("utf-8")
    assert len(result.text) <= len(text)


@settings(max_examples=300, deadline=None)
@given(value=st.one_of(st.text(max_size=40), st.floats(allow_nan=True).map(repr),
                       st.integers(min_value=-10**30, max_value=10**30).map(str),
                       st.datetimes().map(lambda d: d.strftime("%a, %d %b %Y %H:%M:%S GMT"))),
       header=st.sampled_from(["retry-after", "retry-after-ms"]))
def test_any_retry_after_is_none_or_between_0_and_60_s(value, header):
    waited = parse_retry_after({header: value})
    assert waited is None or 0.0 <= waited <= MAX_RETRY_AFTER_S


@settings(max_examples=200, deadline=None)
@given(output=st.integers(min_value=0, max_value=10**7), prompt=st.integers(min_value=0, max_value=10**8),
       max_tokens=st.integers(min_value=1, max_value=64_000), chars=st.integers(min_value=0, max_value=10**6))
def test_usage_is_trusted_only_within_the_request_bounds(output, prompt, max_tokens, chars):
    problem = usage_problem(Usage(input=prompt, output=output), max_tokens, chars)
    within = output <= max_tokens and prompt <= 4 * chars + 4096
    assert (problem is None) == within
