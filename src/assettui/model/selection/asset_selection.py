"""``AssetSelection``: a query over the assets and asset checks of an asset graph.

Selections are frozen dataclasses (values: built the same way, they are equal). Nothing is
looked up until ``resolve(asset_graph)``, which follows Dagster 1.x: ``all``, ``groups``,
``key_prefixes``, ``tag`` and ``kind`` skip external assets unless ``include_sources``;
``assets``/``keys`` (which raise for undefined keys unless ``allow_missing``), ``owner`` and
``key:`` wildcards do not. ``upstream()`` never returns external assets. ``roots()`` and
``sinks()`` look for selected ancestors/descendants at any distance. Selected assets bring
their checks unless ``without_checks()``. The string syntax lives in ``selection_parser``.
"""

from __future__ import annotations

import collections.abc
import operator
import re
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import reduce
from typing import TYPE_CHECKING, Any, ClassVar

from assettui.errors import SelectionError
from assettui.model.asset_graph import AssetGraph, unknown_key_message
from assettui.model.asset_key import AssetKey, key_prefix_parts
from assettui.model.results import AssetCheckKey
from assettui.model.selection.parser import SelectionKinds, parse_selection

if TYPE_CHECKING:
    from assettui.model.asset_graph import AssetGraph

# Dagster stores kinds as tags with this prefix and an empty value.
KIND_TAG_PREFIX = "dagster/kind/"

# String precedence levels, loosest to tightest, as in the grammar: or < and < not < traversal
# < atom. ``_render`` returns one of these so operands get parentheses only where needed.
_OR, _AND, _NOT, _TRAVERSAL, _ATOM = range(5)

_COMBINE = {"and": operator.and_, "or": operator.or_}
_Keys = set[AssetKey]
_Checks = set[AssetCheckKey]


class AssetSelection:
    """A query over a set of assets and asset checks, resolved against an asset graph.

    Combine selections with ``|`` (union), ``&`` (intersection) and ``-`` (difference).
    Selecting assets also selects the checks that target them.

    Examples:
        >>> AssetSelection.groups("marketing") | AssetSelection.assets("promotion")
        >>> AssetSelection.assets("leads").downstream() & AssetSelection.groups("marketing")
        >>> AssetSelection.from_string('+key:"orders" and not group:"raw"')
    """

    # ---- constructors ------------------------------------------------------------------

    @staticmethod
    def all(
        include_sources: bool = False, *, include_external_assets: bool | None = None
    ) -> AllSelection:
        """All materializable assets and their checks.

        Args:
            include_sources: if True, external assets are selected too.
            include_external_assets: another name for ``include_sources``.
        """
        if include_external_assets is not None:
            include_sources = include_external_assets
        return AllSelection(include_sources=include_sources)

    @staticmethod
    def all_asset_checks() -> AllAssetCheckSelection:
        """Every asset check (and no assets)."""
        return AllAssetCheckSelection()

    @staticmethod
    def assets(*assets_defs: Any) -> KeysAssetSelection:
        """The given assets and the checks that target them.

        Args:
            *assets_defs: asset definitions (all keys of a multi-asset), specs, ``AssetKey``\\ s,
                strings (``"a/b"`` is the key ``["a", "b"]``) or lists of key parts.
        """
        return KeysAssetSelection(selected_keys=keys_from_coercibles(assets_defs))

    @staticmethod
    def keys(*asset_keys: Any) -> KeysAssetSelection:
        """The assets with the given keys (Dagster's older name for :meth:`assets`).

        Args:
            *asset_keys: ``AssetKey``\\ s, user strings (``"a/b"``) or lists of key parts.
        """
        return KeysAssetSelection(selected_keys=keys_from_coercibles(asset_keys))

    @staticmethod
    def key_prefixes(
        *key_prefixes: Any, include_sources: bool = False
    ) -> KeyPrefixesAssetSelection:
        """Assets whose key starts with any of the prefixes.

        Args:
            *key_prefixes: a string (one key part: ``"raw"``) or a list of parts.
            include_sources: if True, matching external assets are selected too.
        """
        return KeyPrefixesAssetSelection(
            selected_key_prefixes=tuple(tuple(key_prefix_parts(p)) for p in key_prefixes),
            include_sources=include_sources,
        )

    @staticmethod
    def groups(*group_strs: str, include_sources: bool = False) -> GroupsAssetSelection:
        """Materializable assets in any of the groups.

        Args:
            *group_strs: group names.
            include_sources: if True, external assets of those groups are selected too.
        """
        for group in group_strs:
            if not isinstance(group, str):
                raise SelectionError(f"Group names must be strings; got {group!r}.")
        return GroupsAssetSelection(
            selected_groups=tuple(group_strs), include_sources=include_sources
        )

    @staticmethod
    def tag(key: str, value: str, include_sources: bool = False) -> TagAssetSelection:
        """Materializable assets whose tag ``key`` has exactly the value ``value``.

        A key-only tag has the value ``""`` (``tag("pii", "")``), as in Dagster.
        """
        return TagAssetSelection(key=key, value=value, include_sources=include_sources)

    @staticmethod
    def tag_string(string: str, include_sources: bool = False) -> TagAssetSelection:
        """Like :meth:`tag`, from ``"key=value"`` or ``"key"`` (a key-only tag)."""
        parts = string.split("=")
        if len(parts) == 1:
            return TagAssetSelection(key=string, value="", include_sources=include_sources)
        if len(parts) == 2:
            return TagAssetSelection(key=parts[0], value=parts[1], include_sources=include_sources)
        raise SelectionError(
            f"Invalid tag selection string {string!r}: write 'key=value' or 'key', with at "
            "most one '='."
        )

    @staticmethod
    def kind(kind: str | None, include_sources: bool = False) -> KindAssetSelection:
        """Materializable assets of the given kind (``None``: assets with no kind)."""
        return KindAssetSelection(kind_str=kind, include_sources=include_sources)

    @staticmethod
    def owner(owner: str | None) -> OwnerAssetSelection:
        """Assets (external ones too) that list ``owner`` among their owners."""
        return OwnerAssetSelection(selected_owner=owner)

    @staticmethod
    def checks_for_assets(*assets_defs: Any) -> AssetChecksForAssetKeysSelection:
        """The checks that target the given assets (and not the assets themselves)."""
        return AssetChecksForAssetKeysSelection(
            selected_asset_keys=keys_from_coercibles(assets_defs)
        )

    @staticmethod
    def checks(*assets_defs_or_check_keys: Any) -> AssetCheckKeysSelection:
        """The given checks: ``AssetCheckKey``\\ s, ``@asset_check`` definitions, or asset
        definitions (their ``check_specs``)."""
        keys: list[AssetCheckKey] = []
        for item in assets_defs_or_check_keys:
            if isinstance(item, AssetCheckKey):
                keys.append(item)
            elif hasattr(item, "check_keys"):
                keys.extend(sorted(item.check_keys, key=_check_sort_key))
            else:
                raise SelectionError(
                    f"AssetSelection.checks() takes AssetCheckKeys or check/asset definitions; "
                    f"got {item!r}."
                )
        return AssetCheckKeysSelection(selected_asset_check_keys=tuple(keys))

    @classmethod
    def from_string(cls, string: str, include_sources: bool = False) -> AssetSelection:
        """Parse Dagster's asset selection syntax (``'+key:"orders" and group:"raw"'``).

        Also accepts Dagster's older clause syntax (``"*orders"``, ``"orders+"``, ``"++a/b"``)
        and comma-separated lists of either (``"a, b+"``). See ``selection_parser``.

        Raises:
            SelectionError: if the string does not parse; the message points at the column.
        """
        kinds = SelectionKinds(AssetSelection, KeyWildCardAssetSelection)
        return parse_selection(string, kinds, include_sources=include_sources)

    @classmethod
    def from_coercible(cls, selection: Any) -> AssetSelection:
        """A selection from a selection, a string, a key, an asset, or a list of those."""
        if isinstance(selection, AssetSelection):
            return selection
        if isinstance(selection, str):
            return cls.from_string(selection)
        if (
            isinstance(selection, AssetKey)
            or hasattr(selection, "specs_by_key")
            or isinstance(getattr(selection, "key", None), AssetKey)  # AssetSpec, SourceAsset
        ):
            return cls.assets(selection)
        if isinstance(selection, collections.abc.Sequence | collections.abc.Set):
            items = list(selection)
            strings = [cls.from_string(s) for s in items if isinstance(s, str)]
            others = [s for s in items if not isinstance(s, str)]
            if not others:
                return reduce(operator.or_, strings) if strings else KeysAssetSelection(())
            keyed = cls.assets(*others)
            return reduce(operator.or_, strings, keyed) if strings else keyed
        raise SelectionError(
            "A selection must be an AssetSelection, a selection string, an AssetKey, an asset, "
            f"or a list of those; got {type(selection).__name__} {selection!r}."
        )

    # ---- derived selections ------------------------------------------------------------

    def upstream(
        self, depth: int | None = None, include_self: bool = True
    ) -> UpstreamAssetSelection:
        """This selection and its materializable ancestors.

        Args:
            depth: how many layers to walk (``None``: all; ``2``: parents and grandparents).
            include_self: if False, the assets of this selection are left out.
        """
        return UpstreamAssetSelection(child=self, depth=depth, include_self=include_self)

    def downstream(
        self, depth: int | None = None, include_self: bool = True
    ) -> DownstreamAssetSelection:
        """This selection and its descendants.

        Args:
            depth: how many layers to walk (``None``: all; ``1``: children).
            include_self: if False, the assets of this selection are left out.
        """
        return DownstreamAssetSelection(child=self, depth=depth, include_self=include_self)

    def roots(self) -> RootsAssetSelection:
        """The selected assets that have no selected ancestor."""
        return RootsAssetSelection(child=self)

    def sinks(self) -> SinksAssetSelection:
        """The selected assets that have no selected descendant."""
        return SinksAssetSelection(child=self)

    def required_multi_asset_neighbors(self) -> RequiredNeighborsAssetSelection:
        """This selection plus the other outputs of any multi-asset that cannot be subset."""
        return RequiredNeighborsAssetSelection(child=self)

    def materializable(self) -> MaterializableAssetSelection:
        """This selection without external assets."""
        return MaterializableAssetSelection(child=self)

    def upstream_source_assets(self) -> ParentSourcesAssetSelection:
        """The external assets upstream of this selection."""
        return ParentSourcesAssetSelection(child=self)

    def without_checks(self) -> AssetSelection:
        """This selection's assets, with no asset checks."""
        return self - AssetSelection.all_asset_checks()

    def __or__(self, other: AssetSelection) -> OrAssetSelection:
        _require_selection(other, "|")
        return OrAssetSelection(operands=_flatten(OrAssetSelection, self, other))

    def __and__(self, other: AssetSelection) -> AndAssetSelection:
        _require_selection(other, "&")
        return AndAssetSelection(operands=_flatten(AndAssetSelection, self, other))

    def __sub__(self, other: AssetSelection) -> SubtractAssetSelection:
        _require_selection(other, "-")
        return SubtractAssetSelection(left=self, right=other)

    # ---- resolution --------------------------------------------------------------------

    def resolve(self, all_assets: Any, allow_missing: bool = False) -> set[AssetKey]:
        """The keys of the selected assets.

        Args:
            all_assets: an ``AssetGraph``, or the assets (definitions, specs) to select from.
            allow_missing: if True, keys named by ``assets()``/``checks()`` that are not
                defined are ignored instead of raising.

        Raises:
            SelectionError: a key or check named explicitly is not defined.
        """
        return set(self.resolve_inner(_as_graph(all_assets), allow_missing))

    def resolve_checks(self, asset_graph: Any, allow_missing: bool = False) -> set[AssetCheckKey]:
        """The keys of the selected asset checks (by default: those targeting selected assets)."""
        return set(self.resolve_checks_inner(_as_graph(asset_graph), allow_missing))

    def resolve_inner(self, asset_graph: AssetGraph, allow_missing: bool) -> _Keys:
        raise NotImplementedError

    def resolve_checks_inner(self, asset_graph: AssetGraph, allow_missing: bool) -> _Checks:
        keys = self.resolve_inner(asset_graph, allow_missing)
        return {c for c in asset_graph.asset_check_keys if c.asset_key in keys}

    # ---- text --------------------------------------------------------------------------

    def _render(self) -> tuple[str, int]:
        """This selection as text and the precedence level of its outermost operator."""
        raise NotImplementedError

    def to_selection_str(self) -> str:
        """The selection in the string syntax (Python call syntax where there is none)."""
        return self._render()[0]

    def __str__(self) -> str:
        return self._render()[0]


# ---- leaf selections ---------------------------------------------------------------------


@dataclass(frozen=True)
class AllSelection(AssetSelection):
    include_sources: bool = False

    def resolve_inner(self, asset_graph: AssetGraph, allow_missing: bool) -> _Keys:
        return set(_base_keys(asset_graph, self.include_sources))

    def _render(self) -> tuple[str, int]:
        return "*", _NOT


@dataclass(frozen=True)
class AllAssetCheckSelection(AssetSelection):
    def resolve_inner(self, asset_graph: AssetGraph, allow_missing: bool) -> _Keys:
        return set()

    def resolve_checks_inner(self, asset_graph: AssetGraph, allow_missing: bool) -> _Checks:
        return set(asset_graph.asset_check_keys)

    def _render(self) -> tuple[str, int]:
        return "AssetSelection.all_asset_checks()", _ATOM


@dataclass(frozen=True)
class AssetChecksForAssetKeysSelection(AssetSelection):
    selected_asset_keys: tuple[AssetKey, ...]

    def resolve_inner(self, asset_graph: AssetGraph, allow_missing: bool) -> _Keys:
        return set()

    def resolve_checks_inner(self, asset_graph: AssetGraph, allow_missing: bool) -> _Checks:
        wanted = set(self.selected_asset_keys)
        return {c for c in asset_graph.asset_check_keys if c.asset_key in wanted}

    def _render(self) -> tuple[str, int]:
        keys = ", ".join(repr(k.to_user_string()) for k in self.selected_asset_keys)
        return f"AssetSelection.checks_for_assets({keys})", _ATOM


@dataclass(frozen=True)
class AssetCheckKeysSelection(AssetSelection):
    selected_asset_check_keys: tuple[AssetCheckKey, ...]

    def resolve_inner(self, asset_graph: AssetGraph, allow_missing: bool) -> _Keys:
        return set()

    def resolve_checks_inner(self, asset_graph: AssetGraph, allow_missing: bool) -> _Checks:
        defined = asset_graph.asset_check_keys
        wanted = set(self.selected_asset_check_keys)
        missing = sorted(wanted - defined, key=_check_sort_key)
        if missing and not allow_missing:
            names = [k.to_user_string() for k in missing]
            known = sorted(c.to_user_string() for c in defined)
            raise SelectionError(
                f"Asset check(s) {names} were selected, but no such checks are defined. "
                f"Defined checks: {known[:20]}{' ...' if len(known) > 20 else ''}. Check the "
                "spelling, and that the @asset_check is passed to Definitions(asset_checks=...)."
            )
        return wanted & defined

    def _render(self) -> tuple[str, int]:
        names = ", ".join(repr(k.to_user_string()) for k in self.selected_asset_check_keys)
        return f"AssetSelection.checks({names})", _ATOM


@dataclass(frozen=True)
class KeysAssetSelection(AssetSelection):
    selected_keys: tuple[AssetKey, ...]

    def resolve_inner(self, asset_graph: AssetGraph, allow_missing: bool) -> _Keys:
        wanted = set(self.selected_keys)
        missing = sorted(k for k in wanted if not asset_graph.has(k))
        if missing and not allow_missing:
            raise SelectionError(_missing_keys_message(missing, asset_graph))
        return wanted.difference(missing)

    def _render(self) -> tuple[str, int]:
        if not self.selected_keys:
            return "AssetSelection.assets()", _ATOM
        text = " or ".join(f'key:"{k.to_user_string()}"' for k in self.selected_keys)
        return text, _ATOM if len(self.selected_keys) == 1 else _OR


@dataclass(frozen=True)
class KeyWildCardAssetSelection(AssetSelection):
    """``key:"raw/*"`` in the string syntax: ``*`` matches any characters, ``/`` included."""

    selected_key_wildcard: str

    def resolve_inner(self, asset_graph: AssetGraph, allow_missing: bool) -> _Keys:
        pattern = self.selected_key_wildcard
        if "*" not in pattern:  # an exact key: one lookup instead of a scan
            key = AssetKey.from_user_string(pattern)
            return {key} if asset_graph.has(key) else set()
        regex = re.compile("^" + re.escape(pattern).replace("\\*", ".*") + "$", re.DOTALL)
        return {k for k in asset_graph.all_asset_keys if regex.match(k.to_user_string())}

    def _render(self) -> tuple[str, int]:
        return f'key:"{self.selected_key_wildcard}"', _ATOM


@dataclass(frozen=True)
class KeyPrefixesAssetSelection(AssetSelection):
    selected_key_prefixes: tuple[tuple[str, ...], ...]
    include_sources: bool = False

    def resolve_inner(self, asset_graph: AssetGraph, allow_missing: bool) -> _Keys:
        return {
            k
            for k in _base_keys(asset_graph, self.include_sources)
            if any(k.has_prefix(p) for p in self.selected_key_prefixes)
        }

    def _render(self) -> tuple[str, int]:
        prefixes = ", ".join(repr(list(p)) for p in self.selected_key_prefixes)
        return f"AssetSelection.key_prefixes({prefixes})", _ATOM


@dataclass(frozen=True)
class GroupsAssetSelection(AssetSelection):
    selected_groups: tuple[str, ...]
    include_sources: bool = False

    def resolve_inner(self, asset_graph: AssetGraph, allow_missing: bool) -> _Keys:
        groups = set(self.selected_groups)
        return {
            k
            for k in _base_keys(asset_graph, self.include_sources)
            if asset_graph.get(k).group_name in groups
        }

    def _render(self) -> tuple[str, int]:
        if not self.selected_groups:
            return "group:<null>", _ATOM
        text = " or ".join(f'group:"{g}"' for g in self.selected_groups)
        return text, _ATOM if len(self.selected_groups) == 1 else _OR


@dataclass(frozen=True)
class TagAssetSelection(AssetSelection):
    key: str
    value: str
    include_sources: bool = False

    def resolve_inner(self, asset_graph: AssetGraph, allow_missing: bool) -> _Keys:
        return {
            k
            for k in _base_keys(asset_graph, self.include_sources)
            if _tag_value(asset_graph, k, self.key) == self.value
        }

    def _render(self) -> tuple[str, int]:
        if self.value:
            return f'tag:"{self.key}"="{self.value}"', _ATOM
        return f'tag:"{self.key}"', _ATOM


@dataclass(frozen=True)
class KindAssetSelection(AssetSelection):
    kind_str: str | None
    include_sources: bool = False

    def resolve_inner(self, asset_graph: AssetGraph, allow_missing: bool) -> _Keys:
        base = _base_keys(asset_graph, self.include_sources)
        return {k for k in base if _has_kind(asset_graph, k, self.kind_str)}

    def _render(self) -> tuple[str, int]:
        return ("kind:<null>" if self.kind_str is None else f'kind:"{self.kind_str}"'), _ATOM


@dataclass(frozen=True)
class OwnerAssetSelection(AssetSelection):
    selected_owner: str | None

    def resolve_inner(self, asset_graph: AssetGraph, allow_missing: bool) -> _Keys:
        owner = self.selected_owner
        return {k for k in asset_graph.all_asset_keys if owner in asset_graph.get(k).owners}

    def _render(self) -> tuple[str, int]:
        if self.selected_owner is None:
            return "owner:<null>", _ATOM
        return f'owner:"{self.selected_owner}"', _ATOM


# ---- operators ---------------------------------------------------------------------------


@dataclass(frozen=True)
class OperandListAssetSelection(AssetSelection):
    """An n-ary set operation over ``operands`` (assets and checks alike)."""

    operands: tuple[AssetSelection, ...]
    _word: ClassVar[str]
    _level: ClassVar[int]

    def resolve_inner(self, asset_graph: AssetGraph, allow_missing: bool) -> _Keys:
        parts = (o.resolve_inner(asset_graph, allow_missing) for o in self.operands)
        return set(reduce(_COMBINE[self._word], parts))

    def resolve_checks_inner(self, asset_graph: AssetGraph, allow_missing: bool) -> _Checks:
        parts = (o.resolve_checks_inner(asset_graph, allow_missing) for o in self.operands)
        return set(reduce(_COMBINE[self._word], parts))

    def _render(self) -> tuple[str, int]:
        return f" {self._word} ".join(_wrap(o, self._level) for o in self.operands), self._level


class AndAssetSelection(OperandListAssetSelection):
    _word = "and"
    _level = _AND


class OrAssetSelection(OperandListAssetSelection):
    _word = "or"
    _level = _OR


@dataclass(frozen=True)
class SubtractAssetSelection(AssetSelection):
    left: AssetSelection
    right: AssetSelection

    def resolve_inner(self, asset_graph: AssetGraph, allow_missing: bool) -> _Keys:
        left = self.left.resolve_inner(asset_graph, allow_missing)
        return left - self.right.resolve_inner(asset_graph, allow_missing)

    def resolve_checks_inner(self, asset_graph: AssetGraph, allow_missing: bool) -> _Checks:
        left = self.left.resolve_checks_inner(asset_graph, allow_missing)
        return left - self.right.resolve_checks_inner(asset_graph, allow_missing)

    def _render(self) -> tuple[str, int]:
        if isinstance(self.right, AllAssetCheckSelection):
            return f"{_wrap(self.left, _ATOM)}.without_checks()", _ATOM
        if isinstance(self.left, AllSelection) and not self.left.include_sources:
            return f"not {_wrap(self.right, _NOT)}", _NOT
        return f"{_wrap(self.left, _AND)} and not {_wrap(self.right, _NOT)}", _AND


# ---- selections derived from another ----------------------------------------------------


@dataclass(frozen=True)
class ChainedAssetSelection(AssetSelection):
    """A selection computed from the assets of another (``child``)."""

    child: AssetSelection


@dataclass(frozen=True)
class TraversalAssetSelection(ChainedAssetSelection):
    """The child and ``depth`` layers above or below it (all layers if ``depth`` is None)."""

    depth: int | None = None
    include_self: bool = True


class UpstreamAssetSelection(TraversalAssetSelection):
    def resolve_inner(self, asset_graph: AssetGraph, allow_missing: bool) -> _Keys:
        selection = self.child.resolve_inner(asset_graph, allow_missing)
        if not selection:
            return selection
        found = asset_graph.upstream(selection, depth=self.depth)
        if not self.include_self:
            found -= selection
        # Dagster never returns external assets as upstream of a selection.
        return found & _materializable(asset_graph)

    def _render(self) -> tuple[str, int]:
        return _render_traversal(self.child, self.depth, self.include_self, up=True)


class DownstreamAssetSelection(TraversalAssetSelection):
    def resolve_inner(self, asset_graph: AssetGraph, allow_missing: bool) -> _Keys:
        selection = self.child.resolve_inner(asset_graph, allow_missing)
        found = asset_graph.downstream(selection, depth=self.depth)
        return found - selection if not self.include_self else found

    def _render(self) -> tuple[str, int]:
        return _render_traversal(self.child, self.depth, self.include_self, up=False)


class RootsAssetSelection(ChainedAssetSelection):
    def resolve_inner(self, asset_graph: AssetGraph, allow_missing: bool) -> _Keys:
        selection = self.child.resolve_inner(asset_graph, allow_missing)
        return selection - _below_another(asset_graph, selection, "parent_keys", "child_keys")

    def _render(self) -> tuple[str, int]:
        return f"roots({self.child})", _ATOM


class SinksAssetSelection(ChainedAssetSelection):
    def resolve_inner(self, asset_graph: AssetGraph, allow_missing: bool) -> _Keys:
        selection = self.child.resolve_inner(asset_graph, allow_missing)
        return selection - _below_another(asset_graph, selection, "child_keys", "parent_keys")

    def _render(self) -> tuple[str, int]:
        return f"sinks({self.child})", _ATOM


class RequiredNeighborsAssetSelection(ChainedAssetSelection):
    def resolve_inner(self, asset_graph: AssetGraph, allow_missing: bool) -> _Keys:
        selection = self.child.resolve_inner(asset_graph, allow_missing)
        out = set(selection)
        for key in selection:
            adef = asset_graph.get(key).assets_def
            if len(adef.keys) > 1 and not adef.can_subset:
                out.update(k for k in adef.keys if asset_graph.has(k))
        return out

    def _render(self) -> tuple[str, int]:
        return f"{_wrap(self.child, _ATOM)}.required_multi_asset_neighbors()", _ATOM


class MaterializableAssetSelection(ChainedAssetSelection):
    def resolve_inner(self, asset_graph: AssetGraph, allow_missing: bool) -> _Keys:
        return self.child.resolve_inner(asset_graph, allow_missing) & _materializable(asset_graph)

    def _render(self) -> tuple[str, int]:
        return f"{_wrap(self.child, _ATOM)}.materializable()", _ATOM


class ParentSourcesAssetSelection(ChainedAssetSelection):
    def resolve_inner(self, asset_graph: AssetGraph, allow_missing: bool) -> _Keys:
        selection = self.child.resolve_inner(asset_graph, allow_missing)
        return asset_graph.upstream(selection) - _materializable(asset_graph)

    def _render(self) -> tuple[str, int]:
        return f"{_wrap(self.child, _ATOM)}.upstream_source_assets()", _ATOM


# ---- helpers -----------------------------------------------------------------------------


def keys_from_coercibles(items: Iterable[Any]) -> tuple[AssetKey, ...]:
    """Keys from asset definitions (all their keys), specs, keys, strings or part lists."""
    keys: list[AssetKey] = []
    for item in items:
        if hasattr(item, "specs_by_key"):  # an AssetsDefinition: every asset it computes
            keys.extend(s.key for s in item.specs)
        else:
            try:
                keys.append(AssetKey.from_coercible(item))
            except Exception as exc:
                raise SelectionError(
                    f"Cannot select {item!r}: pass an asset, an AssetKey, a string or a list "
                    "of key parts."
                ) from exc
    return tuple(keys)


def _as_graph(all_assets: Any) -> AssetGraph:

    if isinstance(all_assets, AssetGraph):
        return all_assets
    return AssetGraph.from_assets(all_assets)


# Graphs are immutable once built; remembering their materializable keys saves a scan of
# every asset per group/tag/kind atom of an expression.
_MATERIALIZABLE: weakref.WeakKeyDictionary[AssetGraph, frozenset[AssetKey]] = (
    weakref.WeakKeyDictionary()
)


def _materializable(asset_graph: AssetGraph) -> frozenset[AssetKey]:
    keys = _MATERIALIZABLE.get(asset_graph)
    if keys is None:
        keys = _MATERIALIZABLE[asset_graph] = asset_graph.materializable_asset_keys
    return keys


def _base_keys(asset_graph: AssetGraph, include_sources: bool) -> frozenset[AssetKey]:
    return asset_graph.all_asset_keys if include_sources else _materializable(asset_graph)


def _has_kind(asset_graph: AssetGraph, key: AssetKey, kind: str | None) -> bool:
    """Whether the asset has ``kind`` (``None``: has no kind); ``dagster/kind/x`` tags count."""
    node = asset_graph.get(key)
    if kind is None:
        return not node.kinds and not any(t.startswith(KIND_TAG_PREFIX) for t in node.tags)
    return kind in node.kinds or KIND_TAG_PREFIX + kind in node.tags


def _below_another(
    asset_graph: AssetGraph, selection: _Keys, up_attr: str, down_attr: str
) -> set[AssetKey]:
    """The selected assets with another selected asset above them, at any distance.

    ``up_attr``/``down_attr`` name the edges ("parent_keys"/"child_keys" for roots; swapped for
    sinks). On a shortest path between two selected assets every asset in between is
    unselected, so one walk from the selection through unselected assets only finds every
    unselected asset that has a selected one above it; each asset is visited once.
    """
    frontier = [
        n
        for k in selection
        for n in getattr(asset_graph.get(k), down_attr)
        if n not in selection and asset_graph.has(n)
    ]
    reached = set(frontier)
    while frontier:
        step = []
        for key in frontier:
            for n in getattr(asset_graph.get(key), down_attr):
                if n not in selection and n not in reached and asset_graph.has(n):
                    reached.add(n)
                    step.append(n)
        frontier = step
    above = selection | reached
    return {k for k in selection if any(n in above for n in getattr(asset_graph.get(k), up_attr))}


def _tag_value(asset_graph: AssetGraph, key: AssetKey, tag: str) -> str | None:
    """An asset's tag value; kinds count as ``dagster/kind/<kind>`` tags, as in Dagster."""
    node = asset_graph.get(key)
    value = node.tags.get(tag)
    if (
        value is None
        and tag.startswith(KIND_TAG_PREFIX)
        and tag[len(KIND_TAG_PREFIX) :] in node.kinds
    ):
        return ""
    return value


def _missing_keys_message(missing: Sequence[AssetKey], asset_graph: AssetGraph) -> str:

    names = [k.to_user_string() for k in missing]
    # Suggestions for a few keys only: difflib over thousands of keys is not free.
    hints = " ".join(unknown_key_message(k, asset_graph.all_asset_keys) for k in missing[:4])
    return (
        f"AssetKey(s) {names} were selected, but no assets with these keys are defined. "
        f"{hints} Check the spelling, and that every asset is passed to Definitions."
    )


def _check_sort_key(key: AssetCheckKey) -> tuple[tuple[str, ...], str]:
    return (key.asset_key.path, key.name)


def _flatten(cls: type, *selections: AssetSelection) -> tuple[AssetSelection, ...]:
    operands: list[AssetSelection] = []
    for sel in selections:
        operands.extend(sel.operands if isinstance(sel, cls) else (sel,))  # type: ignore[attr-defined]
    return tuple(operands)


def _require_selection(other: Any, op: str) -> None:
    if not isinstance(other, AssetSelection):
        raise SelectionError(
            f"Cannot combine an AssetSelection with {other!r} using '{op}': both sides must "
            "be AssetSelections (use AssetSelection.assets(...) or .from_string(...))."
        )


def _wrap(selection: AssetSelection, min_level: int) -> str:
    text, level = selection._render()
    return text if level >= min_level else f"({text})"


def _render_traversal(
    child: AssetSelection, depth: int | None, include_self: bool, *, up: bool
) -> tuple[str, int]:
    operand = _wrap(child, _ATOM)
    if up:
        base, level = f"{'' if depth is None else depth}+{operand}", _TRAVERSAL
    else:
        base, level = f"{operand}+{'' if depth is None else depth}", _TRAVERSAL
    if include_self:
        return base, level
    return f"{base if level >= _AND else f'({base})'} and not {_wrap(child, _NOT)}", _AND
