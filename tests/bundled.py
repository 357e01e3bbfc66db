"""What the bundled demo snapshot holds, read from its manifest and the fixtures' reviewed output.

The demo's tests derive every outlet, count and expectation from these and a registry, so
adding an outlet (docs/adding-an-outlet.md) or removing one never means editing them.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from crawler.cli import DEMO_MANIFEST
from crawler.registry import Registry


@dataclass(frozen=True)
class DemoPage:
    """A page of the bundled snapshot that is a stored fixture page of a registry outlet."""

    outlet: str
    url: str
    fetched_at: datetime
    # The fixture's reviewed extraction: {"article": {...}} or {"not_article": reason}.
    expected: dict[str, Any]

    @property
    def article(self) -> dict[str, Any] | None:
        return self.expected.get("article")


def demo_responses(manifest: Path = DEMO_MANIFEST) -> list[dict[str, Any]]:
    return tomllib.loads(manifest.read_text(encoding="utf-8"))["response"]


def demo_pages(registry: Registry, manifest: Path = DEMO_MANIFEST) -> list[DemoPage]:
    """The snapshot's fixture pages of `registry`'s outlets (of outlets it lacks, none)."""
    pages = []
    for response in demo_responses(manifest):
        outlet = registry.for_url(response["url"])
        if outlet is None or "file" not in response:
            continue
        page = (manifest.parent / response["file"]).resolve()
        record = json.loads(page.with_name(page.name.removesuffix(".html.gz") + ".json").read_text("utf-8"))
        fetched_at = response["fetched_at"]
        if fetched_at.tzinfo is None:
            fetched_at = fetched_at.replace(tzinfo=UTC)
        pages.append(DemoPage(outlet.slug, response["url"], fetched_at, record["expected"]))
    return pages


def outlets_without_demo_pages(registry: Registry, manifest: Path = DEMO_MANIFEST) -> list[str]:
    """The registry's outlets that no response of the snapshot comes from (added since it was built)."""
    hosts = {urlsplit(response["url"]).hostname or "" for response in demo_responses(manifest)}
    return [outlet.slug for outlet in registry if not any(outlet.owns_host(host) for host in hosts)]
