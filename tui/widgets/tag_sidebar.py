"""The tagging sidebar: everything said about the passage under the reader's cursor, saved as it is typed.

Fields: phenomenology (one or two words), tags (typed, completed from the tags
already used: an inline prefix completion plus a fuzzy list ranked by rapidfuzz
and by use, in tag_input.py), the verdict (set by single keys on the reader screen), a note (why
the passage is valuable), and the elicitation templates, each with its "use
when / not when" hint.  There is no save button: every change is posted up as `EditRequested`
and the reader screen stores it (`core.passages.update_passage`), recolours the
highlight and hands the stored record back with `edit_saved` (or `edit_failed`).
The sidebar never reaches up to the app's database or project: the screen gives it
the templates (`set_templates`) and the tag counts (`tag_counts`) it needs.  With no
passage under the cursor the heading says how to make one, or what the screen gives it to
say instead (`show_note`: why the finder suggests the paragraph there).
"""

from __future__ import annotations

import importlib.util
import logging
from collections import Counter
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Optional, Sequence

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Input, Label, OptionList, SelectionList, Static, TextArea
from textual.widgets.option_list import Option
from textual.widgets.selection_list import Selection

from tui.widgets.tag_input import TagInput, TagSuggester, is_subsequence, rank_tags, split_tags
from tui.widgets.template_choices import TemplateChoices

if TYPE_CHECKING:
    from store import Passage

log = logging.getLogger(__name__)

# Tag completion lives in tag_input.py; these names are still importable from here.
__all__ = ["NO_PASSAGE", "TagInput", "TagSidebar", "TagSuggester", "TemplateHint", "is_subsequence",
           "load_template_hints", "rank_tags", "split_tags"]

VERDICT_LABELS = {"valuable": "valuable", "not": "not valuable", "unsure": "unsure", "": "not judged yet"}
NO_PASSAGE = ("No passage under the cursor. Move into a highlighted passage to tag it, or mark a stretch of "
              "text and press Enter to make one.")


@dataclass(frozen=True)
class TemplateHint:
    """What the sidebar shows of a template."""

    id: str
    name: str
    use_when: str
    avoid_when: str


def load_template_hints(project: Any) -> tuple[list[TemplateHint], str]:
    """The project's templates and a line to show when there are none (or they cannot be read).

    `core.templates` belongs to the generation queue's issue; until it exists the
    sidebar says "no templates yet" instead of failing.
    """
    if importlib.util.find_spec("core.templates") is None:
        return [], "No templates yet."
    try:
        from core.templates import load_templates

        templates = load_templates(project)
    except Exception as exc:  # a broken template file must not hide the rest of the sidebar
        return [], f"Templates cannot be read: {exc}"
    hints = [TemplateHint(id=str(t.id), name=str(t.name), use_when=str(getattr(t, "use_when", "") or ""),
                          avoid_when=str(getattr(t, "avoid_when", "") or "")) for t in templates]
    return hints, ("" if hints else "No templates yet.")


class TagSidebar(VerticalScroll):
    """Tagging for one passage at a time (`show_passage`)."""

    BINDINGS = [
        Binding("escape", "leave", "Back to the text", id="tag.leave"),
    ]

    class EditRequested(Message):
        """The user changed `fields` of passage `passage_id`: the screen stores them and calls `edit_saved`."""

        def __init__(self, passage_id: int, fields: dict[str, Any]) -> None:
            super().__init__()
            self.passage_id = passage_id
            self.fields = fields

    class Leave(Message):
        """The user is done with the sidebar (Escape): the reader takes the focus back."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.passage: Optional["Passage"] = None
        self.tag_counts: dict[str, int] = {}  # set by the screen: every tag in use, for completion
        self._templates: list[TemplateHint] = []
        self._templates_note = ""
        self._pending: Counter[int] = Counter()  # edits posted and not yet answered, per passage id
        self._note: Optional[str] = None  # said instead of NO_PASSAGE (the finder's reasons), set by the screen

    # ---- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(NO_PASSAGE, id="tag-heading", markup=False)
        yield Label("Phenomenology (1-2 words)", classes="field-label")
        yield Input(placeholder="e.g. spite, dread", id="tag-phenomenology")
        yield Label("", id="tag-phenomenology-error", classes="modal-error", markup=False)
        yield Label("Verdict", classes="field-label")
        yield Static(VERDICT_LABELS[""], id="tag-verdict", markup=False)
        yield Label("Tags (Enter adds, Tab completes)", classes="field-label")
        yield Static("", id="tag-list", markup=False)
        yield TagInput(placeholder="type a tag", id="tag-input", suggester=TagSuggester(lambda: self.tag_counts))
        yield OptionList(id="tag-matches")
        yield Label("Note: why it is valuable", classes="field-label")
        yield TextArea(id="tag-note", soft_wrap=True, show_line_numbers=False)
        yield Label("Templates that fit", classes="field-label")
        yield TemplateChoices(id="tag-templates")
        yield Static("", id="tag-template-hint", markup=False)
        yield Static("", id="tag-templates-note", markup=False)

    def on_mount(self) -> None:
        self._fill_templates()
        self.query_one("#tag-matches", OptionList).display = False
        self._set_enabled(False)

    def set_templates(self, hints: list[TemplateHint], note: str = "") -> None:
        """The templates to offer (the screen reads them from the project) and a line shown below them."""
        self._templates, self._templates_note = list(hints), note
        if self.is_mounted:
            self._fill_templates()

    def _fill_templates(self) -> None:
        templates = self.query_one("#tag-templates", SelectionList)
        templates.clear_options()
        with self.prevent(SelectionList.SelectedChanged, SelectionList.SelectionToggled):
            for hint in self._templates:
                templates.add_option(Selection(hint.name, hint.id, False))
        templates.display = bool(self._templates)
        self._show_template_hint(0)
        self.query_one("#tag-templates-note", Static).update(self._templates_note)
        if self.passage is not None:
            self._select_templates(self.passage)

    @staticmethod
    def template_hint_text(hint: TemplateHint) -> str:
        lines = [hint.name]
        if hint.use_when:
            lines.append(f"Use when: {hint.use_when}")
        if hint.avoid_when:
            lines.append(f"Not when: {hint.avoid_when}")
        return "\n".join(lines)

    def _show_template_hint(self, index: Optional[int]) -> None:
        hint = self._templates[index] if index is not None and 0 <= index < len(self._templates) else None
        self.query_one("#tag-template-hint", Static).update(self.template_hint_text(hint) if hint else "")

    @on(SelectionList.SelectionHighlighted, "#tag-templates")
    def _template_highlighted(self, event: "SelectionList.SelectionHighlighted[str]") -> None:
        event.stop()
        self._show_template_hint(event.selection_index)

    def _set_enabled(self, enabled: bool) -> None:
        for selector in ("#tag-phenomenology", "#tag-input", "#tag-note", "#tag-templates"):
            self.query_one(selector).disabled = not enabled

    # ---- showing a passage ------------------------------------------------------------------

    def show_passage(self, passage: Optional["Passage"]) -> None:
        """Fill the fields from `passage` (None: nothing to tag).  Filling saves nothing."""
        self.passage = passage
        heading = self.query_one("#tag-heading", Static)
        phenomenology = self.query_one("#tag-phenomenology", Input)
        tag_input = self.query_one("#tag-input", Input)
        note = self.query_one("#tag-note", TextArea)
        templates = self.query_one("#tag-templates", SelectionList)
        with self.prevent(Input.Changed, TextArea.Changed, SelectionList.SelectedChanged,
                          SelectionList.SelectionToggled):
            if passage is None:
                heading.update(self._note or NO_PASSAGE)
                phenomenology.value = ""
                tag_input.value = ""
                note.load_text("")
                templates.deselect_all()
            else:
                heading.update(self._heading(passage))
                phenomenology.value = passage.phenomenology
                tag_input.value = ""
                note.load_text(passage.note)
                self._select_templates(passage)
        self.query_one("#tag-phenomenology-error", Label).update("")
        self._show_verdict()
        self._show_tags()
        self.query_one("#tag-matches", OptionList).display = False
        self._set_enabled(passage is not None)

    def show_note(self, note: Optional[str]) -> None:
        """What to say while no passage is under the cursor, instead of NO_PASSAGE (None: NO_PASSAGE).

        The reader gives the finder's reasons for a suggested paragraph here, where the eye already
        is when it has moved to one; a passage under the cursor keeps its heading and the note waits.
        """
        if note == self._note:
            return  # a Static's update lays the sidebar out again
        self._note = note
        if self.passage is None and self.is_mounted:
            # Laid out again only when its height changes: a layout of the sidebar costs a frame ~25 ms,
            # and the note changes on every f.
            heading = self.query_one("#tag-heading", Static)
            heading.update(note or NO_PASSAGE, layout=False)
            width, height = heading.content_size
            if not width or heading.visual.get_height(heading.styles, width) != height:
                heading.refresh(layout=True)

    def _select_templates(self, passage: "Passage") -> None:
        templates = self.query_one("#tag-templates", SelectionList)
        listed = {hint.id for hint in self._templates}
        with self.prevent(SelectionList.SelectedChanged, SelectionList.SelectionToggled):
            templates.deselect_all()
            for template_id in passage.template_ids:
                if template_id in listed:
                    templates.select(template_id)
                else:  # a template removed since: keep the id, show nothing
                    log.debug("template %s not listed", template_id)

    @staticmethod
    def _heading(passage: "Passage") -> str:
        snippet = " ".join(passage.text.split())
        if len(snippet) > 90:
            snippet = snippet[:87] + "\u2026"
        return f"Passage {passage.id} ({passage.end - passage.start} chars)\n\u201c{snippet}\u201d"

    def _show_verdict(self) -> None:
        verdict = self.passage.verdict if self.passage else ""
        widget = self.query_one("#tag-verdict", Static)
        widget.update(VERDICT_LABELS.get(verdict, verdict))
        widget.set_classes(f"verdict-{verdict or 'none'}")

    def _show_tags(self) -> None:
        tags = self.passage.tags if self.passage else []
        self.query_one("#tag-list", Static).update("  ".join(f"#{tag}" for tag in tags) or "no tags yet")

    # ---- saving -----------------------------------------------------------------------------

    def _save(self, **fields: Any) -> bool:
        """Show the change at once and post it up to be stored; False when there is no passage.

        The sidebar keeps what the user typed as its passage until every posted edit is answered,
        so a second key pressed before the first edit is stored builds on the first.
        """
        if self.passage is None:
            return False
        self.passage = replace(self.passage, **fields)
        self._pending[self.passage.id] += 1
        self.post_message(self.EditRequested(self.passage.id, dict(fields)))
        return True

    def edit_saved(self, passage: "Passage") -> None:
        """The screen stored an edit: once all are stored, show the record as stored (tags normalized)."""
        self._answered(passage.id)
        if self.passage is not None and self.passage.id == passage.id and not self._pending[passage.id]:
            self.passage = passage
            self._show_verdict()
            self._show_tags()

    def edit_failed(self, passage_id: int, stored: Optional["Passage"]) -> None:
        """The screen could not store an edit (it showed why): go back to the passage as stored."""
        self._answered(passage_id)
        if self.passage is not None and self.passage.id == passage_id and not self._pending[passage_id]:
            self.show_passage(stored)

    def _answered(self, passage_id: int) -> None:
        if self._pending[passage_id] > 0:
            self._pending[passage_id] -= 1

    def set_verdict(self, verdict: str) -> None:
        """Valuable / not / unsure; the same verdict again clears it (a verdict given by mistake)."""
        if self.passage is None:
            self.notify("Move the cursor into a passage first; the verdict belongs to a passage.")
            return
        new = "" if self.passage.verdict == verdict else verdict
        if self._save(verdict=new):
            self._show_verdict()

    @on(Input.Changed, "#tag-phenomenology")
    def _phenomenology_changed(self, event: Input.Changed) -> None:
        event.stop()
        value = " ".join(event.value.split())
        error = self.query_one("#tag-phenomenology-error", Label)
        if len(value.split()) > 2:
            error.update("One or two words: the felt quality, not a sentence (not saved until it fits).")
            return
        error.update("")
        if self.passage is not None and value != self.passage.phenomenology:
            self._save(phenomenology=value)

    @on(TextArea.Changed, "#tag-note")
    def _note_changed(self, event: TextArea.Changed) -> None:
        event.stop()
        text = event.text_area.text
        if self.passage is not None and text != self.passage.note:
            self._save(note=text)

    @on(SelectionList.SelectedChanged, "#tag-templates")
    def _templates_changed(self, event: "SelectionList.SelectedChanged[str]") -> None:
        event.stop()
        if self.passage is None:
            return
        listed = {hint.id for hint in self._templates}
        chosen = [str(value) for value in event.selection_list.selected]
        kept = [t for t in self.passage.template_ids if t not in listed]  # ids of templates no longer listed
        new_ids = kept + [t for t in chosen if t not in kept]
        if new_ids != self.passage.template_ids:
            self._save(template_ids=new_ids)

    # ---- tags -------------------------------------------------------------------------------

    def add_tags(self, tags: Sequence[str]) -> None:
        """Add tags to the passage (duplicates ignored, case-insensitively)."""
        if self.passage is None:
            return
        current = list(self.passage.tags)
        known = {t.casefold() for t in current}
        for tag in tags:
            if tag and tag.casefold() not in known:
                current.append(tag)
                known.add(tag.casefold())
        if current != self.passage.tags and self._save(tags=current):
            self._show_tags()

    def remove_last_tag(self) -> None:
        if self.passage is not None and self.passage.tags and self._save(tags=self.passage.tags[:-1]):
            self._show_tags()

    def _update_matches(self, query: str) -> None:
        matches = self.query_one("#tag-matches", OptionList)
        found = rank_tags(query, self.tag_counts, exclude=self.passage.tags if self.passage else ())
        matches.clear_options()
        if found and query.strip():
            matches.add_options([Option(f"{tag}  ({self.tag_counts[tag]})", id=tag) for tag in found])
            matches.highlighted = 0
        matches.display = bool(found and query.strip())
        if matches.display:
            # On a short terminal the list falls below the sidebar's fold: bring it into view.
            self.call_after_refresh(matches.scroll_visible, animate=False)

    @on(Input.Changed, "#tag-input")
    def _tag_typed(self, event: Input.Changed) -> None:
        event.stop()
        self._update_matches(split_tags(event.value)[-1] if split_tags(event.value) else "")

    @on(Input.Submitted, "#tag-input")
    def _tag_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        tags = split_tags(event.value)
        if tags:
            self.add_tags(tags)
        event.input.value = ""
        self._update_matches("")

    @on(OptionList.OptionSelected, "#tag-matches")
    def _match_chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.add_tags([event.option.id])
        tag_input = self.query_one("#tag-input", Input)
        tag_input.value = ""
        self._update_matches("")
        tag_input.focus()

    @on(TagInput.CompleteFromMatches)
    def _complete_from_matches(self, event: "TagInput.CompleteFromMatches") -> None:
        event.stop()
        matches = self.query_one("#tag-matches", OptionList)
        tag_input = self.query_one("#tag-input", TagInput)
        if matches.display and matches.option_count:
            option = matches.get_option_at_index(matches.highlighted or 0)
            tag_input.value = str(option.id)
            tag_input.cursor_position = len(tag_input.value)
        elif suggestion := tag_input.suggestion_for_value():
            tag_input.value = suggestion
            tag_input.cursor_position = len(tag_input.value)

    @on(TagInput.EnterMatches)
    def _enter_matches(self, event: "TagInput.EnterMatches") -> None:
        event.stop()
        matches = self.query_one("#tag-matches", OptionList)
        if matches.display and matches.option_count:
            matches.focus()

    @on(TagInput.RemoveLast)
    def _remove_last(self, event: "TagInput.RemoveLast") -> None:
        event.stop()
        self.remove_last_tag()

    # ---- focus ------------------------------------------------------------------------------

    def focus_field(self, field: str) -> None:
        """Focus "phenomenology", "tags", "note" or "templates" (nothing happens without a passage)."""
        if self.passage is None:
            self.notify("Move the cursor into a passage first; tags belong to a passage.")
            return
        selector = {"phenomenology": "#tag-phenomenology", "tags": "#tag-input", "note": "#tag-note",
                    "templates": "#tag-templates"}[field]
        widget = self.query_one(selector)
        if isinstance(widget, SelectionList) and widget.highlighted is None and widget.option_count:
            # The hint already shows the first template: highlight it too, so Space toggles what is shown
            # (with nothing highlighted, Space did nothing and the first Down only reached the first row).
            widget.highlighted = 0
        widget.focus()

    def action_leave(self) -> None:
        self.query_one("#tag-matches", OptionList).display = False
        self.post_message(self.Leave())
