"""Killed and concurrent: SIGKILL at random moments leaves a consistent archive the next run
completes, and readers (plain SQLite, Datasette) never see "database is locked" while a crawl writes."""

from __future__ import annotations

import json
import random
import re
import sqlite3
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from crawler.archive import Archive
from tests.helpers import SOURCEVAULT, invoke, run_sourcevault
from tests.loopback import FAST_CRAWL, Hit, LoopbackSite, outlet_toml

KILLS = 10
# Enough that the five kills in mid-fetch, each after at most 20 article requests, leave some to fetch.
ARTICLES = 150
pytestmark = pytest.mark.slow


def serve_articles(site: LoopbackSite, tmp_path: Path, count: int, concurrency: int) -> Path:
    articles = [f"/daily/a/{n}" for n in range(1, count + 1)]
    for path in articles:
        site.add_article(path, f"第{path.rsplit('/', 1)[1]}則新聞")
    site.add_feed("/daily/feed.xml", articles)
    registry = tmp_path / "outlets.toml"
    registry.write_text(
        outlet_toml("daily", site.base_url, feeds=["/daily/feed.xml"], concurrency=concurrency),
        encoding="utf-8",
    )
    return registry


def crawl_process(registry: Path, database: Path, *settings: str) -> subprocess.Popen[str]:
    arguments = ("--registry", str(registry), "--db", str(database), *FAST_CRAWL, *settings)
    command = [str(SOURCEVAULT), "crawl", *arguments]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def test_sigkill_at_random_moments_loses_and_duplicates_nothing(tmp_path):
    chance = random.Random(20261102)
    site = LoopbackSite()
    with site.running():
        registry = serve_articles(site, tmp_path, count=ARTICLES, concurrency=2)
        database = tmp_path / "archive.db"
        for kill in range(KILLS):
            seen_before = len(site.requests)

            def articles_asked(hits: list[Hit], seen_before: int = seen_before) -> int:
                return sum("/a/" in hit.path for hit in hits[seen_before:])

            crawl = crawl_process(registry, database)
            if kill % 2 == 0:
                # Somewhere in start-up, migrations or discovery: a moment of the clock, unless
                # the crawl reaches its first article before it.
                site.wait_until(lambda hits: articles_asked(hits) > 0, timeout=chance.uniform(0.3, 2.5))
            else:
                # In the middle of fetching articles: once the server has been asked for so many,
                # however fast or slow the machine (the last kill is one of these: its run is on
                # record, and still running).
                asked = chance.randint(1, 20)
                assert site.wait_until(lambda hits, asked=asked: articles_asked(hits) >= asked), (
                    f"kill {kill}: the crawl asked for fewer than {asked} articles"
                )
            crawl.kill()
            crawl.wait()
            if database.exists():
                connection = sqlite3.connect(database)
                assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",), (
                    f"after kill {kill}"
                )
                # A crawl killed in start-up may leave the archive before its first migration.
                migrated = connection.execute(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'captures'"
                ).fetchone()
                duplicates = (
                    migrated
                    and connection.execute(
                        "SELECT url FROM captures WHERE outcome = 'article' GROUP BY url HAVING count(*) > 1"
                    ).fetchall()
                )
                assert not duplicates, f"after kill {kill}"
                connection.close()
        report = invoke("report", "--db", str(database))
        assert report.exit_code == 3 and "did not finish: its process died" in report.stdout
        result = run_sourcevault("crawl", "--registry", str(registry), "--db", str(database), *FAST_CRAWL)
        assert result.returncode == 0, result.stderr

    connection = sqlite3.connect(database)
    assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert connection.execute("SELECT count(*), count(DISTINCT article_id) FROM articles").fetchone() == (
        ARTICLES,
        ARTICLES,
    )
    per_url = connection.execute(
        "SELECT count(*) FROM captures WHERE outcome = 'article' GROUP BY url HAVING count(*) != 1"
    ).fetchall()
    assert per_url == []
    statuses = [status for (status,) in connection.execute("SELECT status FROM crawl_runs ORDER BY id")]
    assert statuses[-1] == "finished" and set(statuses[:-1]) <= {"interrupted", "finished"}
    assert "interrupted" in statuses
    waiting = connection.execute("SELECT count(*) FROM article_fetch_queue WHERE state != 'done'").fetchone()[
        0
    ]
    assert waiting == 0


class Readers:
    """Two readers in threads, plain SQLite and Datasette, each reading over and over until stopped.

    Each keeps the article counts it saw; every error either meets goes into `errors`.
    """

    def __init__(self, database: Path, datasette: str):
        self.database = database
        self.base = f"{datasette}/archive"
        self.seen: dict[str, set[int]] = {"sqlite3": set(), "datasette": set()}
        self.errors: list[str] = []
        self._done = threading.Event()
        self._threads = [
            threading.Thread(target=self._read_with_sqlite),
            threading.Thread(target=self._until_stopped, args=(self._read_with_datasette,)),
        ]

    def _until_stopped(self, read: Callable[[], None]) -> None:
        # One more read after the stop: the last one sees the archive as the crawl left it.
        while True:
            finished = self._done.is_set()
            read()
            if finished:
                return
            # A breath between reads: this process also serves the crawl's pages (one GIL).
            self._done.wait(0.005)

    def _read_with_sqlite(self) -> None:
        connection = sqlite3.connect(f"file:{self.database}?mode=ro", uri=True)

        def read() -> None:
            try:
                self.seen["sqlite3"].add(connection.execute("SELECT count(*) FROM articles").fetchone()[0])
                connection.execute(
                    "SELECT id, title FROM articles WHERE body LIKE '%防災%' LIMIT 5"
                ).fetchall()
            except sqlite3.Error as error:
                self.errors.append(f"sqlite3: {error}")

        self._until_stopped(read)

    def _read_with_datasette(self) -> None:
        latest = f"{self.base}/articles.json?_shape=array&_size=5&_sort_desc=id"
        count = f"{self.base}.json?_shape=array&sql=select+count(*)+as+n+from+articles"
        try:
            with urllib.request.urlopen(latest, timeout=60) as response:
                json.loads(response.read())
            with urllib.request.urlopen(count, timeout=60) as response:
                self.seen["datasette"].add(json.loads(response.read())[0]["n"])
        except Exception as error:
            body = error.read().decode() if hasattr(error, "read") else ""
            self.errors.append(f"datasette: {error} {body[:200]}")

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._done.set()
        for thread in self._threads:
            thread.join()

    def saw_a_partial_archive(self, total: int) -> bool:
        return all(any(0 < count < total for count in counts) for counts in self.seen.values())


def test_readers_are_never_locked_out_while_a_crawl_writes(tmp_path):
    site = LoopbackSite()
    with site.running():
        registry = serve_articles(site, tmp_path, count=200, concurrency=8)
        # The crawl cannot finish before this page is answered: the test answers it once both
        # readers have read an archive the crawl had begun to fill.
        site.fault("/daily/a/200", "hold")
        database = tmp_path / "archive.db"
        Archive(database).close()
        with datasette_serving(database, tmp_path / "datasette.log") as address:
            readers = Readers(database, address)
            readers.start()
            command = [
                str(SOURCEVAULT),
                "crawl",
                "--registry",
                str(registry),
                "--db",
                str(database),
                *FAST_CRAWL,
            ]
            crawl = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            midway = wait(lambda: readers.saw_a_partial_archive(200))
            site.release("/daily/a/200")
            _, crawl_errors = crawl.communicate(timeout=300)
            readers.stop()
    assert midway, f"the readers saw no half-filled archive: {readers.seen}"
    assert crawl.returncode == 0, crawl_errors
    assert readers.errors == []
    # Both went on reading to the end, when the crawl had stored every article.
    assert max(readers.seen["sqlite3"]) == max(readers.seen["datasette"]) == 200


def wait(condition: Callable[[], bool], timeout: float = 120.0) -> bool:
    """Whether `condition()` came true within a generous `timeout` (polled: it reads other threads' state)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@contextmanager
def datasette_serving(database: Path, log: Path) -> Iterator[str]:
    """Datasette serving `database` on a port it chose; its address, as its log announces it."""
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [
                str(SOURCEVAULT.parent / "datasette"),
                "serve",
                str(database),
                "--host",
                "127.0.0.1",
                "--port",
                "0",
            ],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        address = re.compile(r"Uvicorn running on (http://127\.0\.0\.1:\d+)")
        assert wait(lambda: process.poll() is not None or address.search(log.read_text()) is not None), (
            f"datasette did not start: {log.read_text()}"
        )
        found = address.search(log.read_text())
        assert found, f"datasette exited: {log.read_text()}"
        yield found[1]
    finally:
        process.terminate()
        process.wait()
