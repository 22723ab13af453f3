"""The stage table from the tiny model, end to end: the closing note's example of issue 16.

    python -m tests.evaluation.make_stage_table [--stages 40,100] [--judge live|batch]

Builds a staged dataset from synthetic accepted examples with student conversations, trains the tiny
model on each stage (the real training worker), evaluates each run (test loss on answer tokens, distinct-2,
formulaic openings), compares each stage with the previous one on the probes (the answering worker, cached),
has the fake Anthropic server judge every pair in both orders (a judge that always prefers the answer shown
first, so every pair splits into a tie: the table must say "plateau"), and prints what
`interiority stages BUILD` prints, then its JSON.  Nothing is downloaded; it runs in a temporary folder.

Why a script and not a test: it trains two models and answers a few dozen probes (about a minute on two
cores); the pieces are tested in tests/evaluation and tests/training, and this shows them together.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import sys
import tempfile
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Optional

BUILD = "staged"
JUDGE_TEXT = "Conversation 1 answers the person.\nVERDICT: 1"


def _cli(argv: list[str]) -> tuple[int, str, str]:
    from core.cli import main

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def make_table(root: Path, stages: list[int], judge: str = "live") -> tuple[str, str]:
    """(the `stages` table as printed, its JSON), for a fresh project under `root`."""
    from core.dataset.build import build_dataset
    from core.dataset.spec import BuildSpec
    from core.evaluation.answers import Decoding
    from core.evaluation.compare import compare
    from core.evaluation.judge import judge_comparison
    from core.evaluation.judge_batch import judge_comparison_batch
    from core.project import open_project
    from core.teacher import make_teacher
    from core.training.evaluate import evaluate_run
    from core.training.runner import TrainingRunner
    from core.training.runs import create_run
    from store.database import Database
    from tests.dataset.synthetic import add_book
    from tests.fixtures.fake_anthropic import FakeAnthropic
    from tests.fixtures.tiny_model import build_tiny_model
    from tests.training.conftest import WORKER_ENV, small_config

    model = build_tiny_model(root / "tiny-model")
    project = open_project(root / "project")
    db = Database(project.db_path)
    for index, (title, author) in enumerate((("Anna", "Tolstoy"), ("Swann", "Proust"), ("Waves", "Woolf"),
                                            ("Notes", "Dostoevsky"))):
        add_book(db, title, author, passages=12, per_passage=3, seed=index)
    build_dataset(project, db, BuildSpec(name=BUILD, stages=stages, mix="balanced", formats=("mlx-chat",),
                                         near_dedup=False, seed=1))
    names = []
    for stage in stages:
        async def train(stage: int = stage) -> None:
            runner = TrainingRunner(project, db, env=WORKER_ENV)
            run = create_run(project, db, f"{BUILD}/stage-{stage}", model,
                             small_config(iters=40, max_seq_length=512), name=f"stage-{stage}")
            await runner.start(run)
            await runner.wait(run.name)
            await runner.close()

        asyncio.run(train())
        run = db.runs.by_name(f"stage-{stage}")
        assert run is not None and run.status == "done", f"stage {stage} did not train: {run and run.status}"
        evaluate_run(project, db, run, prompts=6, max_tokens=16)
        names.append(run.name)

    fake = FakeAnthropic().start()
    fake.model_text = JUDGE_TEXT
    saved = {k: os.environ.get(k) for k in ("ANTHROPIC_BASE_URL", "ANTHROPIC_API_KEY")}
    os.environ.update(ANTHROPIC_BASE_URL=fake.base_url, ANTHROPIC_API_KEY=fake.api_key)
    try:
        decoding = Decoding(max_tokens=12, temperature=0.0, top_p=0.0)
        for older, newer in zip(names, names[1:]):
            result = compare(project, db, newer, older, ["inner-life", "continuity", "capability"], n=12, seed=3,
                             decoding=decoding, env=WORKER_ENV)
            teacher = make_teacher(project.settings, project.root)

            async def go() -> None:
                try:
                    if judge == "batch":
                        await judge_comparison_batch(db, result.comparison, teacher, 5.0, poll_s=0.0)
                    else:
                        await judge_comparison(db, result.comparison, teacher, 5.0)
                finally:
                    await teacher.aclose()

            asyncio.run(go())
    finally:
        fake.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    db.close()  # the command line opens the project itself
    code, table, err = _cli(["--project", str(project.root), "stages", BUILD])
    if code != 0:
        raise SystemExit(f"interiority stages failed ({code}): {err}")
    code, as_json, err = _cli(["--project", str(project.root), "stages", BUILD, "--json"])
    if code != 0:
        raise SystemExit(f"interiority stages --json failed ({code}): {err}")
    return table, as_json


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stages", default="40,100", help="nested stage sizes, comma-separated (default 40,100)")
    parser.add_argument("--judge", choices=("live", "batch"), default="live")
    args = parser.parse_args(argv)
    stages = [int(part) for part in args.stages.split(",")]
    os.environ.setdefault("MLX_DISABLE_COMPILE", "1")
    with tempfile.TemporaryDirectory() as folder:
        table, as_json = make_table(Path(folder), stages, args.judge)
    sys.stdout.write(f"$ interiority stages {BUILD}\n{table}\n$ interiority stages {BUILD} --json\n{as_json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
