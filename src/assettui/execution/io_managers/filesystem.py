"""The default IO manager: pickles under ``<home>/storage/<key path>``, a partition's under
``<home>/storage/<key path>/%partitions/<partition>``.

The layout is unambiguous: asset ``shelf/b`` and partition ``b`` of asset ``shelf`` never
share a file (before, both were ``shelf/b``). A key part starting with ``%`` is stored with
one more ``%``, and a partition's ``%`` and ``/`` are escaped (``%25``, ``%2F``). Values
stored in the earlier layout are still read when the new file does not exist.

Writes are atomic (a temporary file in the same folder, then ``os.replace``), so a run killed
mid-write leaves the previous good value in place. Keys or partitions that would resolve
outside the base folder are refused.
"""

from __future__ import annotations

import errno
import os
import pickle
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assettui.errors import ExecutionError
from assettui.execution.io_managers.base import (
    ConfigurableIOManager,
    InputContext,
    IOManager,
    IOManagerDefinition,
    OutputContext,
)
from assettui.model.asset_key import AssetKey
from assettui.model.config_schema import Field, StringSource
from assettui.model.metadata.values import MetadataValue
from assettui.storage.private import make_private_folder

STORAGE_DIR_NAME = "storage"


def _check_part(part: str, what: str, asset_key: AssetKey) -> None:
    if (
        not part
        or part in (".", "..")
        or "\0" in part
        or part.startswith(("/", "\\"))
        or ".." in Path(part).parts
    ):
        raise ExecutionError(
            f"Refusing to store asset {asset_key.to_user_string()!r}: its {what} {part!r} would "
            "write outside the storage folder. Use plain names without '..', '/' at the start "
            "or NUL characters."
        )


PARTITIONS_FOLDER = "%partitions"  # no key part is stored under this name (see above)


def _stored_key_part(part: str) -> str:
    return "%" + part if part.startswith("%") else part


def _stored_partition(partition: str) -> str:
    return partition.replace("%", "%25").replace("/", "%2F")


def safe_path(
    base: Path,
    asset_key: AssetKey,
    partition: str | None,
    suffix: str = "",
    *,
    legacy: bool = False,
) -> Path:
    """The file for ``asset_key`` (and ``partition``) under ``base``, refusing escapes.

    Args:
        legacy: the path of the layout before ``%partitions`` (read as a fallback).
    """
    for part in asset_key.path:
        _check_part(part, "key part", asset_key)
    if partition is not None:
        _check_part(partition, "partition key", asset_key)
    if legacy:
        parts = [*asset_key.path, *([partition] if partition is not None else [])]
    else:
        parts = [_stored_key_part(part) for part in asset_key.path]
        if partition is not None:
            parts += [PARTITIONS_FOLDER, _stored_partition(partition)]
    path = base.joinpath(*parts)
    if suffix:
        path = path.with_name(path.name + suffix)
    resolved_base = base.resolve()
    if not str(path.resolve()).startswith(str(resolved_base) + os.sep):
        raise ExecutionError(
            f"Refusing to store asset {asset_key.to_user_string()!r} at {path}: outside {base}."
        )
    return path


# Folders this process has already swept for abandoned temporary files (see atomic_write).
_swept: set[str] = set()


def atomic_write(path: Path, write: Any) -> None:
    """Call ``write(file)`` on a temporary file next to ``path``, then move it into place.

    The temporary file is named ``.<name>.<pid>.<random>.tmp``: a writer killed mid-write
    (SIGKILL, power loss) leaves it behind. The first successful write of a process into a
    folder removes the ones there whose process is gone; later writes skip the sweep, so a
    run writing thousands of values lists each folder once, not once per value.
    """
    folder = path.parent
    prefix = f".{path.name}.{os.getpid()}."
    try:
        fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=folder)
    except FileNotFoundError:  # the first value stored in this folder
        make_private_folder(folder)
        fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    if str(folder) not in _swept:
        _swept.add(str(folder))
        remove_abandoned_temporaries(folder)


def remove_abandoned_temporaries(folder: Path) -> list[Path]:
    """Delete the temporary files in ``folder`` whose writer process is gone."""
    removed: list[Path] = []
    try:
        entries = [e.name for e in os.scandir(folder)]
    except OSError:
        return removed
    for name in entries:
        if not (name.startswith(".") and name.endswith(".tmp")):
            continue
        parts = name[1:-4].rsplit(".", 2)  # <target name>.<pid>.<random>
        if len(parts) != 3 or not parts[1].isdigit() or _process_exists(int(parts[1])):
            continue
        leftover = folder / name
        try:
            leftover.unlink()
        except OSError:
            continue  # another writer cleaned it, or no permission: harmless either way
        removed.append(leftover)
    return removed


def _process_exists(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # alive, someone else's
    return True


def readable_path(base: Path, asset_key: AssetKey, partition: str | None, suffix: str = "") -> Path:
    """Where a stored value is read from: its file, or the earlier layout's if only that
    exists (values stored before the layout changed keep loading)."""
    path = safe_path(base, asset_key, partition, suffix)
    if path.exists():
        return path
    old = safe_path(base, asset_key, partition, suffix, legacy=True)
    return old if old != path and old.is_file() else path


def describe(asset_key: AssetKey, partition: str | None) -> str:
    name = f"asset {asset_key.to_user_string()!r}"
    return f"{name} partition {partition!r}" if partition is not None else name


_NO_SPACE = {errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}


def write_error_message(
    asset_key: AssetKey, partition: str | None, path: Path, exc: OSError
) -> str:
    """Why storing a value failed, and what to do, from the ``OSError`` of the write."""
    what = f"{describe(asset_key, partition)} to {path}"
    reason = exc.strerror or str(exc)
    if exc.errno in _NO_SPACE:
        return (
            f"No space left or file too large ({reason}) while writing {what}. Free disk "
            "space or raise the file size limit, then re-materialize it; the previous value "
            "was kept."
        )
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"Permission denied ({reason}) while writing {what}. Check the folder's permissions."
    if exc.errno in (errno.ENOTDIR, errno.EISDIR, errno.EEXIST):
        return (
            f"A file or folder is in the way ({reason}) while writing {what}; did the asset's "
            "partitioning change? Move the old stored value away and re-materialize it."
        )
    return f"Could not write {what}: {reason}. Check free disk space and permissions."


def load_partitions(context: InputContext, load_one: Any) -> Any:
    """One value, or a dict of partition -> value when the input spans several partitions."""
    keys: Sequence[str] = context.asset_partition_keys
    if len(keys) <= 1 and not context.metadata.get("allow_missing_partitions"):
        return load_one(keys[0] if keys else None)
    if context.metadata.get("allow_missing_partitions"):
        # Dagster's AssetIn(metadata={"allow_missing_partitions": True}): skip what is absent
        values = {}
        for key in keys:
            try:
                values[key] = load_one(key)
            except ExecutionError as exc:
                if "No stored" not in str(exc):
                    raise
        return values
    return {key: load_one(key) for key in keys}


class FilesystemIOManager(ConfigurableIOManager):
    """Pickle each asset value to a file under ``base_dir`` (default ``<home>/storage``).

    Args:
        base_dir: the folder; default: the instance's storage folder.
    """

    base_dir: str | None = None

    def _base(self) -> Path:
        if not self.base_dir:
            raise ExecutionError(
                "FilesystemIOManager has no base_dir; runs set it to <home>/storage."
            )
        return Path(self.base_dir)

    def handle_output(self, context: OutputContext, obj: Any) -> None:
        key, partition = _stored_as(context)
        path = safe_path(self._base(), key, partition)
        try:
            atomic_write(path, lambda f: pickle.dump(obj, f, protocol=pickle.HIGHEST_PROTOCOL))
        except OSError as exc:
            raise ExecutionError(write_error_message(key, partition, path, exc)) from exc
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            raise ExecutionError(
                f"The value of {describe(key, partition)} cannot be pickled "
                f"({exc}). Return a picklable value or use another IO manager."
            ) from exc
        context.add_output_metadata({"path": MetadataValue.path(path)})

    def load_input(self, context: InputContext) -> Any:
        base = self._base()
        key = context.storage_key

        def load_one(partition: str | None) -> Any:
            path = readable_path(base, key, partition)
            if not path.exists():
                raise ExecutionError(
                    f"No stored value for {describe(key, partition)} (looked in "
                    f"{path}). Materialize it first."
                )
            try:
                with path.open("rb") as handle:
                    return pickle.load(handle)
            except OSError as exc:
                raise ExecutionError(
                    f"Cannot read the stored value of {describe(key, partition)} "
                    f"at {path}: {exc.strerror or exc}. Re-materialize it (if the asset's "
                    "partitioning changed, move the old value away first)."
                ) from exc
            except Exception as exc:
                # A torn, truncated or foreign file can make unpickling raise almost anything
                # (UnpicklingError, EOFError, KeyError, MemoryError, ...): all mean "unreadable".
                raise ExecutionError(
                    f"The stored value of {describe(key, partition)} at {path} is "
                    f"corrupt or unreadable ({type(exc).__name__}: {exc}). Re-materialize it."
                ) from exc

        if context.asset_key is None:  # an op's output: one value, wherever the run's partition
            upstream = context.upstream_output
            return load_one(upstream.mapping_key if upstream is not None else None)
        return load_partitions(context, load_one)


def _stored_as(context: OutputContext) -> tuple[AssetKey, str | None]:
    """The key and partition a value is stored under: an op's output (no asset key) under
    its run, step and output names, with its mapping key as the last part."""
    if context.asset_key is None:
        return context.storage_key, context.mapping_key
    return context.asset_key, context.partition_key_value


class PickledObjectFilesystemIOManager(FilesystemIOManager):
    """Dagster's older name for :class:`FilesystemIOManager`."""


class InMemoryIOManager(IOManager):
    """Keeps values in a dict (``materialize_to_memory``; one process only)."""

    def __init__(self) -> None:
        self.values: dict[tuple[AssetKey, str | None], Any] = {}

    def handle_output(self, context: OutputContext, obj: Any) -> None:
        self.values[_stored_as(context)] = obj

    def load_input(self, context: InputContext) -> Any:
        key = context.storage_key

        def load_one(partition: str | None) -> Any:
            try:
                return self.values[(key, partition)]
            except KeyError:
                raise ExecutionError(
                    f"No value in memory for {describe(key, partition)}; "
                    "an in-memory IO manager only sees values of the same process."
                ) from None

        if context.asset_key is None:
            upstream = context.upstream_output
            return load_one(upstream.mapping_key if upstream is not None else None)
        return load_partitions(context, load_one)


def mem_io_manager_factory() -> InMemoryIOManager:
    return InMemoryIOManager()


class FsIOManagerDefinition(IOManagerDefinition):
    """Dagster's ``fs_io_manager``: pickles values under ``base_dir`` (default: the
    instance's storage folder)."""


fs_io_manager = FsIOManagerDefinition(
    lambda context: FilesystemIOManager(base_dir=(context.resource_config or {}).get("base_dir")),
    config_schema={"base_dir": Field(StringSource, is_required=False)},
    description="Values pickled to files under base_dir.",
)
mem_io_manager = IOManagerDefinition(
    lambda _context: InMemoryIOManager(), description="Values kept in memory (one process)."
)
