"""Chinese search on SQLite and on PostgreSQL side by side: latency per query class, recall against a
substring scan, whether both give the same answers, index and archive size, and the PostgreSQL index's
build rate.

The SQLite archive is bench/search.py's (synthetic articles recombined from real paragraphs, every
other one Traditional, written through `Archive.store` with its FTS5 index). It is copied into a
new PostgreSQL database with `sourcevault migrate-archive`, which builds its search index; the
index is then built again, timed (`crawler.search.postgres.index_unindexed_articles`). The same
queries (bench/search.py's classes, cut from the articles at random) run on both as `sourcevault
search` calls them (count, rank by bm25 among the newest RANK_WINDOW, 20 articles read back with
snippets): `results.search` on SQLite, `postgres.search` on PostgreSQL, the median of three runs
after a warm-up. SQLite is the reference: `x sqlite` is PostgreSQL's time over SQLite's (p50/p95);
`same` counts the queries whose hits (ids, order, scores) are identical on both. Recall is against
a substring scan in SQLite.

    python bench/search_backends.py --server postgresql://postgres@127.0.0.1:5432/postgres
        [--articles 10000] [--queries 40] [--sqlite FILE] [--no-rebuild]
    python bench/search_backends.py --copied postgresql://…/srch_bench_100000 --sqlite FILE

--copied URL measures a PostgreSQL archive the SQLite one was already copied into (by an earlier
run, kept; upgraded since, perhaps): no new copy, its article count checked against the file's.

--sqlite FILE keeps the archive: one bench/search.py kept, or one this bench wrote, is reused as it
is; one holding fewer than --articles articles (a build stopped part way) is first continued to
--articles, identical to one written in one go.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from sqlalchemy import Connection, create_engine, make_url, text  # noqa: E402

from bench.search import (  # noqa: E402
    BATCH,
    CLASSES,
    RUNS_PER_QUERY,
    capture_of,
    index_size,
    real_paragraphs,
    sample_queries,
    scan,
    synthetic_articles,
    write_batch,
)
from crawler.archive import Archive  # noqa: E402
from crawler.archive.model import SEARCH_TABLES  # noqa: E402
from crawler.archive.postgres.connection import engine_url  # noqa: E402
from crawler.registry import load_registry  # noqa: E402
from crawler.search import postgres, results  # noqa: E402
from crawler.search.query import SearchQuery, parse_query  # noqa: E402

DATABASE = "srch_bench_{articles}"
SOURCEVAULT = Path(sys.executable).with_name("sourcevault")


def copy_archive(path: Path, url: str) -> None:
    """The SQLite archive copied into PostgreSQL as a user copies it: `sourcevault migrate-archive`."""
    subprocess.run(
        [str(SOURCEVAULT), "migrate-archive", str(path), url], check=True, stderr=subprocess.DEVNULL
    )


def rebuild_index(url: str) -> float:
    """Empty PostgreSQL's search index and build it again from every article; return the seconds."""
    engine = create_engine(engine_url(url))
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {', '.join(SEARCH_TABLES)}"))
        started = time.perf_counter()
        postgres.index_unindexed_articles(connection)
        seconds = time.perf_counter() - started
    engine.dispose()
    analyze(url)
    return seconds


def analyze(url: str) -> None:
    engine = create_engine(engine_url(url))
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    engine.dispose()


def build_sqlite(path: Path, articles: int, seed: int) -> None:
    """Write synthetic articles into the archive at path until it holds `articles`.

    An archive that holds the first n (a build stopped part way) is continued with n+1 onwards from
    the same generator, so it ends identical to one written in one go; progress goes to stdout.
    """
    registry = load_registry()
    archive = Archive(path)
    archive.sync_outlets(registry)
    (held,) = archive.db.execute("SELECT count(*) FROM articles").fetchone()
    if held >= articles:
        archive.close()
        return
    written = synthetic_articles(real_paragraphs(), registry.slugs, articles, seed, first=max(held, 1))
    if held:
        last = next(written)
        stored = archive.db.execute("SELECT url, title FROM articles WHERE id = ?", [held]).fetchone()
        if stored != (last.url, last.title):
            archive.close()
            sys.exit(f"{path}: its article {held} is not synthetic article {held} of seed {seed}")
    started = time.perf_counter()
    while batch := [
        capture_of(one, registry.get(one.outlet or "")) for one in itertools.islice(written, BATCH)
    ]:
        write_batch(archive, batch)
        held += len(batch)
        if held % 1_000 == 0 or held == articles:
            print(
                f"{held:,} of {articles:,} articles written ({time.perf_counter() - started:,.0f} s)",
                flush=True,
            )
    archive.close()


def new_database(server: str, name: str) -> str:
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return make_url(server).set(database=name).render_as_string(hide_password=False)


Searcher = Callable[[SearchQuery], results.SearchResults]
Row = dict[str, float]


def measure(
    searcher: Searcher,
    ids: Callable[[SearchQuery], list[int]],
    queries: dict[str, list[str]],
    archive: Archive,
) -> tuple[dict[str, Row], dict[str, list[list[tuple[int, float]]]]]:
    figures, answers = {}, {}
    for name, texts in queries.items():
        latencies, matches, recalls, hits = [], [], [], []
        for query_text in texts:
            query = parse_query(query_text)
            searcher(query)
            runs = []
            for _ in range(RUNS_PER_QUERY):
                started = time.perf_counter()
                found = searcher(query)
                runs.append(time.perf_counter() - started)
            latencies.append(statistics.median(runs) * 1000)
            expected, _ = scan(archive, query_text)
            matched = set(ids(query))
            recalls.append(len(expected & matched) / len(expected) if expected else 1.0)
            matches.append(found.total)
            hits.append([(hit.id, hit.score) for hit in found.hits])
        latencies.sort()
        figures[name] = {
            "p50": statistics.median(latencies),
            "p95": latencies[min(len(latencies) - 1, round(0.95 * (len(latencies) - 1)))],
            "matches": statistics.median(matches),
            "recall": min(recalls),
        }
        answers[name] = hits
    return figures, answers


def copy_measured(server: str, path: Path, articles: int, *, rebuild: bool) -> str:
    """A new database on `server` holding a copy of the archive at `path`, its copy timed (and its
    index built again, timed, when `rebuild`): its URL."""
    url = new_database(server, DATABASE.format(articles=articles))
    started = time.perf_counter()
    copy_archive(path, url)
    copied = time.perf_counter() - started
    if not rebuild:
        analyze(url)
        print(f"migrate-archive into PostgreSQL: {copied:,.0f} s")
        return url
    index_seconds = rebuild_index(url)
    print(
        f"migrate-archive into PostgreSQL: {copied:,.0f} s; its search index built again from"
        f" {articles:,} articles in {index_seconds:,.0f} s: {articles / index_seconds:,.0f} articles/s"
    )
    return url


def check_copied(url: str, articles: int) -> None:
    """Refuse a PostgreSQL archive that does not hold as many articles as the SQLite one."""
    engine = create_engine(engine_url(url))
    with engine.connect() as connection:
        held = connection.execute(text("SELECT count(*) FROM articles")).scalar_one()
    engine.dispose()
    if held != articles:
        raise SystemExit(f"--copied {url}: {held:,} articles, the SQLite archive {articles:,}")


def postgres_index_bytes(connection: Connection) -> tuple[int, int]:
    """The article search index's tables (with their TOAST: tokens, search texts, character counts,
    totals) and their indexes (the GIN index, the keys), in bytes."""
    tables = [name for name in SEARCH_TABLES if name.startswith("article_search")]
    return connection.execute(
        text(
            "SELECT CAST(sum(pg_table_size(CAST(name AS regclass))) AS bigint),"
            " CAST(sum(pg_indexes_size(CAST(name AS regclass))) AS bigint)"
            " FROM unnest(CAST(:tables AS text[])) AS name"
        ),
        {"tables": tables},
    ).one()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    server = parser.add_mutually_exclusive_group(required=True)
    server.add_argument("--server", help="postgresql:// URL of a server to make a database on.")
    server.add_argument(
        "--copied", help="postgresql:// URL of an archive the --sqlite one was copied into already."
    )
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=40, help="Queries per class.")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--sqlite",
        type=Path,
        help="Use this SQLite archive, first written up to --articles articles if it holds fewer.",
    )
    parser.add_argument(
        "--no-rebuild",
        action="store_true",
        help="Do not build the PostgreSQL index again (as long again as migrate-archive's own build).",
    )
    arguments = parser.parse_args()

    path = arguments.sqlite or Path(tempfile.mkdtemp(prefix="sourcevault-search-backends-")) / "search.db"
    build_sqlite(path, arguments.articles, arguments.seed)
    archive = Archive(path, readonly=True)
    (articles,) = archive.db.execute("SELECT count(*) FROM articles").fetchone()
    if arguments.copied:
        url = arguments.copied
        check_copied(url, articles)
        analyze(url)
    else:
        url = copy_measured(arguments.server, path, articles, rebuild=not arguments.no_rebuild)
    queries = sample_queries(archive, arguments.queries, arguments.seed)
    engine = create_engine(engine_url(url))
    with engine.connect() as connection:
        on_sqlite, sqlite_hits = measure(
            lambda query: results.search(archive.connection, query),
            lambda query: list(results.matching_article_ids(archive.connection, query)),
            queries,
            archive,
        )
        on_postgres, postgres_hits = measure(
            lambda query: postgres.search(connection, query),
            lambda query: list(postgres.matching_article_ids(connection, query)),
            queries,
            archive,
        )
        table_bytes, index_bytes = postgres_index_bytes(connection)
        database_bytes = connection.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
    engine.dispose()
    sqlite_bytes, text_bytes = index_size(archive)
    print(
        f"index at {articles:,} articles: SQLite FTS5 {sqlite_bytes / 1e6:,.0f} MB; PostgreSQL"
        f" {(table_bytes + index_bytes) / 1e6:,.0f} MB (tables {table_bytes / 1e6:,.0f} MB: tokens, search"
        f" texts, character counts; their indexes {index_bytes / 1e6:,.0f} MB); the text"
        f" {text_bytes / 1e6:,.0f} MB of UTF-8"
    )
    print(
        f"archive at {articles:,} articles: SQLite file {path.stat().st_size / 1e6:,.0f} MB;"
        f" PostgreSQL database {database_bytes / 1e6:,.0f} MB"
    )
    print(
        f"\nlatency in ms, {arguments.queries} queries per class; x sqlite: PostgreSQL's time over SQLite's"
    )
    header = ("p50", "p95", "matches", "recall", "x sqlite", "same")
    widths = (8, 8, 9, 8, 10, 7)
    print(
        f"{'class':<8}{'backend':<12}{'articles':>9}"
        + "".join(f"{n:>{w}}" for n, w in zip(header, widths, strict=True))
    )
    for name in CLASSES:
        same = sum(a == b for a, b in zip(sqlite_hits[name], postgres_hits[name], strict=True))
        for backend, row in (("sqlite", on_sqlite[name]), ("postgresql", on_postgres[name])):
            ratio = f"{row['p50'] / on_sqlite[name]['p50']:.1f}/{row['p95'] / on_sqlite[name]['p95']:.1f}"
            print(
                f"{name:<8}{backend:<12}{articles:>9,}{row['p50']:>8.1f}{row['p95']:>8.1f}{row['matches']:>9,.0f}"
                f"{row['recall']:>8.3f}{ratio if backend != 'sqlite' else '':>10}"
                f"{f'{same}/{len(queries[name])}' if backend != 'sqlite' else '':>7}"
            )
    archive.close()


if __name__ == "__main__":
    main()
