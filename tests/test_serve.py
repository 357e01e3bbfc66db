"""`sourcevault serve`: Datasette as a real server on loopback, and Debian's chromium driving it.

The archive holds the real fixture articles and one synthetic page whose original carries
<script>alert(1)</script> and <b>: it must be shown as text everywhere, never run or rendered.
"""

from __future__ import annotations

import json
import os
import re
import socket
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest

from crawler.archive import Archive
from crawler.serve import archive_metadata
from tests.helpers import ROOT, SOURCEVAULT, store_article, store_fixture_articles

CHROMIUM = Path("/usr/bin/chromium")
# Set by .ci/run, which installs Debian's chromium: there a missing browser fails the test.
BROWSER_REQUIRED = os.environ.get("SOURCEVAULT_BROWSER_TESTS") == "required"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
HOSTILE_PAGE = (
    "<html><head><meta charset='utf-8'><title>惡意頁面</title><script>alert(1)</script></head>"
    "<body><h1>惡意頁面測試</h1><p><b>真的粗體</b>與臺灣有關的內容。</p></body></html>"
).encode()
HOSTILE_BODY = "內文寫著 <b>粗體</b> 與 <script>alert(2)</script> 標籤，也提到臺灣。"
SIMPLIFIED_ARTICLE = "日媒：日本将取消对中国旅行禁令"
SERVER_START_SECONDS = 60


def described_tables(path: Path) -> dict[str, set[str]]:
    connection = sqlite3.connect(path)
    tables = [
        name
        for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        if not re.match(r"article_search_|sqlite_", name)
    ]
    columns = {
        table: {row[1] for row in connection.execute(f'PRAGMA table_info("{table}")')} for table in tables
    }
    connection.close()
    return columns


def test_the_metadata_describes_every_table_and_column(tmp_path):
    path = tmp_path / "archive.db"
    Archive(path).close()
    tables = archive_metadata()["databases"]["archive"]["tables"]
    for table, columns in described_tables(path).items():
        assert tables[table]["description"], table
        assert set(tables[table]["columns"]) == columns, table


def test_the_readme_documents_every_column(tmp_path):
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("## The archive schema", 1)[1]
    section = section.split("\n## ", 1)[0]
    path = tmp_path / "archive.db"
    Archive(path).close()
    for table, columns in described_tables(path).items():
        if table.startswith("_"):
            continue
        assert f"`{table}`" in section, table
        for column in columns:
            assert f"`{column}`" in section, f"{table}.{column}"


def test_articles_are_faceted_by_outlet_language_script_date_and_cluster():
    facets = archive_metadata()["databases"]["archive"]["tables"]["articles"]["facets"]
    assert facets == [
        "outlet",
        "language_tag",
        "script",
        "script_mismatch",
        {"date": "published_at"},
        "cluster_id",
    ]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture(scope="module")
def server(tmp_path_factory, registry):
    """`sourcevault serve` in its own process on 127.0.0.1; yields (base URL, archive path, hostile ids)."""
    path = tmp_path_factory.mktemp("serve") / "archive.db"
    with Archive(path) as archive:
        archive.sync_outlets(registry)
        store_fixture_articles(archive, registry)
        hostile = store_article(
            archive,
            registry,
            outlet="udn",
            number=4242,
            title="惡意頁面測試",
            body=HOSTILE_BODY,
            page=HOSTILE_PAGE,
        )
        capture = archive.db.execute("SELECT capture_id FROM articles WHERE id = ?", [hostile]).fetchone()[0]
    port = _free_port()
    process = subprocess.Popen(
        [str(SOURCEVAULT), "serve", "--db", str(path), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + SERVER_START_SECONDS
    while True:
        try:
            if _get(f"{base}/-/versions.json")[0] == 200:
                break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(
                f"sourcevault serve did not start: {process.stdout.read().decode() if process.stdout else ''}"
            )
        time.sleep(0.2)
    yield base, path, hostile, capture
    process.terminate()
    process.wait(timeout=30)


def test_the_search_page_matches_as_the_command_line_does(server, cli):
    base, path, _, _ = server
    status, _, page = _get(f"{base}/-/search?q={quote('臺灣')}")
    assert status == 200
    html = page.decode()
    expected = json.loads(
        "["
        + ",".join(cli("search", "臺灣", "--db", str(path), "--json", "--limit", "30").stdout.splitlines())
        + "]"
    )
    linked = [int(found) for found in re.findall(r'href="/archive/articles/(\d+)"', html)]
    assert linked == [record["id"] for record in expected] and len(linked) >= 4
    assert "<mark>台湾</mark>" in html and "<mark>臺灣</mark>" in html


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [('"臺灣', 400, "unbalanced quote"), ("", 400, "empty query"), ("NEAR(", 200, "No article matches")],
)
def test_bad_queries_get_a_message_not_a_traceback(server, query, status, message):
    code, _, page = _get(f"{server[0]}/-/search?q={quote(query)}")
    assert code == status and message in page.decode() and "Traceback" not in page.decode()


def test_originals_are_text_and_their_bytes_a_download(server):
    base, _, _, capture = server
    _, _, page = _get(f"{base}/-/original/{capture}")
    html = page.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&lt;b&gt;真的粗體&lt;/b&gt;" in html
    assert "<script>alert(1)" not in html and "<b>真的粗體" not in html
    status, headers, body = _get(f"{base}/-/original/{capture}.raw")
    assert status == 200 and body == HOSTILE_PAGE
    assert headers["content-type"] == "application/octet-stream"
    assert (
        headers["Content-Disposition"].startswith("attachment")
        and headers["X-Content-Type-Options"] == "nosniff"
    )
    assert _get(f"{base}/-/original/999999")[0] == 404


def test_articles_are_described_and_faceted(server):
    status, _, page = _get(f"{server[0]}/archive/articles.json?_size=1")
    facets = json.loads(page)["facet_results"]
    assert status == 200
    assert {"outlet", "language_tag", "script", "script_mismatch", "published_at"} <= set(facets)


def test_the_archive_is_read_only(server):
    sql = quote("DELETE FROM articles")
    status, _, page = _get(f"{server[0]}/archive.json?sql={sql}")
    assert status == 400 and b"Statement must be a SELECT" in page
    with Archive(server[1], readonly=True) as archive:
        assert archive.db.execute("SELECT count(*) FROM articles").fetchone()[0] >= 11


# --- in a real browser -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        if BROWSER_REQUIRED:
            pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (.ci/run does)")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium; .ci/run does)")
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def test_a_researcher_searches_reads_and_opens_the_original(server, browser, tmp_path):
    base = server[0]
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{base}/-/search")
    page.fill("input[name=q]", "臺灣")
    page.click("input[type=submit]")
    hit = page.locator("ol.sourcevault-hits li", has_text=SIMPLIFIED_ARTICLE)
    # A Traditional query finds a Simplified article, the match marked in its own text.
    assert hit.locator("mark").first.inner_text() == "台湾"
    page.screenshot(path=str(tmp_path / "search.png"), full_page=True)
    hit.locator("a").first.click()
    assert page.locator("article.sourcevault-article h1").inner_text() == SIMPLIFIED_ARTICLE
    page.click("a.sourcevault-original-link")
    original = page.locator("pre.sourcevault-original").inner_text()
    assert original.lstrip().startswith("<!") or "<html" in original[:500]
    page.screenshot(path=str(tmp_path / "original.png"))

    page.goto(f"{base}/-/search?q={quote('粗體')}")
    page.locator("ol.sourcevault-hits li a").first.click()
    article = page.locator("article.sourcevault-article")
    assert "<b>粗體</b>" in article.inner_text() and article.locator("b").count() == 0
    page.click("a.sourcevault-original-link")
    pre = page.locator("pre.sourcevault-original")
    assert "<script>alert(1)</script>" in pre.inner_text() and "<b>真的粗體</b>" in pre.inner_text()
    assert pre.locator("b").count() == 0 and pre.locator("script").count() == 0
    page.screenshot(path=str(tmp_path / "hostile.png"))
    assert dialogs == []
    page.close()
