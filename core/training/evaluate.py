"""Did fine-tuning work, and did the model turn formulaic?  Test loss, side-by-side samples, warning signs.

WHY these measures: a lower test loss says the tuned model predicts held-out
examples better; the side-by-side samples let a person judge the voice; and the
warning signs catch the usual failure of small-data fine-tunes, where the model
learns one opening and a handful of stock phrases (low distinct-n, one opening
shared by many samples, cliche hits).  The qualitative checklist is filled in by
the person and stored with the run.
"""

from __future__ import annotations

import json
import math
import time
from collections import Counter
from pathlib import Path
from typing import Any, Sequence

from core.errors import UserError
from core.project import Project
from core.training.config import CHECKLIST_ITEMS, CHECKLIST_LABELS, CHECKLIST_VALUES, TrainingConfig
from core.training.runs import run_folder
from core.training.worker import ADAPTER_FILE, ADAPTERS_DIR
from store.database import Database
from store.records import Run

OPENING_WORDS = 3


class EvaluationError(UserError):
    """The run cannot be evaluated yet (no adapters, no test split)."""


def distinct_n(texts: Sequence[str], n: int) -> float:
    """Unique n-grams over all n-grams across the texts (1.0 = never repeats)."""
    grams: list[tuple[str, ...]] = []
    for text in texts:
        words = text.lower().split()
        grams += [tuple(words[i:i + n]) for i in range(len(words) - n + 1)]
    return len(set(grams)) / len(grams) if grams else 0.0


def opening_share(texts: Sequence[str], words: int = OPENING_WORDS) -> tuple[str, float]:
    """The most common opening (first `words` words) and the share of samples that use it."""
    openings = [" ".join(t.lower().split()[:words]) for t in texts if t.split()]
    if not openings:
        return "", 0.0
    top, count = Counter(openings).most_common(1)[0]
    return top, count / len(texts)


def cliche_hits(texts: Sequence[str]) -> tuple[int, list[str], str]:
    """Total cliche hits, the phrases hit, and which checker was used (the review's own matcher)."""
    from core.quality.cliches import ClicheMatcher, PhraseList, normalize

    matcher = ClicheMatcher(PhraseList.build())
    phrases: list[str] = []
    for text in texts:
        phrases += [flag.get("phrase", "") for flag in matcher.find(normalize(text))]
    return len(phrases), sorted(set(phrases)), "core.quality ClicheMatcher (seed phrases)"


def warning_signs(samples: Sequence[str]) -> dict[str, Any]:
    """The formulaic-output measures for a set of samples, with the warnings they trigger."""
    top_opening, share = opening_share(samples)
    hits, phrases, checker = cliche_hits(samples)
    lengths = [len(s.split()) for s in samples]
    signs: dict[str, Any] = {
        "samples": len(samples),
        "top_opening": top_opening,
        "top_opening_share": round(share, 3),
        "cliche_hits": hits,
        "cliche_phrases": phrases,
        "cliche_checker": checker,
        "distinct_1": round(distinct_n(samples, 1), 3),
        "distinct_2": round(distinct_n(samples, 2), 3),
        "mean_words": round(sum(lengths) / len(lengths), 1) if lengths else 0.0,
    }
    warnings = []
    if len(samples) >= 3 and share > 0.34:
        warnings.append(f"{share:.0%} of samples open with \u201c{top_opening}\u201d: the model may have learned "
                        f"one opening.")
    if samples and hits / len(samples) >= 0.5:
        warnings.append(f"{hits} cliche hits in {len(samples)} samples ({', '.join(phrases[:5])}).")
    if signs["distinct_2"] and signs["distinct_2"] < 0.5:
        warnings.append(f"distinct-2 is {signs['distinct_2']}: the samples repeat themselves.")
    signs["warnings"] = warnings
    return signs


def _prompts(rows: list[dict[str, Any]], count: int) -> list[tuple[list[dict[str, str]], str]]:
    """(prompt messages, reference answer) for the first `count` chat rows."""
    out = []
    for row in rows:
        messages = row.get("messages")
        if messages and messages[-1].get("role") == "assistant" and len(messages) >= 2:
            out.append((messages[:-1], messages[-1]["content"]))
        elif "prompt" in row:
            out.append(([{"role": "user", "content": row["prompt"]}], row.get("completion", "")))
        if len(out) >= count:
            break
    return out


def _loss(model: Any, dataset: Any, config: TrainingConfig) -> float:
    from mlx_lm.tuner.trainer import evaluate

    batch = max(1, min(config.batch_size, len(dataset)))
    return float(evaluate(model=model, dataset=dataset, batch_size=batch, num_batches=-1,
                          max_seq_length=config.max_seq_length))


def _samples(model: Any, tokenizer: Any, prompts: list[tuple[list[dict[str, str]], str]], max_tokens: int,
             temperature: float, seed: int) -> list[str]:
    import mlx.core as mx
    from mlx_lm.generate import generate
    from mlx_lm.sample_utils import make_sampler

    outputs = []
    for index, (messages, _reference) in enumerate(prompts):
        mx.random.seed(seed + index)
        prompt = tokenizer.apply_chat_template(messages, add_generation_prompt=True)
        text = generate(model, tokenizer, prompt=prompt, max_tokens=max_tokens,
                        sampler=make_sampler(temp=temperature, top_p=0.95 if temperature else 0.0))
        outputs.append(text.strip())
    return outputs


def evaluate_run(project: Project, db: Database, run: Run, prompts: int = 4, max_tokens: int = 48,
                 temperature: float = 0.7, seed: int = 0) -> dict[str, Any]:
    """Evaluate base vs tuned on the build's test split; store and return the report.

    The report is saved in `run.evaluation` and `RUN_DIR/evaluation.json` (RUN_DIR checked to lie in runs/).
    """
    from mlx_lm.tuner.utils import load_adapters
    from mlx_lm.utils import load

    from core.training.datasets import answer_fit, load_split, loss_scope, read_rows

    run_dir = run_folder(project, run.name)
    adapter_dir = run_dir / ADAPTERS_DIR
    if not (adapter_dir / ADAPTER_FILE).is_file():
        raise EvaluationError(f"Run {run.name} has no adapters yet; train it (or resume it) first.")
    config = TrainingConfig.load(run_dir / "config.json")
    data_dir = Path(config.data_dir)
    split_path = data_dir / "test.jsonl"
    split_name = "test"
    if not split_path.is_file() or not read_rows(split_path):
        split_path, split_name = data_dir / "valid.jsonl", "valid"
    if not split_path.is_file() or not read_rows(split_path):  # absent, or empty (no split has a row)
        raise EvaluationError(f"{data_dir} has no rows in test.jsonl or valid.jsonl to evaluate on (the build was "
                              f"made with test and valid ratios of 0); export it again with a test split, e.g. "
                              f"--test 0.1.")
    started = time.time()
    model, tokenizer = load(config.model_path)[:2]
    dataset = load_split(split_path, tokenizer)
    fit = answer_fit(split_name, dataset, config.max_seq_length)
    if fit.lost:
        raise EvaluationError(f"{fit.sentence(config.max_seq_length)}, so the {split_name} loss cannot be measured; "
                              f"train again with Max sequence {fit.needed} or drop those examples.")
    held_out = _prompts(read_rows(split_path), prompts)
    base_loss = _loss(model, dataset, config)
    base_samples = _samples(model, tokenizer, held_out, max_tokens, temperature, seed)
    load_adapters(model, str(adapter_dir))
    model.eval()
    tuned_loss = _loss(model, dataset, config)
    tuned_samples = _samples(model, tokenizer, held_out, max_tokens, temperature, seed)
    for name, value in (("base", base_loss), ("tuned", tuned_loss)):
        if not math.isfinite(value):
            raise EvaluationError(f"The {name} model's {split_name} loss is {value}; the evaluation is not "
                                  f"recorded. Check the run's settings (learning rate, Max sequence) and train again.")

    tuned_signs = warning_signs(tuned_samples)
    base_signs = warning_signs(base_samples)
    report = {
        "split": split_name,
        "examples": len(dataset),
        "loss_on": loss_scope(dataset),
        "base": {"loss": round(base_loss, 4), "perplexity": round(math.exp(min(base_loss, 50)), 3)},
        "tuned": {"loss": round(tuned_loss, 4), "perplexity": round(math.exp(min(tuned_loss, 50)), 3)},
        "improved": tuned_loss < base_loss,
        "loss_change": round(tuned_loss - base_loss, 4),
        "samples": [{"prompt": messages[-1]["content"], "reference": reference, "base": base, "tuned": tuned}
                    for (messages, reference), base, tuned in zip(held_out, base_samples, tuned_samples)],
        "warning_signs": tuned_signs,
        "base_warning_signs": base_signs,
        "settings": {"max_tokens": max_tokens, "temperature": temperature, "seed": seed},
        "seconds": round(time.time() - started, 2),
        "evaluated_at": time.time(),
    }
    (run_dir / "evaluation.json").write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    run.evaluation = report
    db.runs.save(run)
    return report


def set_checklist(db: Database, run: Run, item: str, value: str) -> Run:
    """Record the person's answer for one qualitative checklist item."""
    if item not in CHECKLIST_ITEMS:
        raise UserError(f"Unknown checklist item {item!r}; use one of {', '.join(CHECKLIST_ITEMS)}.")
    if value not in CHECKLIST_VALUES:
        raise UserError(f"Checklist answers are {', '.join(CHECKLIST_VALUES)}, not {value!r}.")
    run.checklist = {**run.checklist, item: value}
    return db.runs.save(run)


def checklist_rows(run: Run) -> list[tuple[str, str, str]]:
    """(item id, label, answer or "") for every checklist item, in order."""
    return [(item, CHECKLIST_LABELS[item], str(run.checklist.get(item, ""))) for item in CHECKLIST_ITEMS]


def format_report(report: dict[str, Any]) -> str:
    """The evaluation as plain text for the CLI."""
    # A build without test rows is evaluated on its valid split: the label says which loss it is.
    kind = "Test loss" if report["split"] == "test" else "Validation loss (no test rows)"
    lines = [
        f"{kind} on {report.get('loss_on', 'answer tokens')} of {report['split']} ({report['examples']} examples): base {report['base']['loss']:.3f} "
        f"(ppl {report['base']['perplexity']:.1f}) -> tuned {report['tuned']['loss']:.3f} "
        f"(ppl {report['tuned']['perplexity']:.1f}): {'improved' if report['improved'] else 'NOT improved'}",
    ]
    signs = report["warning_signs"]
    lines.append(f"Tuned samples: distinct-1 {signs['distinct_1']}, distinct-2 {signs['distinct_2']}, "
                 f"mean {signs['mean_words']} words, top opening \u201c{signs['top_opening']}\u201d "
                 f"{signs['top_opening_share']:.0%}, cliche hits {signs['cliche_hits']} ({signs['cliche_checker']})")
    for warning in signs["warnings"]:
        lines.append(f"  warning: {warning}")
    for index, sample in enumerate(report["samples"], start=1):
        lines += [f"--- prompt {index}: {sample['prompt']}", f"  base:  {sample['base']}",
                  f"  tuned: {sample['tuned']}"]
    return "\n".join(lines)
