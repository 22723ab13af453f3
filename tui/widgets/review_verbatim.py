"""Words an example copies verbatim from its source passage, marked in both texts.

A teacher that copies the book instead of writing an inner voice is the failure a reviewer most needs to
see at a glance.  What counts as copying (a run of 8+ consecutive words, case and punctuation ignored) is
defined once in `core.quality.copying`, which the `copies-passage` flag also uses: what is flagged is
what is marked.  This module only turns the spans into styled Rich text.
"""

from __future__ import annotations

from rich.text import Text

from core.quality.copying import MIN_RUN, ConversationCopies, CopiedSpans, conversation_copies, copied_spans

COPIED_STYLE = "bold reverse"  # readable on every theme, light or dark

__all__ = ["COPIED_STYLE", "MIN_RUN", "ConversationCopies", "CopiedSpans", "conversation_copies", "copied_spans",
           "marked_text"]


def marked_text(text: str, spans: tuple[tuple[int, int], ...], style: str = COPIED_STYLE) -> Text:
    """`text` as Rich text with `spans` styled (no markup is interpreted in `text`)."""
    rich_text = Text(text)
    for start, end in spans:
        rich_text.stylize(style, start, end)
    return rich_text
