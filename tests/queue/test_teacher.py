"""Teacher clients: usage, cost, prompt caching, token counts, error translation, output checks, the key."""

from __future__ import annotations

import os

import pytest

from core.settings import Settings
from core.teacher import make_teacher, teacher_problem
from core.teacher.anthropic_teacher import AnthropicTeacher, parse_retry_after
from core.teacher.apikey import read_key_file, resolve_api_key
from core.teacher.base import (TeacherAuthError, TeacherBadRequest, TeacherConnectionError, TeacherNotConfigured,
                               TeacherOutputError, TeacherOverloaded, TeacherPermissionError, TeacherRateLimited,
                               TeacherRequest, TeacherServerError, TeacherTimeout, check_output)
from core.teacher.pricing import cost_usd
from core.templates import Prompt

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the SDK warns about model ids

PROMPT = Prompt(system_parts=("shared system " * 200, "avoid: a wave of"),
                user_parts=("instructions " * 50, "the passage text"))


def teacher_for(server, **teacher_settings) -> AnthropicTeacher:
    settings = Settings()
    settings.teacher.base_url = server.base_url
    settings.teacher.timeout_s = 1.0
    for key, value in teacher_settings.items():
        setattr(settings.teacher, key, value)
    return AnthropicTeacher(settings, api_key=server.api_key)


async def test_usage_cost_and_prompt_caching(fake_anthropic):
    teacher = teacher_for(fake_anthropic)
    first = await teacher.generate(TeacherRequest(PROMPT, key="k1"))
    second = await teacher.generate(TeacherRequest(PROMPT, key="k2"))
    await teacher.aclose()
    assert first.text and first.stop_reason == "end_turn" and first.model == "claude-sonnet-4-6"
    assert first.usage.cache_write > 0 and first.usage.cache_read == 0
    assert second.usage.cache_read == first.usage.cache_write and second.usage.cache_write == 0
    price = Settings().price_for("claude-sonnet-4-6")
    assert first.cost_usd == pytest.approx(cost_usd(first.usage, price))
    assert second.cost_usd < first.cost_usd  # cache reads are a tenth of the input price
    request = fake_anthropic.message_requests()[0]
    system, content = request.body["system"], request.body["messages"][0]["content"]
    assert [b.get("cache_control") for b in system] == [{"type": "ephemeral"}] * 2
    assert content[0]["cache_control"] == {"type": "ephemeral"} and "cache_control" not in content[-1]
    assert request.idempotency_key == "k1" and "temperature" not in request.body
    assert request.headers.get("x-stainless-retry-count") in (None, "0")


async def test_temperature_other_than_default_is_sent(fake_anthropic):
    teacher = teacher_for(fake_anthropic, temperature=0.7, max_tokens=333)
    await teacher.generate(TeacherRequest(PROMPT))
    await teacher.aclose()
    body = fake_anthropic.message_requests()[0].body
    assert body["temperature"] == 0.7 and body["max_tokens"] == 333


async def test_count_tokens_exact_or_marked_estimate(fake_anthropic):
    teacher = teacher_for(fake_anthropic)
    exact = await teacher.count_tokens(TeacherRequest(PROMPT))
    assert exact.exact and exact.tokens == fake_anthropic.count_prompt_tokens(teacher.params(TeacherRequest(PROMPT)))
    fake_anthropic.count_tokens_enabled = False
    teacher2 = teacher_for(fake_anthropic)
    estimate = await teacher2.count_tokens(TeacherRequest(PROMPT))
    assert not estimate.exact and estimate.tokens == int(-(-PROMPT.chars // 3.5))
    await teacher.aclose()
    await teacher2.aclose()


@pytest.mark.parametrize("action, error, retry_after", [
    ("429", TeacherRateLimited, 2.0), ("529", TeacherOverloaded, 2.0), ("500", TeacherServerError, None),
    ("timeout", TeacherTimeout, None), ("disconnect", TeacherConnectionError, None),
    ("401", TeacherAuthError, None), ("403", TeacherPermissionError, None), ("400", TeacherBadRequest, None),
    ("malformed", TeacherOutputError, None),
])
async def test_errors_are_translated(fake_anthropic, action, error, retry_after):
    fake_anthropic.retry_after = "2"
    fake_anthropic.timeout_sleep = 1.5
    teacher = teacher_for(fake_anthropic)
    fake_anthropic.script(action)
    with pytest.raises(error) as info:
        await teacher.generate(TeacherRequest(PROMPT))
    await teacher.aclose()
    if retry_after is not None:
        assert info.value.retry_after == retry_after
    if action == "401":
        assert "the api key is missing or wrong" in str(info.value).lower()
    assert len(fake_anthropic.message_requests()) == 1, "the SDK must not retry by itself"


def test_retry_after_forms():
    assert parse_retry_after({"retry-after-ms": "1500"}) == 1.5
    assert parse_retry_after({"retry-after": "3"}) == 3.0
    assert parse_retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0
    assert parse_retry_after({}) is None


def test_check_output_rules():
    story = "I counted the stairs again. " * 10
    assert check_output("  " + story + "  ", "end_turn", 100) == story.strip()
    with pytest.raises(TeacherOutputError, match="no text"):
        check_output("   ", "end_turn", 100)
    with pytest.raises(TeacherOutputError, match="refused"):
        check_output("I'm sorry, but I can't help with that.", "end_turn", 100)
    with pytest.raises(TeacherOutputError, match="refus"):
        check_output("anything", "refusal", 100)
    with pytest.raises(TeacherOutputError, match="max_tokens"):
        check_output("The kettle had been ticking for a while before I", "max_tokens", 12)
    trimmed = check_output(story + "And then the thing that", "max_tokens", 100)
    assert trimmed.endswith("stairs again.") and "the thing that" not in trimmed


def test_key_file_must_be_private(tmp_path, monkeypatch):
    key_file = tmp_path / "key"
    key_file.write_text("sk-ant-secret-from-file\n")
    key_file.chmod(0o644)
    with pytest.raises(TeacherNotConfigured, match=f"chmod 600 {key_file}"):
        read_key_file(str(key_file))
    key_file.chmod(0o600)
    settings = Settings()
    settings.teacher.api_key_file = str(key_file)
    assert resolve_api_key(settings) == "sk-ant-secret-from-file"
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-from-env")
    assert resolve_api_key(settings) == "sk-ant-from-env"
    with pytest.raises(TeacherNotConfigured, match="does not exist"):
        read_key_file(str(tmp_path / "missing"))


def test_no_teacher_configured_says_how(tmp_path):
    settings = Settings()
    problem = teacher_problem(settings)
    assert problem and "ANTHROPIC_API_KEY" in problem and "teacher.api_key_file" in problem
    with pytest.raises(TeacherNotConfigured, match="ANTHROPIC_API_KEY"):
        make_teacher(settings)
    settings.teacher.provider = "mlx"
    assert "teacher.local_model" in teacher_problem(settings)
    settings.teacher.local_model = str(tmp_path)
    assert "not an MLX model folder" in teacher_problem(settings)
