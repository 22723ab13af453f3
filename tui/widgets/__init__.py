"""Widgets shared by the studio's screens (the reader's view, the tagging sidebar, modals, inputs)."""
