"""The local MLX teacher on the tiny model: real generation through mlx_lm, free, recorded like any other."""

from __future__ import annotations

import pytest

from core.queue import GenerationQueue, QueueConfig
from core.queue.jobs import enqueue, select_passages
from core.teacher.base import TeacherRequest
from core.teacher.mlx_teacher import MLXTeacher
from core.templates import Prompt, load_templates
from tests.queue.conftest import add_passages


async def test_mlx_teacher_generates_with_the_tiny_model(tiny_model, project, db):
    teacher = MLXTeacher(tiny_model, max_tokens=24, temperature=0.0, seed=1)
    result = await teacher.generate(TeacherRequest(Prompt(("Be brief.",), ("Describe the room.",))))
    assert result.usage.input > 5 and 0 < result.usage.output <= 24
    assert result.cost_usd == 0.0 and result.stop_reason in ("max_tokens", "end_turn")
    assert teacher.name == f"mlx:{tiny_model.name}" and teacher.is_free
    counted = await teacher.count_tokens(TeacherRequest(Prompt(("Be brief.",), ("Describe the room.",))))
    assert counted.exact and counted.tokens == result.usage.input

    add_passages(db, 1)
    templates = load_templates(project, db)
    enqueue(db, select_passages(db), templates, teacher.name)
    queue = GenerationQueue(db, teacher, templates, QueueConfig(concurrency=2, budget_usd=0.0))
    estimate = await queue.estimate()
    assert estimate.cost_usd == 0.0 and "no cost" in estimate.describe()
    summary = await queue.run()
    # a random-weight model writes nonsense that is usually cut off at max_tokens: a done or a failed job,
    # never a crash, and never charged
    assert summary.done + summary.failed == 1 and queue.stats.spent_usd == 0.0
    job = db.jobs.all()[0]
    assert job.teacher == teacher.name and job.usage["input"] > 0
    await teacher.aclose()
