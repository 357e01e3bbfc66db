"""A briefing's report in every format, and where a researcher reads it: the self-contained HTML
page opened in Debian's headless chromium, its links followed into `sourcevault serve`, and the
briefing's own page in Datasette.

The archive is the demo's (`sourcevault demo`: the bundled snapshot and its synthetic briefing).
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import test_serve

# Debian's chromium, as the Datasette tests drive it.
browser = test_serve.browser
DEMO_STATUSES = [
    "archived",
    "archived",
    "paywalled",
    "archived",
    "archived",
    "archived",
    "archived_from_web_archive",
    "not_an_article",
    "no_url",
]


@pytest.fixture(scope="module")
def demo(demo_run, tmp_path_factory) -> Path:
    # The demo ends with the briefing's report.
    assert demo_run.stdout.rstrip().splitlines()[-1] == (
        "archived: 5, archived_from_web_archive: 1, paywalled: 1, not_an_article: 1, no_url: 1"
    )
    return demo_run.copy_to(tmp_path_factory.mktemp("briefing-report"))


@pytest.fixture(scope="module")
def served(demo) -> Iterator[str]:
    process, base, _ = test_serve.start_serving(demo, dict(os.environ))
    yield base
    test_serve.stop_serving(process)


def test_json_and_csv_give_the_same_rows_in_the_briefing_order(cli, demo):
    as_json = [
        json.loads(line)
        for line in cli("briefing", "report", "latest", "--json", "--db", str(demo)).stdout.splitlines()
    ]
    as_csv = list(
        csv.DictReader(io.StringIO(cli("briefing", "report", "1", "--csv", "--db", str(demo)).stdout))
    )
    assert [row["status"] for row in as_json] == DEMO_STATUSES
    assert [row["position"] for row in as_json] == list(range(1, 10))
    assert [
        {name: "" if value is None else str(value) for name, value in row.items()} for row in as_json
    ] == as_csv
    copy = as_json[6]
    assert copy["web_archive_snapshot_at"] == "2024-05-06T09:35:12+00:00" and copy["date_agrees"] is True
    assert copy["title"] == "海巡署：福建外海實彈演習期間加強巡護"


def test_the_html_report_is_one_page_whose_links_open_the_archive(cli, demo, served, browser, tmp_path):
    page_file = tmp_path / "sources.html"
    result = cli(
        "briefing", "report", "1", "--html", str(page_file), "--serve-url", served, "--db", str(demo)
    )
    assert result.exit_code == 0 and result.output == f"wrote {page_file}: 9 citations\n"
    html = page_file.read_text(encoding="utf-8")
    # Self-contained: nothing to load, nothing to run.
    assert "<script" not in html and "<link" not in html and "<img" not in html and "@import" not in html
    page = browser.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(page_file.as_uri())
    assert requested == [page_file.as_uri()]
    rows = page.locator("tbody tr")
    assert rows.count() == 9
    assert [rows.nth(n).locator("td.status").inner_text() for n in range(9)] == DEMO_STATUSES
    archive_links = [link.get_attribute("href") for link in page.locator(f'a[href^="{served}"]').all()]
    # Each archived citation links its article and its original; the paywalled one too.
    assert len(archive_links) == 2 * 7 + 1
    for href in archive_links:
        status, _, _ = test_serve._get(href)
        assert status == 200, href
    page.locator(f'a[href^="{served}/archive/articles/"]').nth(6).click()
    assert (
        page.locator("article.sourcevault-article h1").inner_text() == "海巡署：福建外海實彈演習期間加強巡護"
    )
    page.close()


def test_the_briefing_page_in_datasette_lists_its_citations_and_their_originals(served, browser, tmp_path):
    page = browser.new_page()
    page.goto(f"{served}/archive/briefings/1")
    assert page.locator("h1").first.inner_text() == "Synthetic demo briefing"
    rows = page.locator("tr.sourcevault-citation")
    assert [rows.nth(n).locator("td.status").inner_text() for n in range(rows.count())] == DEMO_STATUSES
    gone = rows.nth(6)
    assert "Wayback Machine" in gone.inner_text()
    gone.locator("a.sourcevault-original-link").click()
    original = page.locator("pre.sourcevault-original").inner_text()
    assert "SYNTHETIC CNA article" in original
    page.screenshot(path=str(tmp_path / "briefing.png"), full_page=True)
    page.close()
