"""Where each partition sits in the partition calendar: rows, columns and reading order.

Pure (no Textual, no I/O): daily partitions lay out as months x days, hourly as days x
hours, monthly as years x months; other time cadences, static and dynamic partitions as a
grid of named cells; two-dimensional (multi) partitions as a matrix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from assettui.model.partitions.definitions import PartitionsDefinition
from assettui.model.partitions.multi import MultiPartitionKey, MultiPartitionsDefinition
from assettui.model.partitions.time_window import ScheduleType, TimeWindowPartitionsDefinition

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True, slots=True)
class CalendarRow:
    """One row of the calendar: a label and a partition key (or nothing) per column."""

    label: str
    cells: tuple[str | None, ...]


@dataclass(frozen=True)
class CalendarLayout:
    """Where each partition of an asset sits on screen.

    Attributes:
        kind: ``"daily"``, ``"hourly"``, ``"monthly"``, ``"grid"`` or ``"matrix"``.
        columns: the column headings.
        rows: the rows, top to bottom.
        cell_width: characters per cell (glyph plus room for a name in grids).
        show_names: cells show their key after the glyph (grids of named partitions).
    """

    kind: str
    columns: tuple[str, ...]
    rows: tuple[CalendarRow, ...]
    cell_width: int = 2
    show_names: bool = False
    positions: dict[str, tuple[int, int]] = field(default_factory=dict, compare=False)
    order: list[str] = field(default_factory=list, compare=False)  # reading order
    index: dict[str, int] = field(default_factory=dict, compare=False)  # key -> order index

    def __post_init__(self) -> None:
        for r, row in enumerate(self.rows):
            for c, key in enumerate(row.cells):
                if key is not None:
                    self.positions[key] = (r, c)
                    self.index[key] = len(self.order)
                    self.order.append(key)

    @property
    def label_width(self) -> int:
        return max((len(row.label) for row in self.rows), default=0) + 1


def build_layout(
    partitions_def: PartitionsDefinition, keys: Sequence[str], width: int = 80
) -> CalendarLayout:
    """Lay ``keys`` (the partitions of ``partitions_def``, in order) out for a ``width`` screen."""
    if isinstance(partitions_def, MultiPartitionsDefinition):
        return _matrix_layout(partitions_def, keys)
    if isinstance(partitions_def, TimeWindowPartitionsDefinition):
        kind = partitions_def.schedule_type
        if kind is ScheduleType.DAILY:
            return _calendar_layout(partitions_def, keys, "daily")
        if kind is ScheduleType.HOURLY:
            return _calendar_layout(partitions_def, keys, "hourly")
        if kind is ScheduleType.MONTHLY:
            return _calendar_layout(partitions_def, keys, "monthly")
    return _grid_layout(keys, width)


def _calendar_layout(
    partitions_def: TimeWindowPartitionsDefinition, keys: Sequence[str], kind: str
) -> CalendarLayout:
    spans = {"daily": 31, "hourly": 24, "monthly": 12}
    span = spans[kind]
    rows: dict[str, list[str | None]] = {}
    for key in keys:
        start = partitions_def.time_window_for_partition_key(key).start
        if kind == "daily":
            label, column = f"{start.year}-{start.month:02d}", start.day - 1
        elif kind == "hourly":
            label, column = start.strftime("%Y-%m-%d"), start.hour
        else:
            label, column = str(start.year), start.month - 1
        cells = rows.setdefault(label, [None] * span)
        if cells[column] is not None:
            # A repeated wall-clock hour (DST ends) gets an extra column at the end.
            cells.extend([None] * (span + 1 - len(cells)))
            column = span
        cells[column] = key
    if kind == "daily":
        columns = tuple(str(d) if d % 5 == 0 or d == 1 else "" for d in range(1, 32))
    elif kind == "hourly":
        columns = tuple(f"{h:02d}" if h % 6 == 0 else "" for h in range(24))
    else:
        columns = tuple(m[:2] for m in _MONTHS)
    width = 4 if kind == "monthly" else 2
    return CalendarLayout(
        kind, columns, tuple(CalendarRow(label, tuple(c)) for label, c in rows.items()), width
    )


def _grid_layout(keys: Sequence[str], width: int) -> CalendarLayout:
    longest = max((len(k) for k in keys), default=1)
    cell_width = min(longest, 18) + 3
    per_row = max(1, (width - 8) // cell_width)
    rows = tuple(
        CalendarRow(str(start + 1), tuple(keys[start : start + per_row]))
        for start in range(0, len(keys), per_row)
    )
    return CalendarLayout("grid", (), rows, cell_width, show_names=True)


def _matrix_layout(
    partitions_def: MultiPartitionsDefinition, keys: Sequence[str]
) -> CalendarLayout:
    primary = partitions_def.primary_dimension.name
    secondary = partitions_def.secondary_dimension.name
    row_keys: dict[str, None] = {}
    column_keys: dict[str, None] = {}
    present: set[str] = set(keys)
    for key in keys:
        by_dim = partitions_def.get_partition_key_from_str(key).keys_by_dimension
        row_keys.setdefault(by_dim[primary], None)
        column_keys.setdefault(by_dim[secondary], None)
    columns = list(column_keys)
    cell_width = max(3, min(max((len(c) for c in columns), default=1), 8) + 1)
    rows = []
    for row_key in row_keys:
        cells: list[str | None] = []
        for column in columns:
            key = MultiPartitionKey({primary: row_key, secondary: column})
            cells.append(str(key) if key in present else None)
        rows.append(CalendarRow(row_key, tuple(cells)))
    return CalendarLayout("matrix", tuple(columns), tuple(rows), cell_width)
