"""What each studio binding does, as one sentence for the command palette (issue 18).

A binding's `description` is a footer label ("Recompute", two or three words); the
palette has room for a sentence and a newcomer needs one ("Recompute the plan").
A binding's own `tooltip` wins over this table, then the first line of its action's
docstring; the table covers the bindings that have neither.  `tests/tui/
test_shell_help.py` checks that every binding a palette can show has a sentence, so a
new binding gets one here (or a tooltip) when it is added.
"""

from __future__ import annotations

SENTENCES: dict[str, str] = {
    # library
    "library.open": "Open the selected book in the reader",
    "library.import": "Type the path of a .txt or .epub file to import",
    "library.gutenberg": "Download a Project Gutenberg book by its number",
    "library.delete": "Delete the selected book and its passages (asks first)",
    "library.back": "Leave the import boxes and go back to the list of books",
    # reader
    "reader.toc": "Jump to a chapter from the book's table of contents",
    "reader.goto_percent": "Jump to a position in the book, given in percent",
    "reader.search": "Search the book's text",
    "reader.mark": "Mark a passage: start a selection, then end it",
    "reader.passage_extend": "Extend the passage under the cursor by one word",
    "reader.passage_shrink": "Shrink the passage under the cursor by one word",
    "reader.passage_delete": "Delete the passage under the cursor (asks first)",
    "reader.verdict_valuable": "Mark the passage valuable for training",
    "reader.verdict_not": "Mark the passage not valuable",
    "reader.verdict_unsure": "Mark the passage unsure",
    "reader.tag_phenomenology": "Name the passage's phenomenology in one or two words",
    "reader.tag_tags": "Edit the passage's tags",
    "reader.tag_note": "Write a note saying why the passage matters",
    "reader.tag_templates": "Choose the templates that turn the passage into examples",
    "reader.cursor_up": "Move the cursor up a line",
    "reader.cursor_down": "Move the cursor down a line",
    "reader.cursor_left": "Move the cursor left a character",
    "reader.cursor_right": "Move the cursor right a character",
    "reader.page_up": "Scroll the text up a page",
    "reader.page_down": "Scroll the text down a page",
    "reader.book_start": "Go to the start of the book",
    "reader.book_end": "Go to the end of the book",
    "reader.word_forward": "Move the cursor to the end of the word",
    "reader.word_back": "Move the cursor to the start of the word",
    "reader.sentence_forward": "Move the cursor to the end of the sentence",
    "reader.sentence_back": "Move the cursor to the start of the sentence",
    "reader.paragraph_forward": "Move the cursor to the end of the paragraph",
    "reader.paragraph_back": "Move the cursor to the start of the paragraph",
    "reader.cancel_selection": "Cancel the selection being marked",
    "reader.search_next": "Go to the next search match",
    "reader.search_prev": "Go to the previous search match",
    "reader.passage_next": "Go to the next marked passage",
    "reader.passage_prev": "Go to the previous marked passage",
    "tag.leave": "Leave the tagging sidebar and go back to the text",
    # queue
    "queue.enqueue": "Turn the chosen passages and templates into generation jobs",
    "queue.start": "Start generating examples with the teacher",
    "queue.pause": "Pause the running queue, or resume it",
    "queue.cancel": "Cancel the running queue (jobs not started stay pending)",
    "queue.mode": "Switch between live requests and the cheaper batch API",
    "queue.retry_failed": "Put the failed jobs back in the queue",
    "queue.reload_settings": "Read the teacher, queue and prices settings again from interiority.toml",
    # review
    "review.accept": "Accept the example for training",
    "review.reject": "Reject the example, with a reason",
    "review.edit": "Edit the example's conversation",
    "review.undo": "Undo the last review decision",
    "review.skip": "Skip the example for now",
    "review.next": "Show the next example",
    "review.previous": "Show the previous example",
    "review.next_flagged": "Show the next example with quality flags",
    "review.filters": "Filter the examples by status, flags, book or template",
    "review.cluster": "Show the examples that are near-duplicates of this one",
    "review.analytics": "Show the review's counts and reasons so far",
    "review.original": "Show the teacher's original text of an edited example",
    "review.failure_patterns": "Name a failure pattern the teacher keeps making",
    "review.scroll_down": "Scroll the example's texts down",
    "review.scroll_up": "Scroll the example's texts up",
    "review.cancel_edit": "Abandon the edit and keep the example as it was",
    # build
    "build.preview": "Preview what the mix will take from each source",
    "build.run": "Build the dataset into exports/",
    "build.card": "Show or hide the selected build's dataset card",
    "build.refresh": "Reload the list of builds",
    # train
    "train.start": "Start training the model on the chosen build",
    "train.stop": "Stop the running training",
    "train.resume": "Resume the selected run from its last checkpoint",
    "train.evaluate": "Evaluate the selected run against the base model",
    "train.compare": "Mark the selected run; with two marked, compare them",
    "train.refresh": "Reload the lists of builds and runs",
    "train.zoom": "Zoom the loss chart: all iterations, the last 200, the last 50",
    # plan
    "plan.recompute": "Recompute the plan",
    "plan.explain": "Show or hide the formulas behind every number",
    "plan.progressive": "Show or hide the progressive plan (validate, scale, frontier)",
    # arena
    "arena.left": "Say the left answer is better",
    "arena.right": "Say the right answer is better",
    "arena.tie": "Say the two answers are equally good",
    "arena.both_bad": "Say both answers are bad",
    "arena.undo": "Take back the last verdict",
    "arena.reveal": "Reveal which model wrote which answer, with the win rate and its interval",
    "arena.next_comparison": "Go to the next comparison",
    "arena.reason_performed": "Give the reason: the inner life is performed, not lived",
    "arena.reason_formulaic": "Give the reason: the answer is formulaic",
    "arena.reason_exercise": "Give the reason: it reads like a writing exercise",
    "arena.reason_continuity": "Give the reason: it loses the thread of the conversation",
    "arena.reason_assistant": "Give the reason: it slips into an assistant's tone",
}
