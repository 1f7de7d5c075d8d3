"""One function per command: each owns its transaction and composes repositories."""
