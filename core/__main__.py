from core.cli import entry_point

entry_point()
