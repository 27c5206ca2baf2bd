"""Write synthetic asset projects for the benchmarks, as assettui code and as Dagster code.

The two variants of a project differ only in their import line (``import assettui as dg``
versus ``import dagster as dg``), so any difference in a measurement is the tool's, not the
code's. Three shapes:

- ``chain``: ``a1 -> a2 -> ... -> aN`` (deep and narrow);
- ``fan``: one root -> N-2 middles -> one sink (fan-out, then fan-in);
- ``layered``: layers of a fixed width, each asset depending on 2-3 assets of the layer
  before, chosen with a seeded random generator (so every run writes the same file).

Each asset is a trivial ``@dg.asset`` returning a small int computed from its inputs; the
assets are spread over about ten groups, and the file ends with
``defs = dg.Definitions(assets=[...])``.

Run ``python -m benchmarks.generate --shape layered --size 1000 --out DIR`` to write one.
"""

from __future__ import annotations

import argparse
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

SHAPES = ("chain", "fan", "layered")
SIZES = (50, 200, 500, 1_000, 5_000)
TOOLS = ("assettui", "dagster")
GROUP_COUNT = 10
DEFAULT_SEED = 2024
DEFINITIONS_FILE = "definitions.py"

IMPORT_LINES = {"assettui": "import assettui as dg", "dagster": "import dagster as dg"}


@dataclass(frozen=True)
class AssetNode:
    """One generated asset: its name, group and upstream asset names (its parameters)."""

    name: str
    group: str
    inputs: tuple[str, ...]


@dataclass(frozen=True)
class ProjectShape:
    """A generated DAG, before it is written as code.

    Attributes:
        shape: ``chain``, ``fan`` or ``layered``.
        assets: the assets in topological order.
    """

    shape: str
    assets: tuple[AssetNode, ...]

    @property
    def asset_count(self) -> int:
        return len(self.assets)

    @property
    def edge_count(self) -> int:
        return sum(len(a.inputs) for a in self.assets)

    @property
    def groups(self) -> frozenset[str]:
        return frozenset(a.group for a in self.assets)


@dataclass(frozen=True)
class GeneratedProject:
    """A project written to disk: where its definitions file is and what it holds."""

    shape: ProjectShape
    tool: str
    path: Path

    @property
    def root(self) -> Path:
        return self.path.parent


def _names(size: int) -> list[str]:
    width = len(str(size))
    return [f"a{i:0{width}d}" for i in range(1, size + 1)]


def _group(index: int, size: int) -> str:
    # contiguous blocks of the topological order, so groups look like pipeline stages
    return f"group_{index * GROUP_COUNT // size:02d}"


def _chain_inputs(names: Sequence[str], rng: random.Random) -> list[tuple[str, ...]]:
    return [()] + [(names[i - 1],) for i in range(1, len(names))]


def _fan_inputs(names: Sequence[str], rng: random.Random) -> list[tuple[str, ...]]:
    if len(names) < 3:
        raise ValueError("A fan project needs at least 3 assets (root, middles, sink).")
    root, middles = names[0], names[1:-1]
    return [(), *[(root,) for _ in middles], tuple(middles)]


def layer_width(size: int) -> int:
    """The width of a ``layered`` project's layers: about sqrt(size), at least 3."""
    return max(3, math.isqrt(size - 1) + 1)


def _layered_inputs(names: Sequence[str], rng: random.Random) -> list[tuple[str, ...]]:
    width = layer_width(len(names))
    inputs: list[tuple[str, ...]] = []
    for i in range(len(names)):
        layer = i // width
        if layer == 0:
            inputs.append(())
            continue
        previous = names[(layer - 1) * width : layer * width]
        count = min(len(previous), rng.choice((2, 3)))
        chosen = sorted(rng.sample(range(len(previous)), count))
        inputs.append(tuple(previous[j] for j in chosen))
    return inputs


_BUILDERS = {"chain": _chain_inputs, "fan": _fan_inputs, "layered": _layered_inputs}


def build_shape(shape: str, size: int, seed: int = DEFAULT_SEED) -> ProjectShape:
    """The DAG of a ``shape`` project with ``size`` assets (deterministic for a seed).

    Raises:
        ValueError: for an unknown shape or a size the shape cannot have.
    """
    if shape not in _BUILDERS:
        raise ValueError(f"Unknown shape {shape!r}; choose one of {', '.join(SHAPES)}.")
    if size < 1:
        raise ValueError(f"A project needs at least one asset, not {size}.")
    names = _names(size)
    inputs = _BUILDERS[shape](names, random.Random(seed))
    assets = tuple(
        AssetNode(name, _group(i, size), ins)
        for i, (name, ins) in enumerate(zip(names, inputs, strict=True))
    )
    return ProjectShape(shape, assets)


def _asset_source(node: AssetNode) -> str:
    decorator = f'@dg.asset(group_name="{node.group}")'
    if not node.inputs:
        return f"{decorator}\ndef {node.name}():\n    return 1\n"
    if len(node.inputs) <= 3:
        params = ", ".join(node.inputs)
        return f"{decorator}\ndef {node.name}({params}):\n    return ({' + '.join(node.inputs)}) % 97 + 1\n"
    # a fan-in sink: one parameter per line keeps the file readable at 5,000 inputs
    params = "".join(f"    {name},\n" for name in node.inputs)
    values = "".join(f"        {name},\n" for name in node.inputs)
    return (
        f"{decorator}\ndef {node.name}(\n{params}):\n"
        f"    return sum(\n        (\n{values}        )\n    ) % 97 + 1\n"
    )


def render(project: ProjectShape, tool: str, seed: int = DEFAULT_SEED) -> str:
    """The definitions file of ``project`` for ``tool`` (``assettui`` or ``dagster``)."""
    if tool not in IMPORT_LINES:
        raise ValueError(f"Unknown tool {tool!r}; choose one of {', '.join(TOOLS)}.")
    header = (
        f'"""Synthetic benchmark project: {project.shape}, {project.asset_count} assets, '
        f"{project.edge_count} edges, seed {seed}.\n\n"
        'Generated by benchmarks/generate.py; do not edit."""\n\n'
    )
    body = "\n\n".join(_asset_source(a) for a in project.assets)
    listing = "".join(f"        {a.name},\n" for a in project.assets)
    footer = f"defs = dg.Definitions(\n    assets=[\n{listing}    ]\n)\n"
    return f"{header}{IMPORT_LINES[tool]}\n\n\n{body}\n\n{footer}"


def write_project(
    shape: str, size: int, tool: str, out_dir: Path, seed: int = DEFAULT_SEED
) -> GeneratedProject:
    """Write ``out_dir/definitions.py`` for one shape, size and tool.

    The file is rewritten only when its text changed, so Python's bytecode cache for it
    stays valid between benchmark runs.
    """
    project = build_shape(shape, size, seed)
    text = render(project, tool, seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / DEFINITIONS_FILE
    if not path.is_file() or path.read_text() != text:
        path.write_text(text)
    return GeneratedProject(project, tool, path)


def project_dir(workdir: Path, shape: str, size: int, tool: str) -> Path:
    """Where the harness keeps a generated project: ``workdir/<shape>_<size>/<tool>``."""
    return workdir / f"{shape}_{size}" / tool


def write_pair(
    shape: str, size: int, workdir: Path, seed: int = DEFAULT_SEED
) -> dict[str, GeneratedProject]:
    """Write both variants of a project under ``workdir``; returns them by tool."""
    return {
        tool: write_project(shape, size, tool, project_dir(workdir, shape, size, tool), seed)
        for tool in TOOLS
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shape", choices=SHAPES, required=True)
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--tool", choices=TOOLS, default="assettui")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", type=Path, required=True, help="directory for definitions.py")
    args = parser.parse_args(argv)
    made = write_project(args.shape, args.size, args.tool, args.out, args.seed)
    print(f"{made.path}: {made.shape.asset_count} assets, {made.shape.edge_count} edges")


if __name__ == "__main__":
    main()
