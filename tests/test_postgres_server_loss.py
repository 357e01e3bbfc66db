"""A PostgreSQL archive whose server goes away in the middle of a crawl: as with a full disk
(tests/test_storage_failures.py), the crawl stops with exit status 1 and one line saying why,
nothing archived is lost, the pages it could not store stay queued, and the next crawl completes.

The server is lost from the crawl's side for real: its database stops taking connections and the
server ends the crawl's own (`pg_terminate_backend`, which sends the crawl the error a server
shutting down sends, SQLSTATE 57P01), while it stays up for the test to look at what is left.
"""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import make_url

from crawler import exit_status
from tests.helpers import run_sourcevault
from tests.loopback import FAST_CRAWL, LoopbackSite
from tests.postgres_databases import server_url
from tests.test_resume import wait
from tests.test_storage_failures import ARTICLES, HELD, CrawlWatch, serve_articles

pytestmark = pytest.mark.slow

DUPLICATED_ARTICLES = "SELECT url FROM captures WHERE outcome = 'article' GROUP BY url HAVING count(*) > 1"


def scalar(database_url: str, statement: str) -> object:
    with psycopg.connect(database_url) as connection:
        row = connection.execute(statement).fetchone()
        assert row is not None
        return row[0]


# How the first write after the server ended the crawl's connection fails, as libpq reports it.
SERVER_GONE = (
    "the archive cannot be written: terminating connection",
    "the archive cannot be written: consuming input failed: server closed the connection unexpectedly",
)


def articles_stored(database_url: str) -> int:
    return int(scalar(database_url, "SELECT count(*) FROM captures WHERE page_kind = 'article'"))  # type: ignore[call-overload]


def set_connections(database_url: str, *, allowed: bool) -> None:
    """Let the archive's database take connections, or refuse them and end the ones it has."""
    name = make_url(database_url).database
    with psycopg.connect(server_url(), autocommit=True) as administrator:
        administrator.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allowed).lower()}')
        if not allowed:
            administrator.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                [name],
            )


def test_a_crawl_whose_server_goes_away_stops_in_one_line_and_the_next_completes(tmp_path, postgres_url):
    site = LoopbackSite()
    with site.running():
        # Short articles: here the archive's size does not matter.
        registry = serve_articles(site, tmp_path, paragraphs_per_article=2)
        crawl = CrawlWatch(registry, postgres_url)  # type: ignore[arg-type]
        for path in HELD:
            site.wait_for_request(path)

        def answered() -> int:
            return len({hit.path for hit in site.requests if hit.path.startswith("/daily/a/")} - set(HELD))

        # Each capture commits alone on PostgreSQL: the crawl then waits on HELD alone.
        assert wait(lambda: articles_stored(postgres_url) == answered())
        stored = articles_stored(postgres_url)
        set_connections(postgres_url, allowed=False)
        for path in HELD[1:]:
            site.release(path)
        logged = crawl.wait_for_line(": the crawl stops")
        reason = logged.split("ERROR: ", 1)[1].split(f" ({postgres_url})", 1)[0]
        # libpq says what it read first: the server's last word, or the socket it had already closed.
        assert reason.startswith(SERVER_GONE), logged
        site.release(HELD[0])
        assert crawl.finish() == exit_status.FAILED
        assert not any("Traceback" in line for line in crawl.lines), crawl.lines
        assert crawl.lines[-1] == f"Error: crawl ended early: {reason}", crawl.lines

        set_connections(postgres_url, allowed=True)
        assert articles_stored(postgres_url) == stored > 0
        assert scalar(postgres_url, "SELECT count(*) FROM article_fetch_queue WHERE state = 'waiting'") == (
            ARTICLES - stored
        )
        rerun = run_sourcevault("crawl", "--registry", str(registry), "--db", postgres_url, *FAST_CRAWL)
        assert rerun.returncode == 0, rerun.stderr
    assert scalar(postgres_url, "SELECT count(DISTINCT article_id) FROM articles") == ARTICLES
    with psycopg.connect(postgres_url) as connection:
        assert connection.execute(DUPLICATED_ARTICLES).fetchall() == []
        statuses = connection.execute("SELECT status FROM crawl_runs ORDER BY id").fetchall()
    assert [status for (status,) in statuses] == ["interrupted", "finished"]
