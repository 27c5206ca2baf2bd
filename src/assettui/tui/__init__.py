"""The Textual app. Only this package imports Textual; import :mod:`assettui.tui.app` for the app."""
