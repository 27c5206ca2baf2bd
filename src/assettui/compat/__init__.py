"""Public stand-ins for Dagster private modules that user code commonly imports."""
