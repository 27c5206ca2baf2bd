"""Dask for assettui: ``dask_executor`` runs each step of a run as a task on a Dask cluster
(also resolved as ``dagster_dask``). Needs the ``dask`` extra: ``pip install
'assettui[dask]'``."""

from assettui.integrations.dask.executor import DaskExecutor, dask_executor

__all__ = ["DaskExecutor", "dask_executor"]
