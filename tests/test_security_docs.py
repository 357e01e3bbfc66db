"""The settings docs/security.md and README's security section name, with the defaults they give."""

from __future__ import annotations

import re

import pytest
from scrapy.settings import Settings

from crawler.runner import SETTINGS_MODULE
from tests.helpers import ROOT

# `NAME` (default 4,096) / `NAME` (20 MiB) in a table, `NAME`, 3) in running text.
DEFAULT_GIVEN = re.compile(r"`([A-Z][A-Z_]+)`(?: \((?:default )?|, )(\d[\d,]*(?: MiB)?)\b")
PAGES = ("docs/security.md", "README.md")
BOUND_SETTINGS = (
    "DISCOVERY_MAX_DEPTH",
    "DISCOVERY_MAX_DOCUMENTS",
    "DISCOVERY_MAX_LINKS",
    "URLLENGTH_LIMIT",
    "DOWNLOAD_MAXSIZE",
)


def security_text(page: str) -> str:
    text = (ROOT / page).read_text(encoding="utf-8")
    if page != "README.md":
        return text
    start = text.index("### Security")
    return text[start : text.index("\n### ", start + 1)]


def defaults_given(page: str) -> list[tuple[str, int]]:
    found = []
    for name, value in DEFAULT_GIVEN.findall(security_text(page)):
        number = int(value.removesuffix(" MiB").replace(",", ""))
        found.append((name, number * 1024 * 1024 if value.endswith("MiB") else number))
    return found


@pytest.mark.parametrize("page", PAGES)
def test_each_bound_the_page_gives_is_the_settings_default(page):
    settings = Settings()
    settings.setmodule(SETTINGS_MODULE)
    given = defaults_given(page)
    assert {name for name, _ in given} >= set(BOUND_SETTINGS)
    for name, value in given:
        assert settings.getint(name) == value, (page, name)
    assert settings.getbool("NETWORK_ALLOW_LOOPBACK") is False
