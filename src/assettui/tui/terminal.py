"""What the terminal can show: its colours (a 16-colour ``TERM=xterm`` gets the ANSI theme,
so the accent is the terminal's own colour rather than truecolor orange rounded to bright
red) and its characters (``LANG=C``: an ASCII rendering of every glyph and box line)."""

from __future__ import annotations

import os
from collections.abc import Mapping

from rich.segment import Segment
from textual.color import Color
from textual.filter import LineFilter

ASCII_ENV = "ASSETTUI_ASCII"  # 1: ASCII only; 0: Unicode whatever the locale says
SIXTEEN_COLOUR_THEME = "ansi-dark"

_ASCII: dict[int, str] = {}
for chars, ascii_char in (
    ("─━═┄┈╌—\u2013", "-"),
    ("│┃║┆┊╎▏▕▎▍▌▋▊▉", "|"),
    ("╭╮╰╯┌┐└┘┏┓┗┛├┤┬┴┼┣┫┳┻╋╔╗╚╝╠╣╦╩╬", "+"),
    ("●•◉", "*"),
    ("○◯", "o"),
    ("◐◑◒◓", "%"),
    ("✖✘✗", "x"),
    ("✔✓", "v"),
    ("▶►▸⏵", ">"),
    ("◀◄", "<"),
    ("◷", "q"),
    ("◇◆", "#"),
    ("⊘", "/"),
    ("↻", "@"),
    ("⚠", "!"),
    ("⏸", "="),
    ("·", "."),
    ("…", "~"),
    ("→", ">"),
    ("←", "<"),
    ("█▓", "#"),
    ("▒", "="),
    ("░", ":"),
    ("▁▂▃", "_"),
    ("▄▅", "="),
    ("▆▇", "#"),
    ("⏎", "<"),
):
    for char in chars:
        _ASCII[ord(char)] = ascii_char


def wants_ascii(environ: Mapping[str, str] | None = None) -> bool:
    """Whether to draw ASCII only: ``ASSETTUI_ASCII``, else a C/POSIX or non-UTF-8 locale
    (``LC_ALL``, then ``LC_CTYPE``, then ``LANG``; none set: Unicode)."""
    env = os.environ if environ is None else environ
    forced = env.get(ASCII_ENV)
    if forced in ("0", "1"):
        return forced == "1"
    ctype, lang = env.get("LC_CTYPE"), env.get("LANG")
    if ctype == "C.UTF-8" and (lang or "C") in ("C", "POSIX"):
        ctype = None  # Python's own coercion of the C locale (PEP 538), not the terminal's
    locale = env.get("LC_ALL") or ctype or lang or ""
    if not locale:
        return False
    return "utf-8" not in locale.lower() and "utf8" not in locale.lower()


def sixteen_colours(environ: Mapping[str, str] | None = None) -> bool:
    """Whether the terminal announces only 16 colours (``TERM=xterm``, no ``COLORTERM``)."""
    env = os.environ if environ is None else environ
    if env.get("COLORTERM", "").lower() in ("truecolor", "24bit"):
        return False
    if env.get("TEXTUAL_COLOR_SYSTEM"):
        return env["TEXTUAL_COLOR_SYSTEM"] == "standard"
    term = env.get("TERM", "")
    return bool(term) and "256" not in term and "direct" not in term and term != "dumb"


def to_ascii(text: str) -> str:
    """``text`` with every non-ASCII character drawn as ASCII (unknown ones as ``?``)."""
    if text.isascii():
        return text
    return "".join(char if ord(char) < 128 else _ASCII.get(ord(char), "?") for char in text)


class AsciiFilter(LineFilter):
    """A Textual line filter: every character on screen as ASCII (``LANG=C``)."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        return [Segment(to_ascii(text), style, control) for text, style, control in segments]
