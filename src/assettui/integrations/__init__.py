"""Integrations with the tools a local data platform lives on (each one an extra).

Users reach them by their public facades (``assettui.duckdb``...) or by the Dagster plugin
names (``dagster_duckdb``...) that the import alias resolves.
"""
