"""dbt for assettui (also resolved as ``dagster_dbt``). Needs dbt: ``pip install
'assettui[dbt]'``, or ``$ASSETTUI_DBT_EXECUTABLE`` pointing at a ``dbt`` of another
environment (dbt runs as a command; its manifest is read as JSON)."""

from assettui.integrations.dbt import *  # noqa: F403  (the public names, listed there)
from assettui.integrations.dbt import __all__ as __all__
