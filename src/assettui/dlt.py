"""dlt for assettui (also resolved as ``dagster_dlt``). Needs dlt: ``pip install 'assettui[dlt]'``."""

from assettui.integrations.dlt import *  # noqa: F403  (the public names, listed there)
from assettui.integrations.dlt import __all__ as __all__
