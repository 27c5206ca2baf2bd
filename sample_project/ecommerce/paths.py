"""Where the platform reads dropped files and writes reports (overridable for tests)."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_DIR / "data"


def inbox_dir() -> Path:
    """The folder watched by the inbox sensor: ``$ECOMMERCE_INBOX`` or ``data/inbox``."""
    return Path(os.environ.get("ECOMMERCE_INBOX") or DATA_DIR / "inbox")


def reports_dir() -> Path:
    """Where ``revenue_report`` writes: ``$ECOMMERCE_REPORTS_DIR`` or ``data/reports``."""
    return Path(os.environ.get("ECOMMERCE_REPORTS_DIR") or DATA_DIR / "reports")


def forecast_seconds() -> float:
    """How long the slow ``revenue_forecast`` works: ``$ECOMMERCE_FORECAST_SECONDS`` or 4."""
    return float(os.environ.get("ECOMMERCE_FORECAST_SECONDS") or 4.0)


def warehouse_path() -> Path:
    """The DuckDB warehouse file: ``$ECOMMERCE_WAREHOUSE_DB`` or ``data/warehouse.duckdb``
    (the dbt profile reads the same variable)."""
    return Path(os.environ.get("ECOMMERCE_WAREHOUSE_DB") or DATA_DIR / "warehouse.duckdb")
