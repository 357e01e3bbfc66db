"""The posts commands and a briefing citing posts on a real PostgreSQL server do what they do on SQLite:
`posts add` and `posts recheck`, a briefing's add and attach of cited posts, write the same rows (read
back through `migrate-archive`), and `posts list`, `posts search`, `posts show` and the briefing's
report print the same; a copy into PostgreSQL is searched alike.
The answers are the synthetic ones of tests/fixtures/posts/, replayed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.helpers import invoke, make_snapshot, run_sourcevault
from tests.post_fixtures import answers_for, made_response, recorded_response
from tests.test_briefing_posts import QUOTING_X as CITED_LATER
from tests.test_briefing_posts import prepare, sourcevault
from tests.test_postgres_commands import alike, copied_back
from tests.test_postgres_writing import every_row
from tests.test_posts_fetch import (
    IMAGES_WEIBO,
    LONG_WEIBO,
    NO_DELAYS,
    ORDINARY_WEIBO,
    ORDINARY_X,
    QUOTING_X,
    REPOST_OF_DELETED,
)

pytestmark = pytest.mark.slow

SEARCHES = (
    ("记者会",),
    ("例行記者會",),
    ("example",),
    ("声明", "--json"),
    ("示例发布", "--limit", "1"),
    ("不存在",),
)


def snapshots(folder: Path) -> list[Path]:
    """The first answers of six posts; the ordinary post edited; then gone."""
    ordinary = recorded_response("weibo/show-ordinary.http")
    edited = made_response(
        200, ordinary.body.replace("介绍近期外事安排".encode(), "介绍下周外事安排".encode()), ordinary.headers
    )
    return [
        make_snapshot(
            folder / "first.warc.gz",
            [
                *answers_for(ORDINARY_WEIBO, weibo_status="weibo/show-ordinary.http"),
                *answers_for(
                    LONG_WEIBO, weibo_status="weibo/show-long.http", weibo_long_text="weibo/extend-long.http"
                ),
                *answers_for(REPOST_OF_DELETED, weibo_status="weibo/show-repost-of-deleted.http"),
                *answers_for(IMAGES_WEIBO, weibo_status="weibo/show-images.http"),
                *answers_for(
                    ORDINARY_X, x_syndication="x/syndication-ordinary.http", x_oembed="x/oembed-ordinary.http"
                ),
                *answers_for(
                    QUOTING_X, x_syndication="x/syndication-quoted.http", x_oembed="x/oembed-404.http"
                ),
            ],
        ),
        make_snapshot(folder / "edited.warc.gz", answers_for(ORDINARY_WEIBO, weibo_status=edited)),
        make_snapshot(
            folder / "gone.warc.gz", answers_for(ORDINARY_WEIBO, weibo_status="weibo/show-error-page.http")
        ),
    ]


def posts_written(db: str, folder: Path, since: datetime) -> list[str]:
    """Six posts added, the first checked again twice: what each command printed."""
    first, edited, gone = snapshots(folder)
    steps = (
        ("add", first, ORDINARY_WEIBO, LONG_WEIBO, REPOST_OF_DELETED, IMAGES_WEIBO, ORDINARY_X, QUOTING_X),
        ("recheck", edited, "weibo:4910815147462302"),
        ("recheck", gone, "1"),
    )
    printed = []
    for command, snapshot, *named in steps:
        result = run_sourcevault(
            "posts", command, *named, "--db", db, "--replay", str(snapshot), "-s", NO_DELAYS
        )
        assert result.returncode == 0, result.stderr
        printed.append(alike(result.stdout, db, since))
    return printed


def what_posts_commands_say(db: str, since: datetime) -> list[str]:
    commands = [
        ("list",),
        ("list", "--json"),
        ("list", "--platform", "x", "--status", "available"),
        *(("search", *search) for search in SEARCHES),
        *(("show", str(post), *shown) for post in range(1, 10) for shown in ((), ("--json",))),
    ]
    said = []
    for command in commands:
        result = invoke("posts", *command, "--db", db)
        said.append(f"{result.exit_code} {alike(result.output, db, since)}")
    return said


@pytest.fixture(scope="module")
def sqlite_posts(tmp_path_factory) -> tuple[Path, list[str], datetime]:
    started = datetime.now(UTC).replace(microsecond=0)
    folder = tmp_path_factory.mktemp("sqlite")
    path = folder / "posts.db"
    return path, posts_written(str(path), folder, started), started


def test_posts_commands_write_and_say_on_postgresql_what_they_do_on_sqlite(
    sqlite_posts, postgres_url, tmp_path
):
    sqlite_path, sqlite_printed, started = sqlite_posts
    # The same snapshots (each capture names the file it was replayed from).
    assert posts_written(postgres_url, sqlite_path.parent, started) == sqlite_printed
    said_on_sqlite = what_posts_commands_say(str(sqlite_path), started)
    assert what_posts_commands_say(postgres_url, started) == said_on_sqlite
    assert "«记者会»" in said_on_sqlite[3] and said_on_sqlite[-3].startswith("0 {")
    assert said_on_sqlite[-1].startswith("1 Error: no post 9 in the archive")
    on_sqlite = every_row(sqlite_path, started)
    on_postgres = every_row(copied_back(postgres_url, tmp_path), started)
    assert (len(on_sqlite["posts"]), len(on_sqlite["post_versions"]), len(on_sqlite["post_checks"])) == (
        8,
        8,
        10,
    )
    for table in on_sqlite:
        assert on_postgres[table] == on_sqlite[table], table


def test_posts_copied_into_postgresql_are_searched_as_on_sqlite(sqlite_posts, postgres_url):
    sqlite_path, _, started = sqlite_posts
    result = invoke("migrate-archive", str(sqlite_path), postgres_url)
    assert result.exit_code == 0, result.output
    assert what_posts_commands_say(postgres_url, started) == what_posts_commands_say(
        str(sqlite_path), started
    )


def briefing_written(db: str, folder: Path, since: datetime) -> list[str]:
    """The briefing citing posts added, a post attached to its citation without a URL: what the
    commands printed, and what the briefing's report and the posts commands say after."""
    printed = []
    for command in (("add", str(folder / "briefing.txt")), ("attach", "5", CITED_LATER)):
        result = sourcevault(folder, "briefing", *command, db=db)
        assert result.returncode == 0, result.stderr
        printed.append(alike(result.stdout, db, since))
    report = invoke("briefing", "report", "latest", "--json", "--db", db)
    return [*printed, alike(report.output, db, since), *what_posts_commands_say(db, since)]


def test_a_briefing_citing_posts_is_archived_on_postgresql_as_on_sqlite(postgres_url, tmp_path):
    started = datetime.now(UTC).replace(microsecond=0)
    prepare(tmp_path)
    sqlite_path = tmp_path / "archive.db"
    on_sqlite = briefing_written(str(sqlite_path), tmp_path, started)
    assert "briefing 1 version 1: 5 citations" in on_sqlite[0] and '"status": "archived"' in on_sqlite[2]
    assert briefing_written(postgres_url, tmp_path, started) == on_sqlite
    rows_on_sqlite = every_row(sqlite_path, started)
    rows_on_postgres = every_row(copied_back(postgres_url, tmp_path), started)
    assert len(rows_on_sqlite["posts"]) == 5
    # SQLite keeps the never-used fetch queue's sequence as 0, where the copy back keeps no row.
    for rows in (rows_on_sqlite, rows_on_postgres):
        rows["sqlite_sequence"] = [row for row in rows["sqlite_sequence"] if row[1]]
    for table in rows_on_sqlite:
        assert rows_on_postgres[table] == rows_on_sqlite[table], table
