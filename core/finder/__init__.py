"""The passage finder: rank every paragraph by the inner life it renders, and learn from verdicts.

`features` turns paragraphs into numbers, `scorer` weighs them with a fitted constant table
(`weights`), `cache` keeps a book's features per text version in the project, `learner` fits a
correction from verdicts, `suggestions` answers the reader's questions about one book, and
`session` holds a library's worth of them.  Headless: the command line (`interiority suggest`)
and the reader call the same functions.
"""

from core.finder.scorer import explain, local_scores, score_texts
from core.finder.session import Finder, dismiss, load_book_scores, open_finder, undismiss
from core.finder.suggestions import STRONG, BookScores, Suggestion

__all__ = ["explain", "local_scores", "score_texts", "Finder", "dismiss", "load_book_scores", "open_finder", "undismiss",
           "STRONG", "BookScores", "Suggestion"]
