"""Helpers shared by the tests. Nothing here touches the network: crawls replay WARC snapshots."""

from __future__ import annotations

import gzip
import html
import os
import random
import re
import sqlite3
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import opencc
from click.testing import CliRunner, Result

from crawler.archive import Archive, legacy, schema
from crawler.cli import main
from crawler.extraction import extract_article
from crawler.identity import article_key
from crawler.items import Capture
from crawler.language import tag_article
from crawler.outlet_tools.fixtures import discover_fixtures
from crawler.pages import Article, Extraction
from crawler.registry import Registry, match_article_url
from crawler.warc_snapshots import RecordedExchange, write_snapshot

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
SOURCEVAULT = Path(sys.executable).parent / "sourcevault"


def fixture_page(relative: str) -> bytes:
    """A stored fixture page (gzipped under tests/fixtures), as the server sent it."""
    return gzip.decompress((FIXTURES / relative).read_bytes())


def run_sourcevault(
    *args: str, cwd: Path = ROOT, timeout: int = 300, prefix: Sequence[str] = ()
) -> subprocess.CompletedProcess[str]:
    """The installed `sourcevault` command in its own process, as a user runs it (after `prefix`)."""
    return subprocess.run(
        [*prefix, str(SOURCEVAULT), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )


def archive_tables(path: Path, leave_out: str) -> dict[str, set[str]]:
    """A new archive's tables and their columns, but SQLite's own and those matching `leave_out`."""
    Archive(path).close()
    connection = sqlite3.connect(path)
    names = [
        name
        for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        if not re.match(f"sqlite_|{leave_out}", name)
    ]
    tables = {name: {row[1] for row in connection.execute(f'PRAGMA table_info("{name}")')} for name in names}
    connection.close()
    return tables


def made_by_legacy_migrations(connection: sqlite3.Connection, names: list[str]) -> None:
    """Make an archive look as the legacy sqlite-utils migrations `names` left it: their record as
    sqlite-utils keeps it, and no revision of the schema's history."""
    connection.execute(
        'CREATE TABLE "_sqlite_migrations" ("id" INTEGER PRIMARY KEY, "migration_set" TEXT, "name" TEXT,'
        ' "applied_at" TEXT)'
    )
    connection.executemany(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES (?, ?, '2026-01-01')",
        [(legacy.MIGRATION_SET, name) for name in names],
    )
    connection.execute(f"DROP TABLE {schema.VERSION_TABLE}")
    connection.commit()


def invoke(*args: str, input: str | None = None) -> Result:
    """A `sourcevault` command in this process through click's CliRunner: no process start-up to
    pay for. Crawls run with `run_sourcevault` (Scrapy's reactor runs once per process)."""
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def exchange(
    url: str,
    body: bytes | str,
    *,
    status: int = 200,
    content_type: str = "text/html; charset=utf-8",
    headers: list[tuple[str, str]] | None = None,
    method: str = "GET",
    request_body: bytes = b"",
) -> RecordedExchange:
    """A synthetic recorded response, made by a test."""
    return RecordedExchange(
        url=url,
        status=status,
        headers=[("Content-Type", content_type), *(headers or [])],
        body=body.encode("utf-8") if isinstance(body, str) else body,
        fetched_at=datetime(2026, 11, 1, tzinfo=UTC),
        method=method,
        request_body=request_body,
        origin="synthetic: made by a test",
    )


def make_snapshot(path: Path, exchanges: list[RecordedExchange]) -> Path:
    with path.open("wb") as stream:
        write_snapshot(exchanges, stream)
    return path


def text_capture(
    registry: Registry,
    url: str,
    title: str,
    body: str,
    *,
    fetched_at: datetime = datetime(2026, 11, 1, tzinfo=UTC),
    canonical_url: str | None = None,
    final_url: str | None = None,
) -> Capture:
    """A fetched article page of a registry outlet, as extraction would hand it on (synthetic text)."""
    outlet = registry.for_url(url)
    assert outlet is not None, url
    key = article_key(outlet, final_url or url)
    assert key is not None, url
    article = Article(
        url=final_url or url,
        canonical_url=canonical_url,
        outlet=outlet.slug,
        article_id=key.article_id,
        edition=key.edition,
        title=title,
        body=body,
        extractor="test",
    )
    return Capture(
        outlet=outlet.slug,
        page_kind="article",
        url=url,
        final_url=final_url or url,
        fetched_at=fetched_at,
        http_status=200,
        body=f"<html><title>{title}</title><body>{body}</body></html>".encode(),
        extraction=Extraction(article, None, "utf-8"),
    )


def page_capture(
    registry: Registry,
    url: str,
    body: bytes,
    *,
    outlet: str | None = None,
    fetched_at: datetime = datetime(2026, 11, 1, tzinfo=UTC),
) -> Capture:
    """A page fetched with status 200 and its extraction, as a crawl (or `briefing add`) hands it
    on; of the outlet owning `url` unless `outlet` names one."""
    owner = registry.for_url(url)
    capture = Capture(
        outlet=outlet or (owner.slug if owner else ""),
        page_kind="article",
        url=url,
        final_url=url,
        fetched_at=fetched_at,
        http_status=200,
        response_headers=[("Content-Type", "text/html; charset=utf-8")],
        body=body,
    )
    capture.extraction = extract_article(body, url=url, registry=registry)
    return capture


SYNTHETIC_ARTICLE_URLS = {
    "cna": "https://www.cna.com.tw/news/aipl/{:012d}.aspx",
    "udn": "https://udn.com/news/story/7315/{}",
    "ltn": "https://news.ltn.com.tw/news/politics/breakingnews/{}",
    "sina": "https://news.sina.com.cn/c/2024-01-01/doc-i{:014d}.shtml",
    "huanqiu": "https://world.huanqiu.com/article/{:011d}",
    "epochtimes": "https://www.epochtimes.com/gb/24/1/1/n{}.htm",
}


def synthetic_article_url(outlet: str, number: int) -> str:
    """An article URL of `outlet` that its registry pattern accepts, made up for a test."""
    return SYNTHETIC_ARTICLE_URLS[outlet].format(number)


def store_article(
    archive: Archive,
    registry: Registry,
    *,
    outlet: str,
    number: int,
    title: str,
    body: str,
    published_at: str | None = "2024-01-01T08:00:00+08:00",
    page: bytes | None = None,
) -> int:
    """A synthetic article through the language stage and the archive, as a crawl stores one; its id.

    `page` is the original kept for it (default: a page holding the title and body).
    """
    url = synthetic_article_url(outlet, number)
    found = match_article_url(registry.get(outlet), url)
    assert found is not None, url
    article = Article(
        url=url,
        canonical_url=url,
        outlet=outlet,
        article_id=found.article_id,
        edition=found.edition,
        title=title,
        body=body,
        published_at=published_at,
        extractor="synthetic",
    )
    if page is None:
        page = f"<html><body><h1>{html.escape(title)}</h1><p>{html.escape(body)}</p></body></html>".encode()
    capture = Capture(
        outlet=outlet,
        page_kind="article",
        url=url,
        fetched_at=datetime(2026, 11, 1, tzinfo=UTC),
        final_url=url,
        http_status=200,
        response_headers=[("Content-Type", "text/html; charset=utf-8")],
        body=page,
    )
    capture.extraction = Extraction(tag_article(article, registry.get(outlet)), None, "utf-8")
    archive.store(capture, run_id=None)
    return archive.db.execute(
        "SELECT id FROM articles WHERE outlet = ? AND article_id = ? AND edition = ?",
        [outlet, found.article_id, found.edition],
    ).fetchone()[0]


def store_fixture_articles(archive: Archive, registry: Registry) -> int:
    """Every real (not synthetic) fixture article page, extracted and archived; how many."""
    stored = 0
    for fixture in discover_fixtures():
        if fixture.record["page"]["kind"] == "synthetic":
            continue
        body = fixture.body()
        capture = Capture(
            outlet=fixture.slug,
            page_kind="article",
            url=fixture.url,
            fetched_at=datetime(2026, 11, 1, tzinfo=UTC),
            final_url=fixture.url,
            http_status=200,
            response_headers=[("Content-Type", "text/html; charset=utf-8")],
            body=body,
        )
        capture.extraction = extract_article(body, url=fixture.url, outlet=registry.get(fixture.slug))
        archive.store(capture, run_id=None)
        stored += capture.extraction.article is not None
    return stored


# The outlets recombined articles are archived under, in turn.
RECOMBINED_OUTLETS = ("cna", "udn", "ltn", "sina", "huanqiu", "epochtimes")


def store_recombined_articles(
    archive: Archive, registry: Registry, count: int, *, seed: int, first: int
) -> None:
    """`count` synthetic articles (numbers `first` on) recombined from 2 to 5 paragraphs of the
    archive's articles, every other one turned Traditional (OpenCC s2twp), across six outlets and
    nine years."""
    paragraphs = [
        paragraph
        for (body,) in archive.db.execute("SELECT body FROM articles")
        for paragraph in body.split("\n\n")
        if len(paragraph) > 5
    ]
    to_traditional = opencc.OpenCC("s2twp")
    rng = random.Random(seed)
    for number in range(count):
        body = "\n\n".join(rng.sample(paragraphs, rng.randint(2, 5)))
        title = rng.choice(paragraphs)[:24]
        if number % 2:
            title, body = to_traditional.convert(title), to_traditional.convert(body)
        year = 2016 + number % 9
        store_article(
            archive,
            registry,
            outlet=RECOMBINED_OUTLETS[number % len(RECOMBINED_OUTLETS)],
            number=first + number,
            title=title,
            body=body,
            published_at=f"{year}-{number % 12 + 1:02d}-{number % 27 + 1:02d}T09:30:00+08:00",
        )


CONSOLE_BLOCK = re.compile(r"^```console\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def shown_commands(page: Path) -> list[tuple[str, str]]:
    """(command, output as shown) for every `$ …` line of a docs page's console blocks, in order."""
    shown = []
    for block in CONSOLE_BLOCK.findall(page.read_text(encoding="utf-8")):
        for example in re.split(r"^(?=\$ )", block, flags=re.MULTILINE):
            if example.strip():
                command, _, output = example.partition("\n")
                shown.append((command.removeprefix("$ "), output))
    return shown
