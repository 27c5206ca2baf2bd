"""Dagster's op API: ``@op``, ``In``, ``Out`` and ``OpDefinition``."""
