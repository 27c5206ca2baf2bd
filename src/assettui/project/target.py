"""Where a project is: a directory, a Python file, or a module name.

A directory names its module in ``pyproject.toml`` (``[tool.assettui] module = "pkg.defs"``;
Dagster's ``[tool.dagster] module_name`` and ``[tool.dg.project] root_module`` work too), or
holds a ``definitions.py``. The project's directory goes on ``sys.path`` so the definitions
file can import its sibling modules, as in Dagster's ``python_file`` code locations.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from assettui.errors import ProjectLoadError
from assettui.project.dg_config import read_dg_project

CANDIDATE_FILES = ("definitions.py", "defs.py", "repository.py")
HOME_ENV = "ASSETTUI_HOME"


@dataclass(frozen=True)
class ProjectTarget:
    """A project to load.

    Attributes:
        root: the project directory (put on ``sys.path``; the default home lives under it).
        module_name: the module to import (``pkg.definitions``), when loading by module.
        python_file: the file to import, when loading by file.
        attribute: the name of the Definitions attribute, if one was given.
    """

    root: Path
    module_name: str | None = None
    python_file: Path | None = None
    attribute: str | None = None

    @property
    def display_name(self) -> str:
        if self.python_file is not None:
            return str(
                self.python_file.relative_to(self.root) if self._inside() else self.python_file
            )
        return self.module_name or str(self.root)

    @property
    def project_name(self) -> str:
        return self.root.name

    def _inside(self) -> bool:
        try:
            self.python_file.relative_to(self.root)  # type: ignore[union-attr]
        except ValueError:
            return False
        return True

    def default_home(self) -> Path:
        return self.root / ".assettui"

    def source_dirs(self) -> list[Path]:
        """Directories whose ``.py`` files belong to the project (watched for reload)."""
        dirs = [self.root]
        src = self.root / "src"
        if src.is_dir():
            dirs.append(src)
        return dirs


def _pyproject(root: Path) -> dict:
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        return {}
    try:
        return tomllib.loads(pyproject.read_text())
    except (tomllib.TOMLDecodeError, OSError) as exc:
        raise ProjectLoadError(f"{pyproject} is not valid TOML: {exc}") from None


def storage_setting(root: Path) -> str | None:
    """The project's ``[tool.assettui] storage``: a storage URL, or ``{ env = "VAR" }``
    naming the environment variable that holds it (so a password is never in the file).

    Raises:
        ProjectLoadError: the setting is malformed or names an unset variable.
    """
    setting = _pyproject(root).get("tool", {}).get("assettui", {}).get("storage")
    if setting is None or isinstance(setting, str):
        return setting
    if isinstance(setting, dict) and set(setting) == {"env"}:
        value = os.environ.get(str(setting["env"]))
        if not value:
            raise ProjectLoadError(
                f"[tool.assettui] storage in {root / 'pyproject.toml'} reads the environment "
                f"variable {setting['env']}, which is not set. Set it to the storage URL."
            )
        return value
    raise ProjectLoadError(
        f"[tool.assettui] storage in {root / 'pyproject.toml'} must be a URL string or "
        '{ env = "VARIABLE" }.'
    )


def _module_from_pyproject(root: Path) -> tuple[str | None, str | None]:
    data = _pyproject(root)
    tool = data.get("tool", {})
    own = tool.get("assettui", {})
    if own.get("module"):
        return str(own["module"]), own.get("attribute")
    dagster = tool.get("dagster", {})
    if dagster.get("module_name"):
        return str(dagster["module_name"]), dagster.get("attribute")
    dg_project = read_dg_project(root)  # dg.toml or [tool.dg.project]
    if dg_project is not None:
        return dg_project.target_module, None
    return None, None


def find_project(
    path: str | os.PathLike[str] | None = None, module: str | None = None
) -> ProjectTarget:
    """Resolve a PROJECT argument (or ``-m module``) to a :class:`ProjectTarget`.

    Raises:
        ProjectLoadError: if the path does not exist or holds no project.
    """
    root = Path(path or ".").resolve()
    if module:
        base = root if root.is_dir() else root.parent
        return ProjectTarget(root=base, module_name=module)
    if not root.exists():
        raise ProjectLoadError(
            f"No project at {root}: the path does not exist. Pass a project directory, a "
            "definitions .py file, or -m module.name."
        )
    if root.is_file():
        if root.suffix != ".py":
            raise ProjectLoadError(f"{root} is not a Python file; pass a .py file or a directory.")
        return ProjectTarget(root=root.parent, python_file=root)
    module_name, attribute = _module_from_pyproject(root)
    if module_name:
        return ProjectTarget(root=root, module_name=module_name, attribute=attribute)
    for name in CANDIDATE_FILES:
        if (root / name).is_file():
            return ProjectTarget(root=root, python_file=root / name)
    raise ProjectLoadError(
        f"No assettui project in {root}: found neither a definitions.py nor a pyproject.toml "
        'with [tool.assettui] module = "your_package.definitions". Create one, or run '
        "`assettui init NAME` for a new project."
    )


def resolve_home(target: ProjectTarget | None, home: str | os.PathLike[str] | None = None) -> Path:
    """The instance folder: ``home`` if given, else ``$ASSETTUI_HOME``, else ``<project>/.assettui``."""
    if home:
        return Path(home).resolve()
    env = os.environ.get(HOME_ENV)
    if env:
        return Path(env).resolve()
    if target is None:
        return (Path.cwd() / ".assettui").resolve()
    return target.default_home()
