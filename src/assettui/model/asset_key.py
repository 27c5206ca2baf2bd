"""``AssetKey``: the name of an asset, a path of string parts."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from assettui.errors import DefinitionError

_VALID_PART = re.compile(r"^[A-Za-z0-9_\-.]+$")


@dataclass(frozen=True, slots=True, order=True)
class AssetKey:
    """The key of an asset: a path of one or more string parts.

    Args:
        path: one string (a single part, e.g. ``"orders"``) or a sequence of parts
            (``["raw", "orders"]``). A string is never split on ``/``: use
            :meth:`from_user_string` for that.
    """

    path: tuple[str, ...]

    def __init__(self, path: str | Sequence[str]):
        if isinstance(path, str):
            parts: tuple[str, ...] = (path,)
        else:
            parts = tuple(path)
        if not parts:
            raise DefinitionError("An AssetKey needs at least one part; got an empty path.")
        for part in parts:
            if not isinstance(part, str):
                raise DefinitionError(
                    f"AssetKey parts must be strings; got {part!r} in {list(parts)!r}."
                )
        object.__setattr__(self, "path", parts)

    def to_user_string(self) -> str:
        """The key as users write it: parts joined by ``/``."""
        return "/".join(self.path)

    def to_string(self) -> str:
        """Dagster's serialized form: the parts as a JSON list."""
        return json.dumps(list(self.path))

    def to_python_identifier(self, suffix: str | None = None) -> str:
        """The key as an identifier (parts joined by ``__``)."""
        name = "__".join(self.path).replace("-", "_").replace(".", "_")
        return f"{name}_{suffix}" if suffix else name

    @staticmethod
    def from_user_string(asset_key_string: str) -> AssetKey:
        """Parse ``"a/b/c"`` into ``AssetKey(["a", "b", "c"])``."""
        return AssetKey(asset_key_string.split("/"))

    @staticmethod
    def from_db_string(asset_key_string: str | None) -> AssetKey | None:
        """Parse the JSON-list form written by :meth:`to_string`."""
        if not asset_key_string:
            return None
        return AssetKey(json.loads(asset_key_string))

    @staticmethod
    def from_coercible(arg: Any) -> AssetKey:
        """Turn an AssetKey, a string or a sequence of strings into an AssetKey.

        A string containing ``/`` is read as a user string (``"raw/orders"``), as Dagster does
        in ``deps`` and selections.
        """
        if isinstance(arg, AssetKey):
            return arg
        if isinstance(arg, str):
            return AssetKey.from_user_string(arg)
        key = getattr(arg, "key", None)
        if isinstance(key, AssetKey):  # an AssetsDefinition, AssetSpec or SourceAsset
            return key
        if isinstance(arg, Iterable):
            return AssetKey(list(arg))
        raise DefinitionError(
            f"Cannot use {arg!r} as an asset key: pass an AssetKey, a string or a list of strings."
        )

    def with_prefix(self, prefix: str | Sequence[str]) -> AssetKey:
        """This key with ``prefix`` (a string or parts) put in front."""
        parts = [prefix] if isinstance(prefix, str) else list(prefix)
        return AssetKey([*parts, *self.path])

    @property
    def parent(self) -> AssetKey:
        """The key without its last part."""
        if len(self.path) < 2:
            raise DefinitionError(f"{self.to_user_string()!r} has no parent key.")
        return AssetKey(self.path[:-1])

    def has_prefix(self, prefix: Sequence[str]) -> bool:
        """Whether the key's path starts with ``prefix``."""
        return self.path[: len(prefix)] == tuple(prefix)

    def __str__(self) -> str:
        return f"AssetKey({list(self.path)!r})"

    def __repr__(self) -> str:
        return f"AssetKey({list(self.path)!r})"


def key_prefix_parts(prefix: str | Sequence[str] | None) -> list[str]:
    """A key prefix as a list of parts (``"a/b"`` is one part, as in Dagster)."""
    if prefix is None:
        return []
    if isinstance(prefix, str):
        return [prefix]
    return list(prefix)


def is_valid_key_part(part: str) -> bool:
    """Whether ``part`` is a name Dagster accepts (letters, digits, ``_ - .``)."""
    return bool(_VALID_PART.match(part))


def check_key_parts(key: AssetKey) -> None:
    """Refuse key parts that cannot round-trip through ``a/b/c`` (the form users type).

    A part holding ``/`` would read back as two parts (and share a folder with them in the
    filesystem IO manager); an empty part comes from a stray ``/`` (as Dagster, which
    refuses both in asset names).

    Raises:
        DefinitionError: naming the key and the bad part.
    """
    for part in key.path:
        if not part or "/" in part or "\0" in part:
            fixed = [p for p in "/".join(key.path).replace("\0", "").split("/") if p]
            raise DefinitionError(
                f"Asset key {list(key.path)!r} has the part {part!r}: key parts must be "
                f"non-empty and hold no '/' (it separates parts). Write key={fixed!r} instead."
            )
