"""Table metadata: ``TableSchema``, ``TableColumn``, ``TableRecord``, column lineage, ``TableMetadataSet``.

These are Dagster's values for describing tabular assets. They are frozen dataclasses
holding tuples (lists given by the user are converted), so they compare by value and can be
hashed. :func:`table_metadata_value` turns one into a typed ``MetadataValue``
(``table_schema``, ``table``, ``column_lineage``), and :func:`table_value_to_json` /
:func:`table_value_from_json` give the JSON form the event log stores.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

from assettui.errors import DefinitionError
from assettui.model.asset_key import AssetKey

TABLE_SCHEMA = "table_schema"
TABLE = "table"
COLUMN_LINEAGE = "column_lineage"
TABLE_KINDS = frozenset({TABLE_SCHEMA, TABLE, COLUMN_LINEAGE})


def _strings(values: Iterable[str] | None) -> tuple[str, ...]:
    return tuple(str(v) for v in values or ())


@dataclass(frozen=True)
class TableRecord:
    """One row of a table: field name -> a string, int, float, bool or None."""

    data: Mapping[str, str | int | float | bool | None]

    def __post_init__(self) -> None:
        for key, value in self.data.items():
            if value is not None and not isinstance(value, (str, int, float, bool)):
                raise DefinitionError(
                    f"TableRecord field {key!r} is {type(value).__name__}; values must be "
                    "str, int, float, bool or None."
                )
        object.__setattr__(self, "data", dict(self.data))

    def __hash__(self) -> int:
        return hash(tuple(sorted(self.data.items(), key=lambda kv: kv[0])))


@dataclass(frozen=True)
class TableConstraints:
    """Table-level constraints, described as strings (``"foo > bar"``)."""

    other: Sequence[str] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "other", _strings(self.other))


@dataclass(frozen=True)
class TableColumnConstraints:
    """Constraints of one column.

    Args:
        nullable: whether the column may hold nulls.
        unique: whether its values are unique.
        other: further constraints, described as strings.
    """

    nullable: bool = True
    unique: bool = False
    other: Sequence[str] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "other", _strings(self.other))


@dataclass(frozen=True)
class TableColumn:
    """One column of a table schema.

    Args:
        name: the column's name.
        type: its type, any string (default ``"string"``).
        description: what it holds.
        constraints: its constraints (default: nullable, nothing else).
        tags: tags for filtering or organizing columns.
    """

    name: str
    type: str = "string"
    description: str | None = None
    constraints: TableColumnConstraints = field(default_factory=TableColumnConstraints)
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise DefinitionError(
                f"A TableColumn needs a non-empty string name; got {self.name!r}."
            )
        if self.constraints is None:
            object.__setattr__(self, "constraints", TableColumnConstraints())
        object.__setattr__(self, "tags", dict(self.tags or {}))

    def __hash__(self) -> int:
        return hash((self.name, self.type, self.description, self.constraints))


@dataclass(frozen=True)
class TableSchema:
    """The columns (and table-level constraints) of a table.

    Args:
        columns: the columns, in order.
        constraints: table-level constraints.
    """

    columns: Sequence[TableColumn]
    constraints: TableConstraints = field(default_factory=TableConstraints)

    def __post_init__(self) -> None:
        columns = tuple(self.columns)
        for column in columns:
            if not isinstance(column, TableColumn):
                raise DefinitionError(
                    f"TableSchema columns must be TableColumn values; got {column!r}."
                )
        object.__setattr__(self, "columns", columns)
        if self.constraints is None:
            object.__setattr__(self, "constraints", TableConstraints())

    @staticmethod
    def from_name_type_dict(name_type_dict: Mapping[str, str]) -> TableSchema:
        """A schema of ``{column name: type name}``."""
        return TableSchema([TableColumn(name=n, type=t) for n, t in name_type_dict.items()])


@dataclass(frozen=True)
class TableColumnDep:
    """A column of an upstream asset that a column depends on."""

    asset_key: AssetKey
    column_name: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "asset_key", AssetKey.from_coercible(self.asset_key))


@dataclass(frozen=True)
class TableColumnLineage:
    """For each column of a table, the upstream columns it is computed from."""

    deps_by_column: Mapping[str, Sequence[TableColumnDep]]

    def __post_init__(self) -> None:
        deps = {str(k): tuple(v) for k, v in self.deps_by_column.items()}
        for column, column_deps in deps.items():
            for dep in column_deps:
                if not isinstance(dep, TableColumnDep):
                    raise DefinitionError(
                        f"TableColumnLineage: deps of column {column!r} must be TableColumnDep "
                        f"values; got {dep!r}."
                    )
        object.__setattr__(self, "deps_by_column", deps)

    def __hash__(self) -> int:
        return hash(tuple(self.deps_by_column.items()))


def infer_column_type(value: object) -> str:
    """The schema type Dagster infers for a record value."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    return "string"


@dataclass(frozen=True)
class TableData:
    """Rows with a schema: the value of ``MetadataValue.table(records, schema)``.

    Without a schema, one is inferred from the first record. Every record must have the
    same fields.
    """

    records: Sequence[TableRecord]
    schema: TableSchema | None = None

    def __post_init__(self) -> None:
        records = tuple(self.records)
        if not records and self.schema is None:
            raise DefinitionError("MetadataValue.table: give a schema when there are no records.")
        if records:
            names = set(records[0].data)
            if any(set(r.data) != names for r in records[1:]):
                raise DefinitionError("MetadataValue.table: all records must have the same fields.")
        object.__setattr__(self, "records", records)
        if self.schema is None:
            inferred = [TableColumn(k, infer_column_type(v)) for k, v in records[0].data.items()]
            object.__setattr__(self, "schema", TableSchema(inferred))

    @property
    def value(self) -> TableData:
        return self


# ---- JSON (event log) and text (UI) ------------------------------------------------------


def _schema_to_json(schema: TableSchema) -> dict[str, Any]:
    return {
        "columns": [
            {
                "name": c.name,
                "type": c.type,
                "description": c.description,
                "constraints": {
                    "nullable": c.constraints.nullable,
                    "unique": c.constraints.unique,
                    "other": list(c.constraints.other),
                },
                "tags": dict(c.tags),
            }
            for c in schema.columns
        ],
        "constraints": {"other": list(schema.constraints.other)},
    }


def _schema_from_json(data: Mapping[str, Any]) -> TableSchema:
    columns = []
    for c in data.get("columns", ()):
        constraints = c.get("constraints") or {}
        columns.append(
            TableColumn(
                name=c["name"],
                type=c.get("type", "string"),
                description=c.get("description"),
                constraints=TableColumnConstraints(
                    nullable=constraints.get("nullable", True),
                    unique=constraints.get("unique", False),
                    other=constraints.get("other", ()),
                ),
                tags=c.get("tags") or {},
            )
        )
    return TableSchema(columns, TableConstraints((data.get("constraints") or {}).get("other", ())))


def table_value_to_json(kind: str, value: Any) -> Any:
    """The JSON form of a table metadata value (``kind`` in :data:`TABLE_KINDS`)."""
    if kind == TABLE_SCHEMA and isinstance(value, TableSchema):
        return _schema_to_json(value)
    if kind == TABLE and isinstance(value, TableData):
        assert value.schema is not None
        return {
            "records": [dict(r.data) for r in value.records],
            "schema": _schema_to_json(value.schema),
        }
    if kind == COLUMN_LINEAGE and isinstance(value, TableColumnLineage):
        return {
            column: [{"asset_key": d.asset_key.to_user_string(), "column_name": d.column_name}
                     for d in deps]
            for column, deps in value.deps_by_column.items()
        }  # fmt: skip
    return value


def table_value_from_json(kind: str, data: Any) -> Any:
    """The value :func:`table_value_to_json` stored (other data is returned unchanged)."""
    if not isinstance(data, Mapping):
        return data
    if kind == TABLE_SCHEMA and "columns" in data:
        return _schema_from_json(data)
    if kind == TABLE and "records" in data:
        return TableData(
            [TableRecord(r) for r in data["records"]], _schema_from_json(data["schema"])
        )
    if kind == COLUMN_LINEAGE:
        return TableColumnLineage(
            {
                column: [
                    TableColumnDep(AssetKey.from_user_string(d["asset_key"]), d["column_name"])
                    for d in deps
                ]
                for column, deps in data.items()
            }
        )
    return data


def table_value_text(kind: str, value: Any) -> str:
    """A one-line summary for the UI and CLI (``id: int, name: string``; ``3 rows``...)."""
    if kind == TABLE_SCHEMA and isinstance(value, TableSchema):
        return ", ".join(f"{c.name}: {c.type}" for c in value.columns)
    if kind == TABLE and isinstance(value, TableData):
        rows = len(value.records)
        columns = len(value.schema.columns) if value.schema else 0
        return f"{rows} row{'s' if rows != 1 else ''} x {columns} columns"
    if kind == COLUMN_LINEAGE and isinstance(value, TableColumnLineage):
        return "; ".join(
            f"{column} <- "
            + ", ".join(f"{d.asset_key.to_user_string()}.{d.column_name}" for d in deps)
            for column, deps in value.deps_by_column.items()
        )
    return str(value)


# ---- TableMetadataSet ------------------------------------------------------------------


@dataclass(frozen=True)
class TableMetadataSet:
    """Dagster's standard ``dagster/*`` metadata of table assets; splat it into metadata.

    ``{**TableMetadataSet(row_count=10)}`` is ``{"dagster/row_count": 10}``; unset fields are
    left out. :meth:`extract` reads the set back from a metadata mapping.

    Args:
        column_schema: the table's columns.
        column_lineage: where each column comes from.
        row_count: rows in the table.
        partition_row_count: rows in the materialized partition.
        table_name: the table's fully qualified name.
        storage_kind: the system storing it (``"duckdb"``, ``"snowflake"``...).
    """

    column_schema: TableSchema | None = None
    column_lineage: TableColumnLineage | None = None
    row_count: int | None = None
    partition_row_count: int | None = None
    table_name: str | None = None
    storage_kind: str | None = None

    _namespace: ClassVar[str] = "dagster"
    _legacy_keys: ClassVar[Mapping[str, str]] = {"relation_identifier": "table_name"}

    @classmethod
    def namespace(cls) -> str:
        return cls._namespace

    def keys(self) -> list[str]:
        return [
            f"{self._namespace}/{f.name}" for f in fields(self) if getattr(self, f.name) is not None
        ]

    def __getitem__(self, key: str) -> Any:
        namespace, _, name = key.partition("/")
        if namespace != self._namespace or name not in {f.name for f in fields(self)}:
            raise KeyError(key)
        return getattr(self, name)

    def __iter__(self) -> Any:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self.keys())

    @classmethod
    def extract(cls, values: Mapping[str, Any]) -> TableMetadataSet:
        """The set's fields found in ``values`` (typed metadata values are unwrapped)."""
        names = {f.name for f in fields(cls)}
        found: dict[str, Any] = {}
        for key, value in values.items():
            namespace, _, name = str(key).partition("/")
            if namespace != cls._namespace:
                continue
            # a typed MetadataValue (it has a kind) is unwrapped; raw values are kept
            inner = value.value if hasattr(value, "kind") else value
            if name in names:
                found[name] = inner
            elif name in cls._legacy_keys:
                current = cls._legacy_keys[name]
                if f"{cls._namespace}/{current}" not in values:
                    found[current] = inner
        return cls(**found)
