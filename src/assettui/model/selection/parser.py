"""Dagster's asset selection syntax: a tokenizer and a recursive-descent parser.

``AssetSelection.from_string`` calls :func:`parse_selection`. The grammar is Dagster's
(``AssetSelection.g4``, Dagster 1.10+), loosest binding first::

    expr       := and_expr (("or" | "OR") and_expr)*
    and_expr   := not_expr (("and" | "AND") not_expr)*
    not_expr   := ("not" | "NOT") not_expr  |  "*"  |  traversal
    traversal  := [DIGITS? "+"] atom ["+" DIGITS?]
    atom       := attribute  |  ("roots" | "sinks") "(" expr ")"  |  "(" expr ")"
    attribute  := "key:" keyvalue  |  "tag:" value ["=" value]  |  "group:" value
                | "kind:" value  |  "owner:" value
    keyvalue   := QUOTED | WORD                  -- "*" in it matches any characters
    value      := QUOTED | WORD | "<null>"
    QUOTED     := '"' (any character but '"', '\\', CR, LF)* '"'
    WORD       := [a-zA-Z_*][a-zA-Z0-9_*/]*      -- so "my-asset" must be quoted
    DIGITS     := [0-9]+

Meaning:

- ``key:"raw/orders"`` is the asset with that user string; ``key:"raw/*"`` matches keys by
  wildcard (external assets included; an unknown key selects nothing, it does not raise).
- ``group:``, ``tag:``, ``kind:`` select materializable assets (``include_sources=True``
  adds external ones); ``owner:`` selects any asset. ``tag:"k"`` matches a key-only tag
  (value ``""``), as in Dagster; ``tag:"k"="v"`` an exact value.
- ``+x`` is ``x`` and **all** its upstream layers; ``2+x`` two layers. ``x+`` / ``x+1``
  likewise downstream; ``+x+`` both. ``+`` applies to an atom only: ``+(a or b)``.
- ``*`` is every materializable asset; ``not x`` is ``*`` minus ``x``.
- ``roots(x)`` / ``sinks(x)``: the assets of ``x`` with no selected ancestor / descendant.
- Words ``and or not key tag ...`` are keywords only where the grammar expects them.
- Dagster's other attributes (``status:``, ``column:``, ``code_location:``, ``job:``, ...)
  need a UI or an instance; they raise a :class:`SelectionError` saying so.

When a string does not parse, Dagster falls back to its older clause syntax, and so do we:
``name`` (one asset by key, ``a/b`` for a multi-part key; unknown keys raise when resolved),
``*name`` / ``name*`` (all upstream / downstream), ``+name`` / ``++name+`` (one or two layers
per ``+``), and ``tag:k=v`` with characters the new syntax does not allow unquoted. As an
extension (Dagster's CLI ``--select`` style), items separated by commas are unioned:
``"orders, +revenue"``.

A string that parses in no form raises :class:`SelectionError` with the string and a caret
under the offending column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from assettui.errors import SelectionError

if TYPE_CHECKING:
    from assettui.model.selection.asset_selection import (
        AssetSelection,
        KeyWildCardAssetSelection,
    )


class SelectionKinds(NamedTuple):
    """The selection classes the parser builds (given by ``AssetSelection.from_string``, so
    that this module needs no import of the module that imports it)."""

    selection: type[AssetSelection]
    key_wildcard: type[KeyWildCardAssetSelection]


SUPPORTED_ATTRIBUTES = ("key", "tag", "group", "kind", "owner")
# Dagster attributes that need the UI, an instance or other definitions to resolve.
UNSUPPORTED_ATTRIBUTES = {
    "status": "materialization status lives in the instance, not in the asset graph",
    "is": "it is a Dagster+ filter",
    "column": "it needs column lineage metadata (Dagster+ only)",
    "column_tag": "it needs column metadata (Dagster+ only)",
    "table_name": "it needs table metadata (Dagster+ only)",
    "changed_in_branch": "it needs Dagster+ branch deployments",
    "code_location": "an assettui project is a single code location",
    "partitions": "it needs the instance's partition status",
    "automation_type": "it needs the automation state",
    "sensor": "it needs the sensors of Definitions",
    "schedule": "it needs the schedules of Definitions",
    "job": "it needs the jobs of Definitions",
    "not_materialized_in_hours": "materialization times live in the instance",
}
_FUNCTIONS = ("roots", "sinks")

_TOKEN_RE = re.compile(
    r"""
    (?P<WS>\s+)
  | (?P<QUOTED>"[^"\\\r\n]*")
  | (?P<NULL><null>)
  | (?P<DIGITS>[0-9]+)
  | (?P<WORD>[a-zA-Z_][a-zA-Z0-9_*/]*|\*[a-zA-Z0-9_*/]+)
  | (?P<STAR>\*)
  | (?P<PLUS>\+)
  | (?P<COLON>:)
  | (?P<LPAREN>\()
  | (?P<RPAREN>\))
  | (?P<EQUAL>=)
    """,
    re.VERBOSE,
)
# Dagster's older clause syntax (``*name+``), as its ``parse_clause`` reads it.
_LEGACY_RE = re.compile(r"^(\*?\+*)?([./\w\[\]?-]+)(\+*\*?)?$")


@dataclass(frozen=True, slots=True)
class Token:
    """One token: its kind (``WORD``, ``PLUS``, ...), its text and its offset in the string."""

    kind: str
    text: str
    pos: int


class _Problem(Exception):
    """A problem at offset ``pos``: a one-line headline and a sentence on what to write."""

    def __init__(self, headline: str, pos: int, detail: str = ""):
        super().__init__(headline)
        self.headline = headline
        self.pos = pos
        self.detail = detail


class _ParseFailure(_Problem):
    """The string is not in the new syntax (the older syntax may still read it)."""


class _Unsupported(_Problem):
    """A Dagster attribute assettui cannot resolve; no fallback applies."""


def parse_selection(
    text: str, kinds: SelectionKinds, include_sources: bool = False
) -> AssetSelection:
    """Parse a selection string into an ``AssetSelection`` (see the module docstring).

    Raises:
        SelectionError: if the string is malformed, with a caret under the problem.
    """
    if not isinstance(text, str):
        raise SelectionError(f"A selection string must be a str; got {type(text).__name__}.")
    if not text.strip():
        empty = _ParseFailure("Empty selection", 0, "Write '*' to select every asset.")
        raise SelectionError(format_error(text, empty))
    try:
        return _parse_list(text, kinds, include_sources)
    except RecursionError:
        raise SelectionError(
            f"The selection is nested too deeply to parse ({len(text)} characters); "
            "use fewer parentheses or 'not's."
        ) from None
    except _Problem as problem:
        raise SelectionError(format_error(text, problem)) from None


def _parse_list(text: str, kinds: SelectionKinds, include_sources: bool) -> AssetSelection:
    """One item, or (when that fails) a comma-separated list of items."""
    try:
        return _parse_item(text, kinds, include_sources)
    except _ParseFailure:
        items = _split_commas(text)
        if len(items) == 1:
            raise
    union: AssetSelection | None = None
    for start, item in items:
        if not item.strip():
            raise _ParseFailure("Empty item", start, "Remove the extra comma.")
        try:
            selection = _parse_item(item, kinds, include_sources)
        except _Problem as problem:
            problem.pos += start
            raise
        union = selection if union is None else union | selection
    assert union is not None
    return union


def format_error(text: str, problem: _Problem) -> str:
    """The problem's headline and column, the string with a caret under it, and the detail."""
    shown = re.sub(r"\s", " ", text)  # one column per character, so the caret lines up
    message = f"{problem.headline} at column {problem.pos + 1}:\n  {shown}\n  {' ' * problem.pos}^"
    return f"{message}\n{problem.detail}" if problem.detail else message


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text``, ending with an ``EOF`` token.

    Raises:
        _ParseFailure: at a character no token starts with.
    """
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN_RE.match(text, pos)
        if match is None:
            raise _bad_character(text, pos)
        kind = match.lastgroup or ""
        if kind != "WS":
            tokens.append(Token(kind, match.group(), pos))
        pos = match.end()
    tokens.append(Token("EOF", "", len(text)))
    return tokens


def parse_legacy_clause(text: str, kinds: SelectionKinds) -> AssetSelection | None:
    """Dagster's older ``*name+`` clause, or None if ``text`` is not one."""
    match = _LEGACY_RE.match(text.strip())
    if match is None:
        return None
    up, name, down = match.group(1) or "", match.group(2), match.group(3) or ""
    selection = kinds.selection.assets(name)
    # "*" means every layer (depth None); each "+" one layer; nothing means no traversal.
    up_depth = None if "*" in up else len(up)
    down_depth = None if "*" in down else len(down)
    if up and down:
        return selection.upstream(up_depth) | selection.downstream(down_depth)
    if up:
        return selection.upstream(up_depth)
    if down:
        return selection.downstream(down_depth)
    return selection


# ---- internals ---------------------------------------------------------------------------


def _parse_item(text: str, kinds: SelectionKinds, include_sources: bool) -> AssetSelection:
    """One string (no comma list): the new syntax, else Dagster's fallbacks."""
    try:
        return _Parser(tokenize(text), kinds, include_sources).parse()
    except _ParseFailure:
        legacy = parse_legacy_clause(text, kinds)
        if legacy is not None:
            return legacy
        # Dagster reads a failed "tag:..." string as "tag:key=value" verbatim; we do so only
        # for one word, so that a malformed expression still gets a pointed error.
        if text.startswith("tag:") and not re.search(r"[\s()\"]", text):
            return kinds.selection.tag_string(text[len("tag:") :])
        raise


def _split_commas(text: str) -> list[tuple[int, str]]:
    """``text`` split at commas outside quotes, each piece with its offset."""
    items: list[tuple[int, str]] = []
    start, quoted = 0, False
    for i, ch in enumerate(text):
        if ch == '"':
            quoted = not quoted
        elif ch == "," and not quoted:
            items.append((start, text[start:i]))
            start = i + 1
    items.append((start, text[start:]))
    return items


def _bad_character(text: str, pos: int) -> _ParseFailure:
    if text[pos] == '"':
        return _ParseFailure(
            "Unterminated string",
            pos,
            "Close the '\"' on the same line; backslashes are not allowed inside quotes.",
        )
    return _ParseFailure(
        f"Unexpected character {text[pos]!r}",
        pos,
        'Quote values that contain it, as in key:"my-asset".',
    )


def _describe(token: Token) -> str:
    return "end of selection" if token.kind == "EOF" else repr(token.text)


_ATOM_HINT = (
    "Expected an attribute (key:, group:, tag:, kind:, owner:), roots(...), sinks(...), '(' or '*'."
)
_ATTRIBUTE_HINT = "Select by " + ", ".join(f"{a}:" for a in SUPPORTED_ATTRIBUTES) + "."


class _Parser:
    """Recursive descent over the token list, one method per grammar rule."""

    def __init__(self, tokens: list[Token], kinds: SelectionKinds, include_sources: bool):
        self.tokens = tokens
        self.kinds = kinds
        self.i = 0
        self.include_sources = include_sources

    @property
    def cur(self) -> Token:
        return self.tokens[self.i]

    def peek(self, offset: int = 1) -> Token:
        return self.tokens[min(self.i + offset, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def at_word(self, *words: str) -> bool:
        return self.cur.kind == "WORD" and self.cur.text in words

    def parse(self) -> AssetSelection:
        selection = self.parse_or()
        if self.cur.kind != "EOF":
            raise self.unexpected_after_expression()
        return selection

    def unexpected_after_expression(self) -> _ParseFailure:
        token = self.cur
        if token.kind == "RPAREN":
            return _ParseFailure("Unexpected ')'", token.pos, "No '(' is open here.")
        if token.kind == "PLUS":
            return _ParseFailure(
                "Unexpected '+'",
                token.pos,
                "'+' goes once on each side of an attribute, a function call or a "
                'parenthesized expression, as in +(key:"a" or key:"b")+.',
            )
        return _ParseFailure(
            f"Unexpected {_describe(token)}",
            token.pos,
            "Expected 'and', 'or' or the end of the selection.",
        )

    def parse_or(self) -> AssetSelection:
        left = self.parse_and()
        while self.at_word("or", "OR"):
            self.advance()
            left = left | self.parse_and()
        return left

    def parse_and(self) -> AssetSelection:
        left = self.parse_not()
        while self.at_word("and", "AND"):
            self.advance()
            left = left & self.parse_not()
        return left

    def parse_not(self) -> AssetSelection:
        if self.at_word("not", "NOT"):
            self.advance()
            return self.kinds.selection.all(include_sources=self.include_sources) - self.parse_not()
        if self.cur.kind == "STAR":
            self.advance()
            return self.kinds.selection.all(include_sources=self.include_sources)
        return self.parse_traversal()

    def parse_traversal(self) -> AssetSelection:
        up, up_depth = False, None
        if self.cur.kind == "DIGITS" and self.peek().kind == "PLUS":
            up_depth = int(self.advance().text)
            self.advance()
            up = True
        elif self.cur.kind == "PLUS":
            self.advance()
            up = True
        selection = self.parse_atom()
        down, down_depth = False, None
        if self.cur.kind == "PLUS":
            self.advance()
            down = True
            if self.cur.kind == "DIGITS":
                down_depth = int(self.advance().text)
        if up and down:
            return selection.upstream(depth=up_depth) | selection.downstream(depth=down_depth)
        if up:
            return selection.upstream(depth=up_depth)
        if down:
            return selection.downstream(depth=down_depth)
        return selection

    def parse_atom(self) -> AssetSelection:
        token = self.cur
        if self.at_word(*_FUNCTIONS) and self.peek().kind == "LPAREN":
            self.advance()
            inner = self.parse_parenthesized()
            return inner.roots() if token.text == "roots" else inner.sinks()
        if token.kind == "LPAREN":
            return self.parse_parenthesized()
        if token.kind == "WORD" and self.peek().kind == "COLON":
            return self.parse_attribute()
        if token.kind == "DIGITS":
            raise _ParseFailure(
                f"Unexpected {token.text!r}",
                token.pos,
                f"A depth must be followed by '+', as in {token.text}+key:\"name\".",
            )
        if token.kind == "WORD" and token.text.lower() not in ("and", "or", "not"):
            raise _ParseFailure(
                f"Unexpected {token.text!r}",
                token.pos,
                f'To select an asset by key, write key:"{token.text}".',
            )
        raise _ParseFailure(f"Unexpected {_describe(token)}", token.pos, _ATOM_HINT)

    def parse_parenthesized(self) -> AssetSelection:
        opening = self.advance()
        inner = self.parse_or()
        if self.cur.kind != "RPAREN":
            column = opening.pos + 1
            if self.cur.kind == "EOF":
                raise _ParseFailure(
                    "Missing ')'", self.cur.pos, f"The '(' at column {column} is never closed."
                )
            raise _ParseFailure(
                f"Unexpected {_describe(self.cur)}",
                self.cur.pos,
                f"Expected 'and', 'or' or ')' to close the '(' at column {column}.",
            )
        self.advance()
        return inner

    def parse_attribute(self) -> AssetSelection:
        kinds = self.kinds

        name_token = self.advance()
        name = name_token.text
        self.advance()  # the colon
        if name in UNSUPPORTED_ATTRIBUTES:
            raise _Unsupported(
                f"Unsupported attribute '{name}:'",
                name_token.pos,
                f"assettui cannot resolve it: {UNSUPPORTED_ATTRIBUTES[name]}. {_ATTRIBUTE_HINT}",
            )
        if name not in SUPPORTED_ATTRIBUTES:
            raise _ParseFailure(f"Unknown attribute '{name}:'", name_token.pos, _ATTRIBUTE_HINT)
        if name == "key":
            token = self.cur
            if token.kind == "QUOTED":
                self.advance()
                return kinds.key_wildcard(selected_key_wildcard=token.text[1:-1])
            if token.kind == "WORD":
                self.advance()
                return kinds.key_wildcard(selected_key_wildcard=token.text)
            raise _ParseFailure(
                f"Unexpected {_describe(token)}",
                token.pos,
                'Expected an asset key after \'key:\', as in key:"raw/orders" or key:"stg_*".',
            )
        value = self.read_value(f"'{name}:'")
        if name == "tag":
            tag_value = None
            if self.cur.kind == "EQUAL":
                self.advance()
                tag_value = self.read_value("'='")
            return kinds.selection.tag(value, tag_value or "", include_sources=self.include_sources)  # type: ignore[arg-type]
        if name == "group":
            groups = () if value is None else (value,)
            return kinds.selection.groups(*groups, include_sources=self.include_sources)
        if name == "kind":
            return kinds.selection.kind(value, include_sources=self.include_sources)
        return kinds.selection.owner(value)

    def read_value(self, after: str) -> str | None:
        token = self.cur
        if token.kind == "QUOTED":
            self.advance()
            return token.text[1:-1]
        if token.kind == "WORD":
            self.advance()
            return token.text
        if token.kind == "NULL":
            self.advance()
            return None
        raise _ParseFailure(
            f"Unexpected {_describe(token)}",
            token.pos,
            f'Expected a value after {after}: a word or a "quoted string".',
        )
