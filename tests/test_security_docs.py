"""The settings docs/security.md names, with the defaults it gives."""

from __future__ import annotations

import re

from scrapy.settings import Settings

from crawler.runner import SETTINGS_MODULE
from tests.helpers import ROOT

# `NAME` (default 4,096) / `NAME` (20 MiB) in a table, `NAME`, 3) in running text.
DEFAULT_GIVEN = re.compile(r"`([A-Z][A-Z_]+)`(?: \((?:default )?|, )(\d[\d,]*(?: MiB)?)\b")
SECURITY_PAGE = ROOT / "docs" / "security.md"
BOUND_SETTINGS = (
    "DISCOVERY_MAX_DEPTH",
    "DISCOVERY_MAX_DOCUMENTS",
    "DISCOVERY_MAX_LINKS",
    "URLLENGTH_LIMIT",
    "DOWNLOAD_MAXSIZE",
)


def defaults_given() -> list[tuple[str, int]]:
    found = []
    for name, value in DEFAULT_GIVEN.findall(SECURITY_PAGE.read_text(encoding="utf-8")):
        number = int(value.removesuffix(" MiB").replace(",", ""))
        found.append((name, number * 1024 * 1024 if value.endswith("MiB") else number))
    return found


def test_each_bound_the_page_gives_is_the_settings_default():
    settings = Settings()
    settings.setmodule(SETTINGS_MODULE)
    given = defaults_given()
    assert {name for name, _ in given} >= set(BOUND_SETTINGS)
    for name, value in given:
        assert settings.getint(name) == value, name
    assert settings.getbool("NETWORK_ALLOW_LOOPBACK") is False
