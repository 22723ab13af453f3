"""The answering subprocess: `python -m core.evaluation.answer_worker` with a JSON request on stdin.

Why a subprocess (as the training worker): loading a model and generating takes seconds to hours and
gigabytes; in its own process it never blocks the studio, can be stopped with a signal, and a crash
loses nothing already answered, because the parent stores each answer as its line arrives.

Request: {"model_path", "adapter_path", "settings": {"max_tokens", "temperature", "top_p"}, "seed",
"jobs": [{"key", "turns": [user turn, ...]}]}.  Output, one JSON object per line on stdout:
{"event": "loaded", "seconds"}, {"event": "answer", "key", "replies", "seconds"} per job, then
{"event": "done"}, or {"event": "error", "message"}.  The model's own reply to each turn is fed back
before the next user turn (continuity probes).  mlx-lm's output goes to stderr.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any, Optional, TextIO


def _emit(out: TextIO, event: str, **fields: Any) -> None:
    out.write(json.dumps({"event": event, **fields}, ensure_ascii=False) + "\n")
    out.flush()


def answer_all(request: dict[str, Any], out: TextIO) -> None:
    import mlx.core as mx
    from mlx_lm.generate import generate
    from mlx_lm.sample_utils import make_sampler
    from mlx_lm.utils import load

    started = time.time()
    adapter_path = request.get("adapter_path") or None
    loaded = load(str(request["model_path"]), adapter_path=adapter_path)
    model: Any = loaded[0]
    tokenizer: Any = loaded[1]
    settings = request.get("settings", {})
    temperature = float(settings.get("temperature", 0.0))
    sampler = make_sampler(temp=temperature, top_p=float(settings.get("top_p", 0.0)) if temperature else 0.0)
    max_tokens = int(settings.get("max_tokens", 128))
    seed = int(request.get("seed", 0))
    _emit(out, "loaded", seconds=round(time.time() - started, 3))
    for job in request.get("jobs", []):
        job_started = time.time()
        mx.random.seed(seed)  # per conversation: an answer does not depend on which others were asked with it
        messages: list[dict[str, str]] = []
        replies: list[str] = []
        for turn in job["turns"]:
            messages.append({"role": "user", "content": str(turn)})
            prompt = tokenizer.apply_chat_template(messages, add_generation_prompt=True)
            reply = generate(model, tokenizer, prompt=prompt, max_tokens=max_tokens, sampler=sampler).strip()
            replies.append(reply)
            messages.append({"role": "assistant", "content": reply})
        _emit(out, "answer", key=job["key"], replies=replies, seconds=round(time.time() - job_started, 3))


def main(argv: Optional[list[str]] = None) -> int:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    out = sys.stdout
    sys.stdout = sys.stderr  # library prints never reach the JSON stream
    try:
        request = json.loads(sys.stdin.read())
        answer_all(request, out)
        _emit(out, "done")
        return 0
    except Exception as exc:  # noqa: BLE001 - the parent needs one line saying why, whatever happened
        _emit(out, "error", message=f"{type(exc).__name__}: {exc}")
        import traceback

        traceback.print_exc()
        return 1
    finally:
        sys.stdout = out


if __name__ == "__main__":
    sys.exit(main())
