"""Killed and concurrent: SIGKILL at random moments leaves a consistent archive the next run
completes, and readers (plain SQLite, Datasette) never see "database is locked" while a crawl writes."""

from __future__ import annotations

import json
import random
import sqlite3
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

from crawler.archive import Archive
from tests.helpers import SOURCEVAULT, run_sourcevault
from tests.loopback import FAST_CRAWL, LoopbackSite, closed_port, outlet_toml

KILLS = 10


def serve_articles(site: LoopbackSite, tmp_path: Path, count: int, latency: float, concurrency: int) -> Path:
    articles = [f"/daily/a/{n}" for n in range(1, count + 1)]
    for path in articles:
        site.add_article(path, f"第{path.rsplit('/', 1)[1]}則新聞", latency=latency)
    site.add_feed("/daily/feed.xml", articles)
    registry = tmp_path / "outlets.toml"
    registry.write_text(
        outlet_toml("daily", site.base_url, feeds=["/daily/feed.xml"], concurrency=concurrency),
        encoding="utf-8",
    )
    return registry


def crawl_process(registry: Path, database: Path) -> subprocess.Popen[str]:
    command = [str(SOURCEVAULT), "crawl", "--registry", str(registry), "--db", str(database), *FAST_CRAWL]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def test_sigkill_at_random_moments_loses_and_duplicates_nothing(tmp_path):
    chance = random.Random(20261102)
    site = LoopbackSite()
    with site.running():
        registry = serve_articles(site, tmp_path, count=300, latency=0.03, concurrency=2)
        database = tmp_path / "archive.db"
        for kill in range(KILLS):
            seen_before = len(site.requests)
            crawl = crawl_process(registry, database)
            if kill % 2:
                # Somewhere in start-up, migrations, discovery or the first fetches.
                time.sleep(chance.uniform(0.3, 2.5))
            else:
                # Somewhere in the middle of fetching articles.
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline and not any(
                    "/a/" in hit.path for hit in site.requests[seen_before:]
                ):
                    time.sleep(0.02)
                time.sleep(chance.uniform(0.05, 1.0))
            crawl.kill()
            crawl.wait()
            if database.exists():
                connection = sqlite3.connect(database)
                assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",), (
                    f"after kill {kill}"
                )
                duplicates = connection.execute(
                    "SELECT url FROM captures WHERE outcome = 'article' GROUP BY url HAVING count(*) > 1"
                ).fetchall()
                assert duplicates == [], f"after kill {kill}"
                connection.close()
        report = run_sourcevault("report", "--db", str(database))
        assert report.returncode == 3 and "did not finish: its process died" in report.stdout
        result = run_sourcevault("crawl", "--registry", str(registry), "--db", str(database), *FAST_CRAWL)
        assert result.returncode == 0, result.stderr

    connection = sqlite3.connect(database)
    assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert connection.execute("SELECT count(*), count(DISTINCT article_id) FROM articles").fetchone() == (
        300,
        300,
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


def test_readers_are_never_locked_out_while_a_crawl_writes(tmp_path):
    site = LoopbackSite()
    with site.running():
        registry = serve_articles(site, tmp_path, count=400, latency=0.0, concurrency=8)
        database = tmp_path / "archive.db"
        Archive(database).close()
        port = closed_port()
        datasette = subprocess.Popen(
            [
                str(SOURCEVAULT.parent / "datasette"),
                "serve",
                str(database),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            base = f"http://127.0.0.1:{port}/archive"
            wait_for(f"{base}.json")
            errors: list[str] = []
            seen_counts: set[int] = set()
            done = threading.Event()

            def read_with_sqlite() -> None:
                connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
                while not done.is_set():
                    try:
                        seen_counts.add(connection.execute("SELECT count(*) FROM articles").fetchone()[0])
                        connection.execute(
                            "SELECT id, title FROM articles WHERE body LIKE '%防災%' LIMIT 5"
                        ).fetchall()
                    except sqlite3.Error as error:
                        errors.append(f"sqlite3: {error}")

            def read_with_datasette() -> None:
                queries = (
                    f"{base}/articles.json?_shape=array&_size=5&_sort_desc=id",
                    f"{base}.json?_shape=array&sql=select+count(*)+from+captures",
                )
                while not done.is_set():
                    for url in queries:
                        try:
                            with urllib.request.urlopen(url, timeout=10) as response:
                                json.loads(response.read())
                        except Exception as error:
                            body = error.read().decode() if hasattr(error, "read") else ""
                            errors.append(f"datasette: {error} {body[:200]}")

            readers = [
                threading.Thread(target=read_with_sqlite),
                threading.Thread(target=read_with_datasette),
            ]
            for reader in readers:
                reader.start()
            result = run_sourcevault("crawl", "--registry", str(registry), "--db", str(database), *FAST_CRAWL)
            done.set()
            for reader in readers:
                reader.join()
        finally:
            datasette.terminate()
            datasette.wait()
    assert result.returncode == 0, result.stderr
    assert errors == []
    # The readers did read while the crawl wrote: they saw the archive grow.
    assert len(seen_counts) > 5 and max(seen_counts) == 400


def wait_for(url: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
