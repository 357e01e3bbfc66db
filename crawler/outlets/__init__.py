"""All of an outlet's Python, one module per outlet: `crawler/outlets/<slug>.py`.

An outlet is one registry entry (config/outlets.toml) and, only where configuration cannot say
it, one module here, which may define:

- `discovery_requests(spider, outlet)`: the outlet's discovery requests beyond its feeds,
  sitemaps, listings and JSON APIs (the spider calls it for every crawl of the outlet);
- `Page`: its page object, an `ArticlePage` (crawler/pages/article.py) overriding the fields
  its selectors cannot express;
- `Page<yyyymmdd>`: the page object of the `[[outlet.layouts]]` entry in force since that date,
  usually a subclass of `Page` overriding only what the layout changed.

Nothing else lives in this package, so no outlet's slug can name a library module.
"""

from __future__ import annotations

import importlib
from functools import cache
from types import ModuleType


@cache
def outlet_module(slug: str) -> ModuleType | None:
    """The module of outlet `slug`, or None when it has none."""
    name = f"{__name__}.{slug}"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name != name:
            raise
        return None
