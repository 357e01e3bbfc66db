"""The bounds docs/security.md and docs/security-robustness.md give are the ones the code has.

The pages' commands are run by tests/test_docs.py; here, the figures their text gives.
"""

from __future__ import annotations

import re

from scrapy.settings import Settings

from crawler.archive.reserve import RESERVE_BYTES
from crawler.date_span import FIRST_DAY, LAST_DAY
from crawler.pages.document import MAX_JSON_LD_DEPTH
from crawler.research.importing import MAX_RECORD_BYTES
from crawler.runner import SETTINGS_MODULE
from crawler.search.query import MAX_QUERY_CHARS, MAX_QUERY_TERMS, MAX_SINGLE_CHARACTER_TERMS
from crawler.search.results import SEARCH_TIME_LIMIT_SECONDS
from crawler.serve.plugin import DEFAULT_SEARCH_SECONDS
from tests.helpers import ROOT

# `NAME` (default 4,096) / `NAME` (20 MiB) in a table, `NAME`, 3) in running text.
DEFAULT_GIVEN = re.compile(r"`([A-Z][A-Z_]+)`(?: \((?:default )?|, )(\d[\d,]*(?: MiB)?)\b")
BOUND_SETTINGS = (
    "DISCOVERY_MAX_DEPTH",
    "DISCOVERY_MAX_DOCUMENTS",
    "DISCOVERY_MAX_LINKS",
    "URLLENGTH_LIMIT",
    "DOWNLOAD_MAXSIZE",
)
SECURITY = ROOT / "docs" / "security.md"
HOSTILE_INPUT = ROOT / "docs" / "security-robustness.md"


def defaults_given(text: str) -> list[tuple[str, int]]:
    found = []
    for name, value in DEFAULT_GIVEN.findall(text):
        number = int(value.removesuffix(" MiB").replace(",", ""))
        found.append((name, number * 1024 * 1024 if value.endswith("MiB") else number))
    return found


def test_each_bound_the_security_page_gives_is_the_settings_default():
    settings = Settings()
    settings.setmodule(SETTINGS_MODULE)
    given = defaults_given(SECURITY.read_text(encoding="utf-8"))
    assert {name for name, _ in given} >= set(BOUND_SETTINGS)
    for name, value in given:
        assert settings.getint(name) == value, name
    assert settings.getbool("NETWORK_ALLOW_LOOPBACK") is False


def test_each_bound_the_hostile_input_page_gives_is_the_codes():
    text = " ".join(HOSTILE_INPUT.read_text(encoding="utf-8").split())
    for phrase in (
        f"at most {MAX_QUERY_TERMS} different terms, at most {MAX_SINGLE_CHARACTER_TERMS} of them single",
        f"at most {MAX_QUERY_CHARS:,} characters long",
        f"`--time-limit` seconds (default {SEARCH_TIME_LIMIT_SECONDS:g})",
        f"its `--time-limit` (default {DEFAULT_SEARCH_SECONDS:g})",
        f"outside the years {FIRST_DAY.year} to {LAST_DAY.year}",
        f"deeper than {MAX_JSON_LD_DEPTH} levels",
        f"longer than {MAX_RECORD_BYTES:,} bytes",
        f"keeps {RESERVE_BYTES // (1 << 20)} MiB allocated",
    ):
        assert phrase in text, phrase
