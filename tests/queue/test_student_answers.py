"""The teacher returns the student conversation by forced tool use; the queue stores it validated per shape."""

from __future__ import annotations

import hashlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.queue.answers import backfill_user_turn, request_hash, student_turns
from core.student import TOOL_NAME, StudentShapeError, tool_schema, validate_conversation
from core.teacher.base import TeacherOutputError, TeacherRequest, TeacherResult
from core.teacher.mlx_teacher import json_request
from core.templates import Prompt
from tests.queue.conftest import add_passages, make_queue
from tests.queue.test_teacher import PROMPT, teacher_for

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def eight_grams(text: str) -> set[tuple[str, ...]]:
    words = text.lower().split()
    return {tuple(words[i:i + 8]) for i in range(len(words) - 7)}


async def test_each_template_gives_a_student_conversation_of_its_shape(project, db, fake_anthropic):
    add_passages(db, 4, templates=("monologue", "conversation", "continuity", "desire-resistance"))
    queue = make_queue(project, db, fake_anthropic)
    summary = await queue.run()
    assert (summary.done, summary.failed) == (16, 0)
    shapes = {"monologue": "single", "conversation": "conversation", "continuity": "continuity",
              "desire-resistance": "single"}
    for example in db.examples.all():
        assert example.student_shape == shapes[example.template_id]
        assert validate_conversation(example.student, example.student_shape) == example.student
        users = [t["content"] for t in example.student if t["role"] == "user"]
        assert (len(users) >= 2) == (example.template_id == "continuity")
        system, user = example.messages[0]["content"], example.messages[1]["content"]
        assert example.request_hash == hashlib.sha256(f"{system}\x00{user}".encode()).hexdigest()
        assert json.loads(example.messages[2]["content"])["turns"] == example.student  # the raw answer
        passage = db.passages.get(example.passage_id).text
        for turn in example.student:  # nothing of the passage, no exercise, in any turn
            assert not eight_grams(turn["content"]) & eight_grams(passage)
            assert "passage" not in turn["content"].lower() and "monologue" not in turn["content"].lower()
        assert all(len(u) < 400 for u in users)
    for request in fake_anthropic.message_requests():
        body = request.body
        (tool,) = body["tools"]
        assert body["tool_choice"] == {"type": "tool", "name": TOOL_NAME} and tool["name"] == TOOL_NAME
        assert [b.get("cache_control") for b in body["system"]] == [{"type": "ephemeral"}] * 3
    assert summary.stats.cache_hit_rate() > 0.3


@pytest.mark.parametrize("action, reason", [
    ("no_tool", 'no JSON object with "turns"'), ("bad_shape", "has 1 user turn; the reply has 2"),
    ("bad_roles", "Turn 1 should be the user's"), ("bad_turns", "no student conversation"),
    ("user_last", "ends with a user turn"), ("empty", "no text and no tool call"),
])
async def test_a_reply_that_breaks_the_shape_is_a_failed_job_with_its_reason(project, db, fake_anthropic,
                                                                            action, reason):
    add_passages(db, 2)
    fake_anthropic.script(action)
    queue = make_queue(project, db, fake_anthropic, concurrency=1)
    summary = await queue.run()
    failed = [j for j in db.jobs.all() if j.status == "failed"]
    assert (summary.done, summary.failed) == (1, 1) and reason in failed[0].last_error, failed[0].last_error
    assert db.examples.count() == 1 and failed[0].cost_usd > 0


async def test_a_leaking_answer_is_stored_for_the_quality_flags_to_mark(project, db, fake_anthropic):
    add_passages(db, 1)
    fake_anthropic.script("leak")
    await make_queue(project, db, fake_anthropic).run()
    (example,) = db.examples.all()
    assert eight_grams(example.student[-1]["content"]) & eight_grams(db.passages.get(example.passage_id).text)


async def test_batches_carry_the_tool_and_store_the_conversation(project, db, fake_anthropic):
    add_passages(db, 3, templates=("continuity",))
    queue = make_queue(project, db, fake_anthropic, batch=True)
    summary = await queue.run()
    assert summary.done == 3
    entries = [r for r in fake_anthropic.requests if r.path == "/v1/messages/batches"][0].body["requests"]
    assert all(e["params"]["tool_choice"]["name"] == TOOL_NAME for e in entries)
    assert all(e.student_shape == "continuity" and len(e.student) >= 4 for e in db.examples.all())


async def test_count_tokens_includes_the_tool(fake_anthropic):
    teacher = teacher_for(fake_anthropic)
    bare = await teacher.count_tokens(TeacherRequest(PROMPT))
    with_tool = await teacher.count_tokens(TeacherRequest(PROMPT, tool=tool_schema("continuity")))
    await teacher.aclose()
    assert with_tool.exact and with_tool.tokens > bare.tokens
    counted = [r for r in fake_anthropic.requests if r.path == "/v1/messages/count_tokens"][-1].body
    assert counted["tools"][0]["name"] == TOOL_NAME and counted["tool_choice"]["type"] == "tool"


def test_the_local_teacher_is_asked_for_the_same_json():
    prompt = Prompt(("Be brief.",), ("Describe the room.",))
    text = json_request(TeacherRequest(prompt, tool=tool_schema("single")))
    assert text.startswith("Describe the room.") and '"minItems": 2' in text and "one JSON object" in text
    assert json_request(TeacherRequest(prompt)) == "Describe the room."
    answer = ('Sure. ```json\n{"turns": [{"role": "user", "content": "long day?"}, '
              '{"role": "assistant", "content": "The kettle clicked off and I let it."}]}\n```')
    turns = student_turns(TeacherResult(text=answer, stop_reason="end_turn"), "single", 100)
    assert turns[1]["content"] == "The kettle clicked off and I let it."
    assert backfill_user_turn(TeacherResult(text='{"user_turn": " hi "}', stop_reason="end_turn"), 10) == "hi"


def test_request_hash_is_the_sha256_of_system_and_user():
    assert request_hash("s", "u") == hashlib.sha256(b"s\x00u").hexdigest() != request_hash("su", "")


json_value = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=30),
                          lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                      max_size=4), max_leaves=12)
turn = st.fixed_dictionaries({"role": st.sampled_from(["user", "assistant", "system", ""]),
                              "content": st.text(max_size=40)})


@settings(max_examples=200, deadline=None)
@given(tool_input=json_value | st.fixed_dictionaries({"turns": st.lists(turn, max_size=9)}),
       text=st.text(max_size=80), stop=st.sampled_from(["tool_use", "end_turn", "max_tokens", "refusal", ""]),
       shape=st.sampled_from(["single", "conversation", "continuity"]), from_text=st.booleans())
def test_any_answer_is_valid_turns_or_a_sentence(tool_input, text, stop, shape, from_text):
    if from_text:
        text, tool_input = text + json.dumps(tool_input) + text, None
    result = TeacherResult(text=text, stop_reason=stop, tool_input=tool_input)
    try:
        turns = student_turns(result, shape, 100)
    except (TeacherOutputError, StudentShapeError) as exc:
        assert str(exc).strip() and "\n" not in str(exc)
    else:
        assert validate_conversation(turns, shape) == turns and stop not in ("max_tokens", "refusal")
    try:
        user = backfill_user_turn(result, 100)
    except (TeacherOutputError, StudentShapeError) as exc:
        assert str(exc).strip()
    else:
        assert user == user.strip() and user


async def test_the_fake_teachers_conversations_raise_no_student_flag(project, db, fake_anthropic):
    # what a build made from fake-teacher examples relies on: no exercise leak, no copied passage, callbacks
    from core.quality.flagger import template_texts
    from core.quality.leaks import LeakDetector
    from core.quality.student_flags import student_flags
    from core.templates import load_templates

    add_passages(db, 6, templates=("monologue", "conversation", "meta-awareness", "continuity", "uncertainty",
                                   "desire-resistance"))
    summary = await make_queue(project, db, fake_anthropic, concurrency=8).run()
    assert summary.done == 36
    detector = LeakDetector(["A. Writer"], template_texts(load_templates(project)), ["The Test Book"])
    for example in db.examples.all():
        passage = db.passages.get(example.passage_id).text
        flags = student_flags(example.student, example.student_shape, passage, detector, "A. Writer",
                              "The Test Book")
        assert flags == [], (example.template_id, flags)
    answer_words = sum(len(t["content"].split()) for e in db.examples.all() for t in e.student
                       if t["role"] == "assistant")
    all_words = sum(len(t["content"].split()) for e in db.examples.all() for t in e.student)
    assert answer_words / all_words > 0.6  # answers dominate the training text (the build's target is 50%)


class TextTeacher:
    """A free teacher that answers in text, as the local MLX model does (JSON inside prose)."""

    name, max_tokens, is_free = "mlx:text", 512, True

    def __init__(self) -> None:
        self.tools: list[str] = []

    async def generate(self, request: TeacherRequest) -> TeacherResult:
        assert request.tool is not None
        self.tools.append(request.tool["name"])
        turns = [{"role": "user", "content": "the lift is broken again. six floors."},
                 {"role": "assistant", "content": "Somewhere around the fourth landing I stopped counting."}]
        return TeacherResult(text=f"Here it is:\n```json\n{json.dumps({'turns': turns})}\n```", stop_reason="end_turn")

    async def count_tokens(self, request: TeacherRequest):
        from core.teacher.base import TokenEstimate

        return TokenEstimate(request.prompt.chars // 4, False)

    def price_row(self, batch: bool = False) -> dict[str, float]:
        return {"input": 0.0, "output": 0.0, "cache_read": 0.0, "cache_write": 0.0}

    async def aclose(self) -> None:
        return None


async def test_a_teacher_answering_in_text_goes_through_the_same_validation(project, db):
    from core.queue import GenerationQueue, QueueConfig
    from core.queue.jobs import enqueue, select_passages
    from core.templates import load_templates

    add_passages(db, 2, templates=("monologue", "continuity"))
    teacher = TextTeacher()
    templates = load_templates(project, db)
    enqueue(db, select_passages(db), templates, teacher.name)
    summary = await GenerationQueue(db, teacher, templates, QueueConfig(budget_usd=0.0)).run()
    assert (summary.done, summary.failed) == (2, 2)  # one exchange cannot be a continuity conversation
    assert {e.template_id for e in db.examples.all()} == {"monologue"}
    assert all(e.student[0]["content"] == "the lift is broken again. six floors." for e in db.examples.all())
    reasons = {j.last_error for j in db.jobs.all() if j.status == "failed"}
    assert reasons == {"A continuity conversation has 2-4 user turns; the reply has 1."}
    assert set(teacher.tools) == {TOOL_NAME}
