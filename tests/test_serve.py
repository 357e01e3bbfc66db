"""`sourcevault serve`: Datasette as a real server on loopback, and Debian's chromium driving it.

The archive holds the real fixture articles and synthetic ones: a page whose original carries
<script>alert(1)</script> and <b> (it must be shown as text everywhere, never run or rendered),
an article edited once (two versions), an Epoch Times gb edition, and a feed. The server runs
with an empty fontconfig, so that it warns as on a machine without Chinese fonts.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import socket
import sqlite3
import subprocess
import threading
import urllib.error
import urllib.request
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import pytest

from crawler.archive import Archive
from crawler.items import Capture
from crawler.research.importing import import_record
from crawler.serve import archive_metadata
from tests.helpers import (
    SOURCEVAULT,
    archive_tables,
    run_sourcevault,
    store_article,
    store_fixture_articles,
)
from tests.test_hostile_queries import BUSY_ARTICLES, fill

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
EDITED_BODY = "第一版：立法院今天審查預算，朝野協商破局。"
EDITED_AGAIN = "第二版：立法院今天審查預算，朝野協商破局，院會延至明天表決。"
SITE_URL = "https://www.rfa.org/mandarin/yataibaodao/synthetic-2.html"
FEED = b"<?xml version='1.0'?><rss version='2.0'><channel><title>synthetic</title></channel></rss>"
FETCHED = "20261101T000000Z"  # store_article's fetch time, 2026-11-01 00:00 UTC, as a file name writes it
FIRST_COLUMNS = ["id", "outlet", "published_at", "title", "authors", "language_tag", "cluster_id"]
TALLEST_ROW_PX = 100
# A bound on a broken start, never waited out when the server starts.
SERVER_START_SECONDS = 120
EMPTY_FONTCONFIG = (
    '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig></fontconfig>\n'
)


def test_the_metadata_describes_every_table_and_column(tmp_path):
    tables = archive_metadata()["databases"]["archive"]["tables"]
    for table, columns in archive_tables(tmp_path / "archive.db", leave_out="(article|post)_search_").items():
        assert tables[table]["description"], table
        assert set(tables[table]["columns"]) == columns, table


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


def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@dataclass
class Served:
    base: str
    path: Path
    said: list[str]  # what `serve` printed up to and including its "Serving … at" line
    hostile: int
    capture: int
    edited: int
    feed_capture: int


def start_serving(
    path: Path, env: dict[str, str], *options: str
) -> tuple[subprocess.Popen[str], str, list[str]]:
    """`sourcevault serve --port 0 OPTIONS`: the port it took and what it said, read from its
    "Serving" line.

    The socket listens before that line is printed, so the server can be asked at once.
    """
    process = subprocess.Popen(
        [str(SOURCEVAULT), "serve", "--db", str(path), "--port", "0", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        for line in process.stdout or ():
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    said: list[str] = []
    while True:
        try:
            line = lines.get(timeout=SERVER_START_SECONDS)
        except queue.Empty:
            line = None
        if line is None:
            process.kill()
            pytest.fail(f"sourcevault serve did not start: {''.join(said)}")
        said.append(line)
        if served := re.search(r"Serving .* at (http://127\.0\.0\.1:\d+)/ ", line):
            return process, served.group(1), said


def stop_serving(process: subprocess.Popen[str]) -> None:
    process.terminate()
    process.wait(timeout=30)


def _store_feed(archive: Archive) -> int:
    capture = Capture(
        outlet="udn",
        page_kind="feed",
        url="https://udn.com/rssfeed/news/2/6638?ch=news",
        fetched_at=datetime(2026, 11, 1, tzinfo=UTC),
        final_url="https://udn.com/rssfeed/news/2/6638?ch=news",
        http_status=200,
        response_headers=[("Content-Type", "application/rss+xml; charset=utf-8")],
        body=FEED,
    )
    return archive.store(capture, run_id=None).capture_id


@pytest.fixture(scope="module")
def server(tmp_path_factory, registry):
    """`sourcevault serve` in its own process on 127.0.0.1, with no font for Chinese to find."""
    folder = tmp_path_factory.mktemp("serve")
    path = folder / "archive.db"
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
        for body in (EDITED_BODY, EDITED_AGAIN):
            edited = store_article(archive, registry, outlet="ltn", number=4243, title="預算審查", body=body)
        store_article(
            archive, registry, outlet="epochtimes", number=4244, title="简体版", body="简体中文的内容。"
        )
        feed_capture = _store_feed(archive)
        # A page of a site no outlet owns (synthetic), imported: its site outlet is an outlet too.
        record = {
            "url": SITE_URL,
            "title": "自由亞洲電台",
            "body": "提到臺灣與颱風的報導。",
            "published_at": None,
        }
        import_record(archive, registry, json.dumps(record, ensure_ascii=False).encode(), "test")
        capture = archive.db.execute("SELECT capture_id FROM articles WHERE id = ?", [hostile]).fetchone()[0]
    fontconfig = folder / "no-fonts.conf"
    fontconfig.write_text(EMPTY_FONTCONFIG, encoding="utf-8")
    process, base, said = start_serving(path, {**os.environ, "FONTCONFIG_FILE": str(fontconfig)})
    yield Served(base, path, said, hostile, capture, edited, feed_capture)
    stop_serving(process)


def test_the_search_page_matches_as_the_command_line_does(server, cli):
    base, path = server.base, server.path
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
    code, _, page = _get(f"{server.base}/-/search?q={quote(query)}")
    assert code == status and message in page.decode() and "Traceback" not in page.decode()


def test_originals_are_text_and_their_bytes_a_download(server):
    base, capture = server.base, server.capture
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


def test_raw_downloads_are_named_by_outlet_article_and_fetch_time(server):
    connection = sqlite3.connect(server.path)
    epochtimes_id, epochtimes_capture = connection.execute(
        "SELECT article_id, capture_id FROM articles WHERE outlet = 'epochtimes' AND edition = 'gb'"
    ).fetchone()
    connection.close()
    for capture, filename in [
        (server.capture, f"udn-4242-{FETCHED}.html"),
        # Both script editions of an Epoch Times article share its id: the edition tells them apart.
        (epochtimes_capture, f"epochtimes-{epochtimes_id}-gb-{FETCHED}.html"),
        (server.feed_capture, f"udn-feed-{server.feed_capture}-{FETCHED}.xml"),
    ]:
        status, headers, _ = _get(f"{server.base}/-/original/{capture}.raw")
        assert status == 200
        assert headers["Content-Disposition"] == f'attachment; filename="{filename}"'
    _, _, page = _get(f"{server.base}/-/original/{server.feed_capture}")
    assert f"udn-feed-{server.feed_capture}-{FETCHED}.xml" in page.decode()


def test_serve_warns_in_one_line_when_no_font_covers_chinese(server):
    # The fixture's server runs with an empty fontconfig: no font at all.
    warnings = [line for line in server.said if "fonts-noto-cjk" in line]
    assert len(warnings) == 1 and warnings[0].startswith("warning: no font for Chinese")
    assert len(server.said) == 2 and "Traceback" not in "".join(server.said)


def test_a_busy_port_is_one_line_and_a_non_zero_exit(server):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run_sourcevault("serve", "--db", str(server.path), "--port", str(port))
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.splitlines() == [f"Error: cannot serve at 127.0.0.1:{port}: Address already in use"]


def _referring_tables(path: Path) -> list[str]:
    """The tables an article's page shows: those not hidden with a key to an article or a version."""
    hidden = {
        name
        for name, table in archive_metadata()["databases"]["archive"]["tables"].items()
        if table.get("hidden")
    }
    connection = sqlite3.connect(path)
    tables = [name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    referring = {
        table
        for table in tables
        for key in connection.execute(f'PRAGMA foreign_key_list("{table}")')
        if key[2] in ("articles", "article_versions")
        and table not in hidden | {"articles", "article_versions"}
    }
    connection.close()
    return ["article_versions", *sorted(referring)]


@pytest.fixture(scope="module")
def server_with_citations(server, tmp_path_factory):
    """The same archive plus a table a later migration might add, pointing at article versions (synthetic)."""
    path = tmp_path_factory.mktemp("citations") / "archive.db"
    source = sqlite3.connect(f"file:{server.path}?mode=ro", uri=True)
    copy = sqlite3.connect(path)
    source.backup(copy)
    source.close()
    versions = [
        row[0] for row in copy.execute("SELECT id FROM article_versions WHERE article = ?", [server.edited])
    ]
    copy.executescript(
        """CREATE TABLE synthetic_citations (
            id INTEGER PRIMARY KEY,
            briefing TEXT NOT NULL,
            label TEXT NOT NULL,
            article_version_id INTEGER REFERENCES article_versions(id)
        );"""
    )
    copy.executemany(
        "INSERT INTO synthetic_citations (briefing, label, article_version_id) VALUES (?, ?, ?)",
        [
            ("synthetic briefing A", "Liberty Times, first", versions[0]),
            ("synthetic briefing B", "LTN, later", versions[1]),
        ],
    )
    copy.commit()
    copy.close()
    process, base, said = start_serving(path, dict(os.environ))
    yield base, said
    stop_serving(process)


def test_citations_appear_on_the_article_page_once_their_table_exists(server, server_with_citations):
    base, _ = server_with_citations
    _, _, page = _get(f"{base}/archive/articles/{server.edited}")
    html = page.decode()
    section = html.split('<section class="sourcevault-references" id="synthetic_citations">', 1)[1].split(
        "</section>"
    )[0]
    assert "(2)" in section and "Liberty Times, first" in section and "LTN, later" in section
    _, _, page = _get(f"{base}/archive/articles/{server.hostile}")
    section = page.decode().split('id="synthetic_citations">', 1)[1].split("</section>")[0]
    assert "(0)" in section and "None point at this article" in section
    _, _, page = _get(f"{server.base}/archive/articles/{server.edited}")
    assert "synthetic_citations" not in page.decode()


def test_the_font_warning_follows_what_fontconfig_finds(server_with_citations):
    _, said = server_with_citations
    fc_list = shutil.which("fc-list")
    found = (
        fc_list
        and subprocess.run(
            [fc_list, ":lang=zh", "family"], capture_output=True, text=True, check=False
        ).stdout.strip()
    )
    warned = any("fonts-noto-cjk" in line for line in said)
    assert warned == (fc_list is not None and not found)


def test_articles_are_described_and_faceted(server):
    status, _, page = _get(f"{server.base}/archive/articles.json?_size=1")
    facets = json.loads(page)["facet_results"]
    assert status == 200
    assert {"outlet", "language_tag", "script", "script_mismatch", "published_at"} <= set(facets)
    # Site outlets among the registry's.
    outlets = {item["value"] for item in facets["outlet"]["results"]}
    assert {"site:rfa.org", "udn", "cna"} <= outlets


def test_the_archive_is_read_only(server):
    sql = quote("DELETE FROM articles")
    status, _, page = _get(f"{server.base}/archive.json?sql={sql}")
    assert status == 400 and b"Statement must be a SELECT" in page
    with Archive(server.path, readonly=True) as archive:
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
    base = server.base
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


def test_the_articles_table_opens_with_the_reading_columns_and_rows_a_line_or_two_tall(
    server, browser, tmp_path
):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(f"{server.base}/archive/articles")
    headers = page.locator("table.rows-and-columns th").evaluate_all(
        "cells => cells.map(c => c.dataset.column)"
    )
    assert headers[: len(FIRST_COLUMNS)] == FIRST_COLUMNS
    heights = page.locator("table.rows-and-columns tbody tr").evaluate_all(
        "rows => rows.map(r => r.getBoundingClientRect().height)"
    )
    with Archive(server.path, readonly=True) as archive:
        articles = archive.db.execute("SELECT count(*) FROM articles").fetchone()[0]
    assert len(heights) == articles and max(heights) <= TALLEST_ROW_PX, heights
    bodies = page.locator("table.rows-and-columns td.col-body").all_inner_texts()
    assert max(len(body) for body in bodies) <= 101 and any(body.endswith("…") for body in bodies)
    # The authors read as names, not as JSON.
    assert "陳嘉寧" in page.locator("td.col-authors").all_inner_texts()
    # Column descriptions wait in a closed block, in the columns' order; the table's own list is hidden.
    descriptions = page.locator("details.sourcevault-column-descriptions")
    body_description = descriptions.locator("dd", has_text="Plain text, paragraphs separated")
    assert page.locator("dl.column-descriptions").is_hidden() and body_description.is_hidden()
    page.screenshot(path=str(tmp_path / "articles.png"))
    descriptions.locator("summary").click()
    assert body_description.is_visible()
    assert descriptions.locator("dt").all_inner_texts()[: len(FIRST_COLUMNS)] == FIRST_COLUMNS
    page.close()


def test_the_article_page_shows_authors_source_tags_versions_and_what_points_at_it(server, browser, tmp_path):
    connection = sqlite3.connect(server.path)
    article, title, tags = connection.execute(
        "SELECT id, title, tags FROM articles WHERE outlet = 'udn' AND article_id = '3705102'"
    ).fetchone()
    connection.close()
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(f"{server.base}/archive/articles/{article}")
    facts = page.locator("article.sourcevault-article dl.facts")
    assert facts.locator("dd.authors a").all_inner_texts() == ["陳嘉寧"]
    assert facts.locator("dd.source").inner_text() == "聯合報"
    assert facts.locator("dd.tags a").all_inner_texts() == json.loads(tags)
    sections = page.locator("section.sourcevault-references").evaluate_all("found => found.map(s => s.id)")
    assert sections == _referring_tables(server.path)
    page.screenshot(path=str(tmp_path / "article.png"), full_page=True)
    # An author's name lists their articles.
    with page.expect_navigation():
        facts.locator("dd.authors a").click()
    assert page.locator("table.rows-and-columns td.col-title").all_inner_texts() == [title]

    page.goto(f"{server.base}/archive/articles/{server.edited}")
    versions = page.locator("section#article_versions")
    assert versions.locator("h2").inner_text() == "article_versions (2)"
    assert versions.locator("td.col-version").all_inner_texts() == ["1", "2"]
    assert versions.locator("td.col-capture_id a", has_text="original as fetched").count() == 2
    # Every field, one per line, once the block is opened.
    every_field = page.locator("details.sourcevault-every-field")
    assert every_field.locator("table.sourcevault-fields").is_hidden()
    every_field.locator("summary").click()
    assert every_field.locator("th").all_inner_texts()[: len(FIRST_COLUMNS)] == FIRST_COLUMNS
    assert EDITED_AGAIN in every_field.locator("td.col-body").inner_text()
    page.close()


# --- hostile searches ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def busy_archive(tmp_path_factory, registry) -> Path:
    """Many articles holding 的 (tests/test_hostile_queries.py), and two with dates outside 1900–2100
    that another SQLite tool wrote."""
    path = tmp_path_factory.mktemp("busy-serve") / "archive.db"
    with Archive(path) as archive:
        archive.sync_outlets(registry)
        fill(archive, registry)
    with closing(sqlite3.connect(path)) as connection, connection:
        connection.execute("UPDATE articles SET published_at = '9999-12-31' WHERE id = 1")
        connection.execute("UPDATE articles SET published_at = '0001-01-01' WHERE id = 2")
    # Opened read-write once, as a crawl or import would: the index takes in those edits.
    Archive(path).close()
    return path


@pytest.fixture(scope="module")
def busy_server(busy_archive):
    process, base, _ = start_serving(busy_archive, dict(os.environ))
    yield base
    stop_serving(process)


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("的 " * 500, 200, f"{BUSY_ARTICLES:,} articles match"),
        (
            " ".join(f"詞{number}號" for number in range(9)),
            400,
            "too many words (9 different words or phrases",
        ),
        ("的 是 在", 400, "too many single characters (3 searched apart; at most 2)"),
        ("颱風&since=1000-01-01&until=9999-12-31", 200, f"{BUSY_ARTICLES - 2:,} articles match"),
        ("颱風&since=2101-01-01", 200, "No article matches"),
    ],
)
def test_hostile_searches_are_answered_within_their_budget(busy_server, query, status, message):
    text, _, filters = query.partition("&")
    code, _, page = _get(f"{busy_server}/-/search?q={quote(text)}{'&' + filters if filters else ''}")
    html = page.decode()
    assert code == status and message in html and "Traceback" not in html


def test_a_search_over_the_time_limit_is_a_503_page_and_other_pages_still_answer(busy_archive):
    process, base, _ = start_serving(busy_archive, dict(os.environ), "--time-limit", "1e-9")
    try:
        code, _, page = _get(f"{base}/-/search?q={quote('的')}")
        assert code == 503
        assert "search stopped after 1e-09 s: narrow it" in page.decode()
        # A query of a few SQLite steps is done before the limit is first looked at.
        code, _, page = _get(f"{base}/archive/outlets.json?_shape=array")
        assert code == 200 and {row["slug"] for row in json.loads(page)} >= {"cna", "udn", "ltn"}
    finally:
        stop_serving(process)
