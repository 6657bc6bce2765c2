"""The one place the version lives: the renderer reports it on /healthz and the report records it."""

__version__ = "0.1.0"
