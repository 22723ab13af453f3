"""Load and check a build's JSONL splits before training, naming the file and line of any bad row.

WHY not mlx-lm's `load_local_dataset`: it parses the whole file with one
`json.loads` per line and fails with a bare JSONDecodeError (no file, no line),
and only checks the first row's format; tokenization errors then surface in the
middle of training.  Here every row is parsed, shape-checked and tokenized up
front, so a bad row stops the run before any compute with a sentence that
points at it.
"""

from __future__ import annotations

import json
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.errors import UserError

SPLITS = ("train", "valid", "test")


class DatasetLineError(UserError):
    """A row of a training file cannot be used; the message names the file and line."""


class DatasetMissingError(UserError):
    """The data folder or its train split is missing or empty."""


def read_rows(path: Path) -> list[dict[str, Any]]:
    """Parse and shape-check a JSONL split; raise DatasetLineError naming `path:line`."""
    rows: list[dict[str, Any]] = []
    with open(path, "r", encoding="utf-8", errors="strict") as handle:
        try:
            lines = list(handle)
        except UnicodeDecodeError as exc:
            raise DatasetLineError(f"{path} is not UTF-8 text ({exc.reason}); re-export the build.") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DatasetLineError(
                f"{path} line {number} is not valid JSON ({exc.msg} at column {exc.colno}); "
                f"fix or delete that line, or re-export the build.") from None
        problem = _shape_problem(row)
        if problem:
            raise DatasetLineError(f"{path} line {number} {problem}; fix or delete that line, or re-export the build.")
        rows.append(row)
    return rows


def _shape_problem(row: Any) -> str:
    if not isinstance(row, dict):
        return "is not a JSON object"
    if "messages" in row:
        messages = row["messages"]
        if not isinstance(messages, list) or not messages:
            return "has an empty or non-list \"messages\""
        for index, message in enumerate(messages):
            if not isinstance(message, dict) or not isinstance(message.get("content"), str) \
                    or not isinstance(message.get("role"), str):
                return f"has message {index + 1} without a string \"role\" and \"content\""
        return ""
    if "prompt" in row and "completion" in row:
        if not isinstance(row["prompt"], str) or not isinstance(row["completion"], str):
            return "has a non-string \"prompt\" or \"completion\""
        return ""
    if "text" in row:
        return "" if isinstance(row["text"], str) else "has a non-string \"text\""
    return "has none of \"messages\", \"prompt\"+\"completion\" or \"text\""


def load_split(path: Path, tokenizer: Any) -> Any:
    """An mlx-lm CacheDataset with every row already tokenized (errors name the line); None when missing or empty.

    Chat and prompt/completion rows are always loaded with the prompt masked, so every loss of a run (train,
    validation, test; base and tuned) is the loss on answer tokens and runs compare.  WHY no switch: with
    the prompt in the loss, the same model scored 5.245 on one run and 5.826 on another under one label.
    Plain text rows have no prompt; their loss is on every token (`loss_scope` says which).
    """
    from mlx_lm.tuner.datasets import CacheDataset, create_dataset

    if not path.exists():
        return None
    rows = read_rows(path)
    if not rows:
        return None
    kinds = {_row_kind(row) for row in rows}
    if len(kinds) > 1:
        raise DatasetLineError(f"{path} mixes row formats ({', '.join(sorted(kinds))}); "
                               f"use one format per file.")
    mask_prompt = kinds != {"text"}
    dataset = create_dataset(rows, tokenizer, types.SimpleNamespace(mask_prompt=mask_prompt))
    cached = CacheDataset(dataset)
    line_numbers = _line_numbers(path)
    for index in range(len(cached)):
        try:
            tokens, _offset = cached[index]
        except Exception as exc:  # the tokenizer's template can fail on odd rows
            raise DatasetLineError(f"{path} line {line_numbers[index]} cannot be tokenized "
                                   f"({type(exc).__name__}: {exc}); fix or delete that line.") from None
        if len(tokens) < 2:
            raise DatasetLineError(f"{path} line {line_numbers[index]} has fewer than 2 tokens; "
                                   f"delete that line.")
    return cached


def _row_kind(row: dict[str, Any]) -> str:
    if "messages" in row:
        return "messages"
    if "prompt" in row:
        return "prompt/completion"
    return "text"


def _line_numbers(path: Path) -> list[int]:
    with open(path, "r", encoding="utf-8") as handle:
        return [number for number, line in enumerate(handle, start=1) if line.strip()]


def check_rows(data_dir: Path) -> None:
    """Parse and shape-check every split without a tokenizer (fast; raises DatasetLineError)."""
    data_dir = Path(data_dir)
    if not (data_dir / "train.jsonl").is_file():
        raise DatasetMissingError(f"{data_dir / 'train.jsonl'} is missing; export the build again or pass "
                                  f"a folder with train.jsonl and valid.jsonl.")
    for name in SPLITS:
        path = data_dir / f"{name}.jsonl"
        if path.exists():
            read_rows(path)


def load_splits(data_dir: Path, tokenizer: Any) -> dict[str, Any]:
    """train/valid/test CacheDatasets (valid and test may be None); train must exist."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DatasetMissingError(f"The data folder {data_dir} does not exist; export a build first "
                                  f"(`interiority export`) or pass a folder with train.jsonl and valid.jsonl.")
    splits = {name: load_split(data_dir / f"{name}.jsonl", tokenizer) for name in SPLITS}
    if splits["train"] is None:
        raise DatasetMissingError(f"{data_dir / 'train.jsonl'} is missing or empty; export the build again.")
    return splits


ANSWER_TOKENS = "answer tokens"
ALL_TOKENS = "all tokens (plain text rows have no prompt)"


def loss_scope(dataset: Any) -> str:
    """What a loss over `dataset` is measured on, as the label shown beside it."""
    if dataset is None or not len(dataset):
        return ANSWER_TOKENS
    return ANSWER_TOKENS if _masked(dataset) else ALL_TOKENS


def _masked(dataset: Any) -> bool:
    inner = getattr(dataset, "_data", dataset)
    return bool(getattr(inner, "mask_prompt", False))


@dataclass(frozen=True)
class AnswerFit:
    """How the answers of one split fare at a maximum sequence length (lengths in tokens)."""

    split: str
    examples: int
    lost: int  # examples whose whole answer lies past max_seq_length: their loss is 0/0
    cut: int  # examples that keep part of their answer
    needed: int  # the max sequence length at which every answer fits whole

    def sentence(self, max_seq_length: int) -> str:
        return (f"{self.lost} of {self.examples} {self.split} examples would lose their whole answer at max "
                f"sequence {max_seq_length} (their prompts fill it)")


def answer_fit(split: str, dataset: Any, max_seq_length: int) -> AnswerFit:
    """Count the examples whose answer `max_seq_length` truncates away (lost) or cuts (part kept).

    WHY: mlx-lm truncates each row to max_seq_length before masking, so a prompt longer than that leaves no
    answer token; a batch of such rows divides 0 by 0 and the loss is NaN.
    """
    lost = cut = needed = 0
    if dataset is None or not _masked(dataset):
        return AnswerFit(split, len(dataset) if dataset is not None else 0, 0, 0, 0)
    for index in range(len(dataset)):
        tokens, offset = dataset[index]
        length = len(tokens)
        needed = max(needed, length)
        if offset >= min(length, max_seq_length):
            lost += 1
        elif length > max_seq_length:
            cut += 1
    return AnswerFit(split, len(dataset), lost, cut, needed)


class AnswerTruncatedError(UserError):
    """Max sequence length would leave examples without any answer token: refused before training."""

    def __init__(self, message: str, suggestion: str = "") -> None:
        super().__init__(message)
        self.suggestion = suggestion


def check_answers_fit(splits: dict[str, Any], max_seq_length: int) -> list[AnswerFit]:
    """Every split's AnswerFit; raise AnswerTruncatedError when any example would lose its whole answer."""
    fits = [answer_fit(name, splits.get(name), max_seq_length) for name in SPLITS]
    losing = [fit for fit in fits if fit.lost]
    if losing:
        needed = max(fit.needed for fit in fits)
        raise AnswerTruncatedError(
            "; ".join(fit.sentence(max_seq_length) for fit in losing) + ", so their loss would be NaN.",
            f"Raise Max sequence (--max-seq) to {needed}, or drop the examples whose prompt is {max_seq_length} "
            f"tokens or longer from the build.")
    return fits
