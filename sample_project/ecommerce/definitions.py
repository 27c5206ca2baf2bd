"""The sample project's Definitions."""

import assettui as dg
from ecommerce import clean, marts, raw

defs = dg.Definitions(assets=dg.load_assets_from_modules([raw, clean, marts]))
