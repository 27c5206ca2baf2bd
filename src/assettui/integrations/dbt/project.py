"""``DbtProject``: where a dbt project, its profiles and its manifest are; finding ``dbt``.

assettui runs dbt as a command (``dbt`` on the PATH, or ``$ASSETTUI_DBT_EXECUTABLE``), so dbt
may live in its own environment; the manifest is read as JSON.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from assettui.errors import DefinitionError

DBT_EXECUTABLE_ENV = "ASSETTUI_DBT_EXECUTABLE"


def dbt_executable(given: str | None = None) -> str:
    """The ``dbt`` command to run: ``given``, else ``$ASSETTUI_DBT_EXECUTABLE``, else ``dbt``
    on the PATH.

    Raises:
        DefinitionError: when no ``dbt`` can be found, saying how to install or point to it.
    """
    candidate = given or os.environ.get(DBT_EXECUTABLE_ENV) or "dbt"
    found = shutil.which(candidate) or (candidate if Path(candidate).is_file() else None)
    if found is None:
        raise DefinitionError(
            f"dbt is not installed here ({candidate!r} not found): `pip install 'assettui[dbt]'` "
            f"(dbt-core and dbt-duckdb), or set {DBT_EXECUTABLE_ENV} to a dbt executable."
        )
    return found


class DbtProject:
    """A dbt project (dagster-dbt's ``DbtProject``).

    Args:
        project_dir: the folder with ``dbt_project.yml``.
        target_path: where dbt writes its artifacts (default ``<project_dir>/target``).
        profiles_dir: the folder with ``profiles.yml`` (default: ``project_dir`` if it has one,
            else dbt's own default).
        profile / target: the dbt profile and target to use.
        packaged_project_dir: accepted for compatibility (a copy of the project in a package).
    """

    def __init__(
        self,
        project_dir: str | Path,
        *,
        target_path: str | Path | None = None,
        profiles_dir: str | Path | None = None,
        profile: str | None = None,
        target: str | None = None,
        packaged_project_dir: str | Path | None = None,
        state_path: str | Path | None = None,
    ):
        self.project_dir = Path(project_dir).resolve()
        if not (self.project_dir / "dbt_project.yml").is_file():
            raise DefinitionError(
                f"{self.project_dir} is not a dbt project: it has no dbt_project.yml."
            )
        self.target_path = Path(target_path) if target_path else self.project_dir / "target"
        if not self.target_path.is_absolute():
            self.target_path = self.project_dir / self.target_path
        if profiles_dir is None and (self.project_dir / "profiles.yml").is_file():
            profiles_dir = self.project_dir
        self.profiles_dir = Path(profiles_dir).resolve() if profiles_dir else None
        self.profile = profile
        self.target = target
        self.packaged_project_dir = Path(packaged_project_dir) if packaged_project_dir else None
        self.state_path = Path(state_path) if state_path else None

    @property
    def manifest_path(self) -> Path:
        return self.target_path / "manifest.json"

    def _stale(self) -> bool:
        if not self.manifest_path.is_file():
            return True
        built = self.manifest_path.stat().st_mtime
        for pattern in ("*.sql", "*.yml", "*.yaml", "*.csv"):
            for path in self.project_dir.rglob(pattern):
                if self.target_path in path.parents or "dbt_packages" in path.parts:
                    continue
                if path.stat().st_mtime > built:
                    return True
        return False

    def prepare_if_dev(self) -> None:
        """Write the manifest (``dbt parse``) when it is missing or older than the project's
        files, so a saved model shows in the graph on the next reload."""
        if self._stale():
            self.prepare()

    def prepare(self) -> None:
        """Run ``dbt parse`` to (re)write the manifest.

        Raises:
            DefinitionError: with dbt's own message when the project does not parse.
        """
        command = [dbt_executable(), "parse", "--project-dir", str(self.project_dir)]
        command += ["--target-path", str(self.target_path)]
        if self.profiles_dir:
            command += ["--profiles-dir", str(self.profiles_dir)]
        if self.profile:
            command += ["--profile", self.profile]
        if self.target:
            command += ["--target", self.target]
        done = subprocess.run(
            command, cwd=self.project_dir, capture_output=True, text=True, timeout=600
        )
        if done.returncode != 0:
            lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
            raise DefinitionError(
                f"dbt could not parse the project in {self.project_dir}:\n" + "\n".join(lines[-15:])
            )

    def __repr__(self) -> str:
        return f"DbtProject({str(self.project_dir)!r})"
