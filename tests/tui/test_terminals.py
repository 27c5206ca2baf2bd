"""Terminals as users have them: 80x24, TERM=xterm (16 colours), LANG=C (ASCII)."""

from __future__ import annotations

from tests.tui.conftest import screen_text, wait_loaded

from assettui.tui.terminal import sixteen_colours, to_ascii, wants_ascii


def test_the_locale_decides_ascii_and_python_s_own_coercion_does_not_count():
    assert wants_ascii({"LANG": "C"})
    assert wants_ascii({"LANG": "C", "LC_CTYPE": "C.UTF-8"})  # PEP 538 coerced it
    assert wants_ascii({"LC_ALL": "POSIX", "LANG": "en_US.UTF-8"})
    assert not wants_ascii({"LANG": "en_US.UTF-8"})
    assert not wants_ascii({})
    assert wants_ascii({"LANG": "en_US.UTF-8", "ASSETTUI_ASCII": "1"})
    assert not wants_ascii({"LANG": "C", "ASSETTUI_ASCII": "0"})


def test_sixteen_colour_terminals_are_told_apart():
    assert sixteen_colours({"TERM": "xterm"})
    assert not sixteen_colours({"TERM": "xterm-256color"})
    assert not sixteen_colours({"TERM": "xterm", "COLORTERM": "truecolor"})
    assert not sixteen_colours({})


def test_every_glyph_has_an_ascii_form():
    drawn = "╭─●○◐✖✘✔▶◷◇⊘…━┃┏┻╋█▓▒░·→"
    assert to_ascii(drawn).isascii() and "?" not in to_ascii(drawn)
    assert len(to_ascii(drawn)) == len(drawn)  # one cell each: layouts keep their width


async def test_at_80x24_help_and_quit_stay_in_view_and_runs_stack_over_the_log(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_loaded(pilot, app)
        await pilot.press("r")
        await pilot.pause(0.3)
        text = screen_text(app)
        last = text.rstrip("\n").splitlines()[-1]
        assert "? help" in last and "q quit" in last
        area = app.query_one("#runs-area")
        assert area.has_class("-stacked")
        log, runs = app.query_one("#log-view"), app.query_one("#runs-pane")
        assert log.size.width > 70 and runs.size.width > 70  # each the full width
        assert log.region.y > runs.region.y
        await pilot.resize_terminal(160, 48)
        await pilot.pause(0.3)
        assert not area.has_class("-stacked")


async def test_lang_c_draws_ascii_only(make_app, monkeypatch):
    monkeypatch.setenv("LANG", "C")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_CTYPE", raising=False)
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_loaded(pilot, app)
        await pilot.press("r")
        await pilot.pause(0.3)
        text = screen_text(app)
        assert text.isascii(), sorted({c for c in text if not c.isascii()})
        assert "+---" in text and "raw_orders" in text


async def test_term_xterm_gets_the_terminal_s_own_colours(make_app, monkeypatch):
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.delenv("COLORTERM", raising=False)
    monkeypatch.delenv("TEXTUAL_COLOR_SYSTEM", raising=False)
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_loaded(pilot, app)
        await pilot.pause(0.3)
        assert app.theme == "ansi-dark"
        assert "raw_orders" in screen_text(app)  # drawn: the accent is a colour Rich knows
