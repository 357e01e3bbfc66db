"""Every writing and reading command on a real PostgreSQL server does what it does on SQLite: the demo
(a crawl and a briefing), a briefing's recheck and attach, reextract and import write the same rows;
report, clusters, duplicates, the briefing's report and export say the same."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from crawler.archive import Archive
from crawler.cli import DEMO_SNAPSHOT
from tests.helpers import invoke, run_sourcevault
from tests.test_postgres_writing import WRITTEN_NOW, every_row, what_commands_say

SHOWN_TIME = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d)?(\+00:00)?")
CITED_LATER = "https://udn.com/news/story/7266/7999001"


# Rows whose ids a backend gives anew after re-extraction deleted them (SQLite takes the largest
# id left plus one, a PostgreSQL sequence never goes back), and the columns that refer to them.
# (table, id column, SQL mapping each id to what identifies its row without it)
RENUMBERED = (
    ("article_versions", "SELECT id, article || '/' || version FROM article_versions"),
    ("clusters", "SELECT cluster_id, min(id) FROM articles WHERE cluster_id IS NOT NULL GROUP BY cluster_id"),
    ("cluster_links", "SELECT id, article || '>' || linked_article FROM cluster_links"),
)
REFERENCES = {
    "article_versions": (
        ("article_versions", "id"),
        ("article_versions", "previous_version_id"),
        ("citations", "article_version_id"),
    ),
    "clusters": (("clusters", "id"), ("articles", "cluster_id")),
    "cluster_links": (("cluster_links", "id"),),
}


def every_row_renumbered(path: Path, since: datetime) -> dict[str, list[tuple]]:
    """`every_row`, with the ids of RENUMBERED rows given as what identifies those rows."""
    rows = every_row(path, since)
    connection = sqlite3.connect(path)
    for renumbered, identify in RENUMBERED:
        identities = dict(connection.execute(identify).fetchall())
        for table, column in REFERENCES[renumbered]:
            names = [name for _, name, *_ in connection.execute(f"PRAGMA table_info({table})")]
            at = names.index(column)
            rows[table] = sorted(
                (*row[:at], identities.get(row[at], row[at]), *row[at + 1 :]) for row in rows[table]
            )
    connection.close()
    return rows


def said(db: str, since: datetime, *command: str) -> str:
    """What a command printed, the times written since `since` alike, the archive not named."""
    result = invoke(*command, "--db", db)
    assert result.exit_code in (0, 3), result.output
    return alike(result.stdout, db, since)


def alike(printed: str, db: str, since: datetime) -> str:
    """What a command printed, the times written since `since` alike, the archive not named."""

    def shown(found: re.Match[str]) -> str:
        value = found[0].replace(" ", "T")
        written = datetime.fromisoformat(value if found[2] else value + "+00:00")
        return WRITTEN_NOW if written >= since.replace(second=0) else found[0]

    return SHOWN_TIME.sub(shown, printed.replace(db, "DB"))


def what_reading_says(db: str, since: datetime) -> list[str]:
    return [
        said(db, since, *command)
        for command in (
            ("report", "--json"),
            ("clusters",),
            ("duplicates", "1"),
            ("briefing", "report", "latest"),
            ("briefing", "list"),
            ("export", "--format", "csv"),
            ("export", "--query", "颱風"),
        )
    ]


def recheck_and_attach(db: str) -> list[str]:
    """A recheck of the demo's briefing in `db` and a citation attached: what each printed."""
    printed = [
        run_sourcevault("briefing", "recheck", "1", "--db", db, "--replay", str(DEMO_SNAPSHOT)),
        run_sourcevault("briefing", "attach", "9", CITED_LATER, "--db", db, "--replay", str(DEMO_SNAPSHOT)),
    ]
    for result in printed:
        assert result.returncode == 0, result.stderr
    return [result.stdout.replace(db, "DB") for result in printed]


def write_all(db: str) -> list[str]:
    """The demo into `db`, then a recheck of its briefing and a citation attached."""
    demo = run_sourcevault("demo", "--db", db)
    assert demo.returncode == 0, demo.stderr
    return [demo.stdout.replace(db, "DB"), *recheck_and_attach(db)]


def reextract(db: str) -> str:
    result = invoke("reextract", "--db", db)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture(scope="module")
def sqlite_written(demo_run, tmp_path_factory) -> tuple[Path, list[str], datetime]:
    """`write_all` on SQLite: the demo is the run's shared one (tests/conftest.py), a copy of it
    rechecked and attached to here."""
    path = demo_run.copy_to(tmp_path_factory.mktemp("sqlite"))
    demo_printed = demo_run.stdout.replace(str(demo_run.database), "DB")
    return path, [demo_printed, *recheck_and_attach(str(path))], demo_run.started


def copied_back(postgres_url: str, folder: Path) -> Path:
    copy = folder / "copied.db"
    result = invoke("migrate-archive", postgres_url, str(copy))
    assert result.exit_code == 0, result.output
    return copy


def test_the_demo_a_recheck_an_attach_and_reextract_write_on_postgresql_as_on_sqlite(
    sqlite_written, postgres_url, tmp_path, cli
):
    sqlite_path, sqlite_printed, started = sqlite_written
    assert write_all(postgres_url) == sqlite_printed
    assert what_reading_says(postgres_url, started) == what_reading_says(str(sqlite_path), started)
    assert what_commands_say(cli, postgres_url) == what_commands_say(cli, str(sqlite_path))
    assert reextract(postgres_url) == reextract(str(sqlite_path))
    on_sqlite = every_row_renumbered(sqlite_path, started)
    on_postgres = every_row_renumbered(copied_back(postgres_url, tmp_path), started)
    assert len(on_sqlite["citations"]) == 9 and len(on_sqlite["citation_hops"]) > 0
    for table in on_sqlite:
        assert on_postgres[table] == on_sqlite[table], table


def test_import_into_postgresql_archives_what_it_archives_into_sqlite(sqlite_written, postgres_url, tmp_path):
    sqlite_path, _, _ = sqlite_written
    exported = tmp_path / "exported.jsonl"
    assert invoke("export", "--db", str(sqlite_path), "-o", str(exported)).exit_code == 0
    started = datetime.now(UTC).replace(microsecond=0)
    imported = []
    for db in (str(tmp_path / "imported.db"), postgres_url):
        for _ in range(2):
            result = invoke("import", str(exported), "--db", db)
            assert result.exit_code == 0, result.output
            imported.append(result.stdout.replace(db, "DB"))
    assert imported[0] == imported[2] and imported[1] == imported[3]
    assert "16 new" in imported[0] and "16 unchanged" in imported[1]
    on_sqlite = every_row(tmp_path / "imported.db", started)
    on_postgres = every_row(copied_back(postgres_url, tmp_path), started)
    for table in on_sqlite:
        assert on_postgres[table] == on_sqlite[table], table


def test_a_statement_the_server_refuses_half_way_is_one_line(postgres_url):
    Archive(postgres_url).close()
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute("DROP TABLE clusters CASCADE")
    result = run_sourcevault("clusters", "--db", postgres_url)
    assert result.returncode == 1
    assert result.stderr == 'Error: the archive cannot be used: relation "clusters" does not exist\n'
