"""Dask for assettui (also resolved as ``dagster_dask``): ``dask_executor``. Needs the
``dask`` extra: ``pip install 'assettui[dask]'``."""

from assettui.integrations.dask import *  # noqa: F403  (the public names, listed there)
from assettui.integrations.dask import __all__ as __all__
