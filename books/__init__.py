"""Books: import (plain text, Gutenberg, EPUB), structure, the paragraph index, Gutenberg downloads."""
