"""todo: a terminal task manager on SQLite or PostgreSQL."""

__version__ = "0.1.0"
