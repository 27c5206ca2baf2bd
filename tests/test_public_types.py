"""Users' type checkers see assettui's real types through ``import assettui as dg``.

The lazy exports are also a ``TYPE_CHECKING`` import block, so mypy (and editors) know what
``dg.asset`` is without assettui importing everything at start-up.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import assettui

USER_FILE = """
import assettui as dg


@dg.asset
def orders() -> int:
    return 1


reveal_type(dg.asset)
reveal_type(dg.AssetKey)
reveal_type(dg.Definitions)
reveal_type(orders)
defs = dg.Definitions(asets=[orders])
reveal_type(defs.jobs)
reveal_type(defs.schedules)
reveal_type(defs.sensors)
"""


def _mypy(tmp_path: Path) -> str:
    path = tmp_path / "user_code.py"
    path.write_text(USER_FILE)
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", "--no-error-summary", str(path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    return result.stdout + result.stderr


def test_users_mypy_sees_real_types_and_flags_a_misspelled_keyword(tmp_path: Path) -> None:
    lines: dict[int, str] = {}
    for line in _mypy(tmp_path).splitlines():
        parts = line.split(":", 2)
        if len(parts) == 3 and parts[1].isdigit():
            lines[int(parts[1])] = lines.get(int(parts[1]), "") + parts[2]

    def revealed(line_no: int) -> str:
        line = lines[line_no]
        assert "Revealed type is" in line, line
        return line.split("Revealed type is", 1)[1]

    assert "assettui.model.assets.definition.AssetsDefinition" in revealed(10)  # dg.asset
    assert "-> assettui.model.asset_key.AssetKey" in revealed(11)
    assert "-> assettui.model.definitions.Definitions" in revealed(12)
    assert "AssetsDefinition" in revealed(13)  # the decorated function
    assert 'Unexpected keyword argument "asets"' in lines[14]
    assert "JobDefinition" in revealed(15)
    assert "ScheduleDefinition" in revealed(16)
    assert "SensorDefinition" in revealed(17)


def test_the_type_checking_block_is_the_list_of_exports() -> None:
    exports = assettui._EXPORTS
    assert len(exports) > 150 and exports["asset"] == "assettui.model.assets.decorator"
    assert set(assettui.__all__) == set(exports)
    for name, module in exports.items():
        assert getattr(assettui, name).__module__.startswith("assettui"), (name, module)
