"""Instance settings: a JSON key-value table."""

from __future__ import annotations

import pytest

from assettui.storage import Storage

# Each test runs on SQLite and on a fresh PostgreSQL database (see conftest.backend).
pytestmark = pytest.mark.usefixtures("backend")


def test_settings_persist_across_opens(tmp_path):
    with Storage(tmp_path) as storage:
        assert storage.settings.get("theme", "dark") == "dark"
        storage.settings.set("theme", "light")
        storage.settings.set("limits", {"max_concurrent_runs": 4})
    with Storage(tmp_path) as storage:
        assert storage.settings.all() == {"limits": {"max_concurrent_runs": 4}, "theme": "light"}
        storage.settings.delete("theme")
        assert storage.settings.get("theme") is None
