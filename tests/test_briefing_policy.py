"""Fetching what a briefing cites is safe: the network policy (crawler/network_policy.py) refuses
private addresses (written as IP literals, or reached by a redirect hop), URLs with credentials
and URLs over 4 KB, and `briefing add` reports each as `blocked`, with the policy's reason.

A synthetic site on loopback answers what may be fetched; loopback itself is allowed by the test
setting NETWORK_ALLOW_LOOPBACK, and refused without it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import run_sourcevault
from tests.loopback import LoopbackSite, outlet_toml

QUICK = ("-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "WAYBACK_ENABLED=False")
LONG_QUERY = "q=" + "x" * 4100


def briefing(base: str) -> str:
    return f"""SYNTHETIC TEST BRIEFING (made by tests/test_briefing_policy.py)

Sources That Must Not Be Fetched

Every URL below is made up for this test.

Sources:
1. Loopback news, November 1, 2026
{base}/news/a/1
2. Intranet, November 1, 2026
http://10.255.255.1/private
3. Loopback news, November 1, 2026
http://editor:secret@{base.removeprefix("http://")}/news/a/1
4. Loopback news, November 1, 2026
{base}/news/a/1?{LONG_QUERY}
5. Loopback news, November 1, 2026
{base}/r/1
6. Mapped, November 1, 2026
http://[::ffff:10.0.0.1]/x
"""


def report(database: Path) -> dict[int, dict]:
    result = run_sourcevault("briefing", "report", "latest", "--json", "--db", str(database))
    assert result.returncode == 0, result.stderr
    return {row["position"]: row for row in map(json.loads, result.stdout.splitlines())}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    site = LoopbackSite()
    with site.running():
        site.add_article("/news/a/1", "市府防災演習 動員兩千人")
        site.redirect("/r/1", "http://192.168.1.1/admin")
        folder = tmp_path_factory.mktemp("policy")
        (folder / "registry.toml").write_text(outlet_toml("news", site.base_url, feeds=["/news/feed.xml"]))
        (folder / "weekly.txt").write_text(briefing(site.base_url), encoding="utf-8")
        site.folder = folder  # type: ignore[attr-defined]
        yield site


def test_private_addresses_credentials_and_long_urls_are_blocked_with_a_reason(site):
    folder: Path = site.folder
    database = folder / "archive.db"
    result = run_sourcevault(
        *("briefing", "add", str(folder / "weekly.txt"), "--db", str(database)),
        *("--registry", str(folder / "registry.toml"), "-s", "NETWORK_ALLOW_LOOPBACK=True", *QUICK),
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    rows = report(database)
    assert {position: row["status"] for position, row in rows.items()} == {
        1: "archived",
        2: "blocked",
        3: "blocked",
        4: "blocked",
        5: "blocked",
        6: "blocked",
    }
    assert rows[2]["reason"] == "blocked: 10.255.255.1 is a private address"
    assert rows[3]["reason"] == "blocked: credentials in the URL (user name or password)"
    assert rows[4]["reason"].startswith("blocked: URL of 4,1") and "(URLLENGTH_LIMIT)" in rows[4]["reason"]
    assert rows[5]["reason"] == "blocked: 192.168.1.1 is a private address"
    assert rows[6]["reason"] == "blocked: ::ffff:a00:1 embeds 10.0.0.1, a private address"
    # The redirect hop is kept; the hop it led to was never sent.
    assert rows[5]["final_url"] == "http://192.168.1.1/admin"
    requested = {hit.path for hit in site.requests}
    assert "/r/1" in requested and not any(path.startswith("/news/a/1?") for path in requested)


def test_loopback_is_refused_unless_a_test_setting_allows_it(site):
    folder: Path = site.folder
    database = folder / "default.db"
    before = len(site.requests)
    result = run_sourcevault(
        *("briefing", "add", str(folder / "weekly.txt"), "--db", str(database)),
        *("--registry", str(folder / "registry.toml"), *QUICK),
    )
    assert result.returncode == 0, result.stderr
    rows = report(database)
    assert rows[1]["status"] == "blocked"
    assert rows[1]["reason"] == "blocked: 127.0.0.1 is a loopback address (NETWORK_ALLOW_LOOPBACK is off)"
    assert len(site.requests) == before
