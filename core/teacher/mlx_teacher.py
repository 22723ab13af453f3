"""A local MLX model as the teacher: offline and free, through `mlx_lm`.

The model is loaded once, on first use, in a thread; generation also runs in a thread so the event loop
(and the UI above it) never waits on it.  One model answers one request at a time (a lock), so the queue's
concurrency does not multiply memory.

A local model is offered no tool: when the request names one, the model is asked for the tool's input as
one JSON object in its text (the same schema), and the queue parses it from there
(`core.student.turns_from_text`).
"""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path
from typing import Any, Optional

from core.teacher.apikey import HOW_TO
from core.teacher.base import (TeacherNotConfigured, TeacherOutputError, TeacherRequest, TeacherResult,
                               TokenEstimate, Usage)
from core.teacher.pricing import estimate_tokens

FREE = {"input": 0.0, "output": 0.0, "cache_read": 0.0, "cache_write": 0.0}


def check_model_folder(path_text: str) -> Path:
    if not path_text:
        raise TeacherNotConfigured(f"No local model folder: {HOW_TO}.")
    path = Path(path_text).expanduser()
    if not (path / "config.json").is_file():
        raise TeacherNotConfigured(f"{path} is not an MLX model folder (no config.json); set teacher.local_model "
                                   f"to a folder made by `mlx_lm convert` or downloaded from mlx-community.")
    return path


def json_request(request: TeacherRequest) -> str:
    """The user message, asking for the tool's input as JSON in the text when the request names a tool."""
    user = request.prompt.user
    if request.tool is None:
        return user
    schema = json.dumps(request.tool.get("input_schema", {}), ensure_ascii=False)
    return (f"{user}\n\nAnswer with one JSON object that fits this JSON schema, and nothing before or after "
            f"it:\n{schema}")


class MLXTeacher:
    """Generates with a local MLX model folder."""

    def __init__(self, model_path: str | Path, max_tokens: int = 1024, temperature: float = 1.0, seed: Optional[int] = None) -> None:
        self.path = check_model_folder(str(model_path))
        self._max_tokens = int(max_tokens)
        self.temperature = float(temperature)
        self.seed = seed
        self._model: Any = None
        self._tokenizer: Any = None
        self._load_lock = threading.Lock()
        self._generate_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Any) -> "MLXTeacher":
        return cls(settings.teacher.local_model, settings.teacher.max_tokens, settings.teacher.temperature)

    @property
    def name(self) -> str:
        return f"mlx:{self.path.name}"

    @property
    def max_tokens(self) -> int:
        return self._max_tokens

    @property
    def is_free(self) -> bool:
        return True

    def price_row(self, batch: bool = False) -> dict[str, float]:
        return dict(FREE)

    def _load(self) -> tuple[Any, Any]:
        with self._load_lock:
            if self._model is None:
                from mlx_lm import load  # heavy import, only when a local teacher is used

                try:
                    loaded: Any = load(str(self.path))  # (model, tokenizer), or with a config when asked
                    self._model, self._tokenizer = loaded[0], loaded[1]
                except Exception as exc:
                    raise TeacherNotConfigured(f"Cannot load the MLX model at {self.path} ({exc}); "
                                               f"check teacher.local_model.") from None
            return self._model, self._tokenizer

    def _prompt_text(self, tokenizer: Any, request: TeacherRequest) -> str:
        system, user = request.prompt.system, json_request(request)
        if getattr(tokenizer, "has_chat_template", False):
            messages = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": user}]
            return str(tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True))
        return (f"{system}\n\n" if system else "") + f"{user}\n\n"

    def _generate_sync(self, request: TeacherRequest) -> TeacherResult:
        from mlx_lm import stream_generate
        from mlx_lm.sample_utils import make_sampler

        model, tokenizer = self._load()
        prompt = self._prompt_text(tokenizer, request)
        limit = int(request.max_tokens or self._max_tokens)
        with self._generate_lock:
            if self.seed is not None:
                import mlx.core as mx

                mx.random.seed(self.seed)
            pieces: list[str] = []
            last = None
            for response in stream_generate(model, tokenizer, prompt, max_tokens=limit,
                                            sampler=make_sampler(temp=self.temperature)):
                pieces.append(response.text)
                last = response
        if last is None:
            raise TeacherOutputError("the local model produced nothing.")
        stop = "max_tokens" if last.finish_reason == "length" else "end_turn"
        usage = Usage(input=int(last.prompt_tokens), output=int(last.generation_tokens))
        return TeacherResult(text="".join(pieces), usage=usage, cost_usd=0.0, model=self.name, stop_reason=stop)

    async def generate(self, request: TeacherRequest) -> TeacherResult:
        return await asyncio.to_thread(self._generate_sync, request)

    async def count_tokens(self, request: TeacherRequest) -> TokenEstimate:
        if self._tokenizer is not None:
            text = self._prompt_text(self._tokenizer, request)
            return TokenEstimate(len(self._tokenizer.encode(text)), True)
        return TokenEstimate(estimate_tokens(request.prompt.chars), False)

    async def aclose(self) -> None:
        self._model = self._tokenizer = None
