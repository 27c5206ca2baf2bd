"""The partitions the platform is cut into."""

from __future__ import annotations

import assettui as dg

daily_partitions = dg.DailyPartitionsDefinition(start_date="2026-01-01")
"""One partition per order day, from the shop's opening on 2026-01-01 to yesterday."""

landed_files_partitions = dg.DynamicPartitionsDefinition(name="landed_files")
"""One partition per CSV file dropped into the inbox (added by the inbox sensor)."""
