"""``dagster_pandas``' typed DataFrames: ``PandasColumn`` constraints and
``create_dagster_pandas_dataframe_type``, a ``DagsterType`` whose check fails the step that
returns a DataFrame breaking them (Dagster's message). Needs pandas."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from assettui.model.dagster_types import DagsterType, TypeCheck

__all__ = ["PandasColumn", "create_dagster_pandas_dataframe_type"]


@dataclass(frozen=True)
class PandasColumn:
    """A column a DataFrame must (or may) have, and what its values must be."""

    name: str
    checks: Sequence[Callable[[Any], str | None]] = field(default_factory=tuple)
    is_required: bool = True

    def validate(self, frame: Any) -> str | None:
        if self.name not in frame.columns:
            return (
                f"Required column {self.name!r} not in dataframe with columns {list(frame.columns)}"
                if self.is_required
                else None
            )
        for check in self.checks:
            problem = check(frame[self.name])
            if problem:
                return f"Column {self.name!r} {problem}"
        return None

    @staticmethod
    def exists(
        name: str, non_nullable: bool = False, unique: bool = False, is_required: bool = True
    ) -> PandasColumn:
        return PandasColumn(name, _common(non_nullable, unique), is_required)

    @staticmethod
    def integer_column(
        name: str,
        min_value: float | None = None,
        max_value: float | None = None,
        non_nullable: bool = False,
        unique: bool = False,
        ignore_missing_vals: bool = False,
        is_required: bool = True,
    ) -> PandasColumn:
        return _numeric(name, "integer", "i", min_value, max_value, non_nullable, unique, is_required)  # fmt: skip

    @staticmethod
    def float_column(
        name: str,
        min_value: float | None = None,
        max_value: float | None = None,
        non_nullable: bool = False,
        unique: bool = False,
        ignore_missing_vals: bool = False,
        is_required: bool = True,
    ) -> PandasColumn:
        return _numeric(name, "float", "f", min_value, max_value, non_nullable, unique, is_required)  # fmt: skip

    @staticmethod
    def string_column(
        name: str, non_nullable: bool = False, unique: bool = False, is_required: bool = True
    ) -> PandasColumn:
        return PandasColumn(
            name, (_dtype("string", "OSU"), *_common(non_nullable, unique)), is_required
        )

    @staticmethod
    def boolean_column(
        name: str, non_nullable: bool = False, unique: bool = False, is_required: bool = True
    ) -> PandasColumn:
        return PandasColumn(
            name, (_dtype("boolean", "b"), *_common(non_nullable, unique)), is_required
        )

    @staticmethod
    def datetime_column(
        name: str,
        non_nullable: bool = False,
        unique: bool = False,
        is_required: bool = True,
        **_unused: Any,
    ) -> PandasColumn:
        return PandasColumn(
            name, (_dtype("datetime", "M"), *_common(non_nullable, unique)), is_required
        )

    @staticmethod
    def categorical_column(
        name: str,
        categories: Sequence[Any],
        non_nullable: bool = False,
        is_required: bool = True,
        **_unused: Any,
    ) -> PandasColumn:
        allowed = set(categories)

        def in_categories(column: Any) -> str | None:
            bad = sorted({v for v in column.dropna() if v not in allowed}, key=str)
            return (
                f"has values {bad} outside the categories {sorted(allowed, key=str)}"
                if bad
                else None
            )

        return PandasColumn(name, (in_categories, *_common(non_nullable, False)), is_required)


def _numeric(
    name: str,
    label: str,
    kinds: str,
    low: float | None,
    high: float | None,
    non_nullable: bool,
    unique: bool,
    is_required: bool,
) -> PandasColumn:
    checks = (_dtype(label, kinds), *_common(non_nullable, unique), _bounds(low, high))
    return PandasColumn(name, checks, is_required)  # fmt: skip


def _dtype(label: str, kinds: str) -> Callable[[Any], str | None]:
    def check(column: Any) -> str | None:
        kind = getattr(column.dtype, "kind", "O")
        if label == "string" and str(column.dtype) in ("string", "str"):
            return None
        return None if kind in kinds else f"is not of type {label} (dtype {column.dtype})"

    return check


def _common(non_nullable: bool, unique: bool) -> tuple[Callable[[Any], str | None], ...]:
    checks: list[Callable[[Any], str | None]] = []
    if non_nullable:
        checks.append(lambda c: "has null values" if c.isnull().any() else None)
    if unique:
        checks.append(lambda c: "has duplicate values" if c.duplicated().any() else None)
    return tuple(checks)


def _bounds(low: float | None, high: float | None) -> Callable[[Any], str | None]:
    def check(column: Any) -> str | None:
        values = column.dropna()
        if low is not None and (values < low).any():
            return f"has values below {low}"
        if high is not None and (values > high).any():
            return f"has values above {high}"
        return None

    return check


def create_dagster_pandas_dataframe_type(
    name: str,
    description: str | None = None,
    columns: Sequence[PandasColumn] | None = None,
    metadata_fn: Any = None,
    dataframe_constraints: Any = None,
    loader: Any = None,
) -> DagsterType:
    """A ``DagsterType`` of pandas DataFrames with ``columns``' constraints."""

    def check(_context: Any, value: Any) -> TypeCheck:
        import pandas as pd

        if not isinstance(value, pd.DataFrame):
            return TypeCheck(
                False, f"Must be a pandas.DataFrame. Got value of type. {type(value).__name__}"
            )
        for column in columns or ():
            problem = column.validate(value)
            if problem:
                return TypeCheck(False, problem)
        return TypeCheck(True)

    return DagsterType(check, name=name, description=description)
