"""End-to-end tests that drive the real studio in a real terminal (tmux)."""
