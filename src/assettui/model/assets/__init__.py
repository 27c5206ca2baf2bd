"""Assets: specs, definitions, decorators, checks; graph-backed assets register here."""

from assettui.model.assets import graph_backed as graph_backed
