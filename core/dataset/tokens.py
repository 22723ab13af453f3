"""Token counts for the card: a local model's tokenizer when one is set, else a marked estimate.

The tokenizer is loaded through mlx-lm (the same code the trainer uses), so the
counts are the ones training will see, chat template included.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from core.dataset.items import DatasetItem
from core.errors import UserError

CHARS_PER_TOKEN = 4.0  # rule of thumb for English prose with BPE tokenizers


class TokenizerError(UserError):
    """The configured tokenizer folder cannot be loaded."""


@dataclass
class TokenCounter:
    """Counts tokens of a conversation; `method` says how (shown on the card)."""

    tokenizer: Any = None
    source: str = ""

    @property
    def exact(self) -> bool:
        return self.tokenizer is not None

    @property
    def method(self) -> str:
        if self.exact:
            return f"tokenizer of {self.source} (chat template applied)"
        return f"estimate: characters / {CHARS_PER_TOKEN:g} (no tokenizer set; set dataset.tokenizer_model)"

    def count(self, item: DatasetItem) -> int:
        if self.tokenizer is None:
            chars = sum(len(m["content"]) for m in item.messages)
            return int(round(chars / CHARS_PER_TOKEN))
        return len(self.tokenizer.apply_chat_template(item.messages, return_dict=False))

    def text_count(self, text: str) -> int:
        """Tokens of one turn's text alone (no chat template, no special tokens)."""
        if self.tokenizer is None:
            return int(round(len(text) / CHARS_PER_TOKEN))
        return len(self.tokenizer.encode(text, add_special_tokens=False))

    def shares(self, item: DatasetItem) -> tuple[int, int, int]:
        """(all tokens, tokens of every answer, tokens of the final answer) of one conversation.

        The prompt share is the rest: user turns, the persona line and the chat template's markup.
        mlx-lm's `--mask-prompt` trains on the final answer only; without it, on everything.
        """
        answers = item.answer_turns
        counts = [self.text_count(text) for text in answers]
        total = self.count(item)
        return total, min(sum(counts), total), min(counts[-1] if counts else 0, total)


def load_tokenizer(model_folder: str) -> Any:
    """An mlx-lm TokenizerWrapper for a local model folder; raises TokenizerError with the fix."""
    path = Path(model_folder).expanduser()
    if not (path / "tokenizer.json").exists() and not (path / "tokenizer_config.json").exists():
        raise TokenizerError(f"No tokenizer in {path} (no tokenizer.json or tokenizer_config.json); "
                             f"set dataset.tokenizer_model to a local model folder, or to \"\" to estimate.")
    from mlx_lm.utils import load_tokenizer as mlx_load_tokenizer

    try:
        return mlx_load_tokenizer(path)  # type: ignore[no-untyped-call]
    except Exception as exc:  # transformers raises many types for a broken folder
        raise TokenizerError(f"Cannot load the tokenizer in {path}: {exc}. Point dataset.tokenizer_model "
                             f"at a working model folder, or set it to \"\".") from None


def token_counter(model_folder: Optional[str]) -> TokenCounter:
    if not model_folder:
        return TokenCounter()
    return TokenCounter(tokenizer=load_tokenizer(model_folder), source=str(model_folder))
