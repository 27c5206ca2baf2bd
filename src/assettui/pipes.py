"""Pipes for assettui: ``PipesSubprocessClient`` runs a script whose ``open_dagster_pipes()``
(the standalone ``dagster_pipes`` module assettui puts on its path) reports back."""

from assettui.integrations.pipes import *  # noqa: F403  (the public names, listed there)
from assettui.integrations.pipes import __all__ as __all__
