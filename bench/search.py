"""Chinese search at scale: latency, recall, index size and build rate, from 10,000 to 100,000 articles.

The archive is synthetic, made of real text: the paragraphs of the real fixture pages
(tests/fixtures) and of the pages in bench/corpus (see its SOURCES.md), recombined at random into
articles of 300 to 3,000 characters, every other one turned Traditional with OpenCC (s2twp), and
written through the archive's own write path (`Archive.store`: capture, raw original, article,
and its search index rows), a hundred articles per transaction. A few thousand distinct
paragraphs recombined make every word far more common than in a real archive of that size, so
match counts, and with them ranking costs, are pessimistic.

Queries are cut from the articles' Simplified text at random positions (common characters come up
as often as they occur): 1, 2 and 4 Chinese characters, and "phrases" of 5 to 8 characters with
punctuation inside, searched quoted. Latency is `crawler.search.results.search` as `sourcevault search`
calls it (count, rank by bm25, 20 articles read back with their snippets), the median of three
runs per query after a warm-up; the reference beside it is a substring scan of every article in
SQLite (instr() over the Simplified title and body), which also gives the set recall is measured
against. Archive writes are timed against an archive without the search index's triggers (so nothing is
indexed), batch by batch in the same run.

    python bench/search.py [--articles 100000] [--first 10000] [--queries 40] [--keep DIR]
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import random
import re
import statistics
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import opencc

from crawler.archive import Archive
from crawler.items import Capture
from crawler.language import tag_article
from crawler.outlet_tools.fixtures import discover_fixtures
from crawler.pages import Article, Extraction
from crawler.registry import Outlet, load_registry
from crawler.search.query import parse_query
from crawler.search.results import RANK_WINDOW, matching_article_ids, search
from crawler.search.tokens import filter_tokens, index_text

CORPUS = Path(__file__).resolve().parent / "corpus" / "generic_bodies.jsonl.gz"
BATCH = 100
RUNS_PER_QUERY = 3
CLASSES = ("1-char", "2-char", "4-char", "phrase")
CJK_RUN = re.compile(r"^[\u3400-\u9fff]+$")
PHRASE = re.compile(r"^[\u3400-\u9fff]+[^\w\s]+[\u3400-\u9fff]+$")
TARGET_P95_MS = 50


def real_paragraphs() -> list[str]:
    """Paragraphs of the real fixture articles and of bench/corpus, each once."""
    registry = load_registry()
    bodies = [
        extraction.article.body
        for fixture in discover_fixtures()
        if fixture.record["page"]["kind"] != "synthetic"
        and (extraction := fixture.extract(registry)).article is not None
        and extraction.article.body
    ]
    with gzip.open(CORPUS, "rt", encoding="utf-8") as lines:
        bodies += [json.loads(line)["body"] for line in lines]
    return sorted({paragraph for body in bodies for paragraph in body.split("\n\n") if len(paragraph) >= 8})


def synthetic_articles(
    paragraphs: list[str], slugs: list[str], count: int, seed: int, first: int = 1
) -> Iterator[Article]:
    """Articles 1 to `count` made from `seed`, from article `first` on (those before it drawn, not made)."""
    rng = random.Random(seed)
    traditional = opencc.OpenCC("s2twp")
    first_day = date(2015, 1, 1)
    for number in range(1, count + 1):
        target = rng.randint(300, 3_000)
        chosen: list[str] = []
        while sum(map(len, chosen)) < target:
            chosen.append(rng.choice(paragraphs))
        title = re.split(r"[，。！？]", rng.choice(paragraphs))[0][:30]
        published = first_day + timedelta(days=rng.randrange(3_650))
        hour = rng.randrange(24)
        if number < first:
            continue
        body = "\n\n".join(chosen)
        if number % 2:
            title, body = traditional.convert(title), traditional.convert(body)
        outlet = slugs[number % len(slugs)]
        url = f"https://bench.invalid/{outlet}/{number}"
        yield Article(
            url=url,
            canonical_url=url,
            outlet=outlet,
            article_id=str(number),
            edition="",
            title=title,
            body=body,
            published_at=f"{published.isoformat()}T{hour:02d}:00:00+08:00",
            extractor="bench-synthetic",
        )


def capture_of(article: Article, outlet: Outlet) -> Capture:
    page = f"<html><body><h1>{article.title}</h1><p>{article.body}</p></body></html>".encode()
    capture = Capture(
        outlet=article.outlet or "",
        page_kind="article",
        url=article.url or "",
        fetched_at=datetime(2026, 11, 1, tzinfo=UTC),
        final_url=article.url,
        http_status=200,
        response_headers=[("Content-Type", "text/html; charset=utf-8")],
        body=page,
    )
    capture.extraction = Extraction(tag_article(article, outlet), None, "utf-8")
    return capture


def write_batch(archive: Archive, captures: list[Capture]) -> float:
    started = time.perf_counter()
    with archive.db.atomic():
        for capture in captures:
            archive.store(capture, run_id=None)
    return time.perf_counter() - started


def sample_queries(archive: Archive, count: int, seed: int) -> dict[str, list[str]]:
    rng = random.Random(seed)
    (last,) = archive.db.execute("SELECT max(id) FROM articles").fetchone()
    wanted = {"1-char": 1, "2-char": 2, "4-char": 4}
    queries: dict[str, list[str]] = {name: [] for name in CLASSES}
    while any(len(found) < count for found in queries.values()):
        (text,) = archive.db.execute(
            "SELECT body_simplified FROM articles WHERE id = ?", [rng.randint(1, last)]
        ).fetchone()
        name = rng.choice([name for name in CLASSES if len(queries[name]) < count])
        length = wanted.get(name) or rng.randint(5, 8)
        start = rng.randrange(max(len(text) - length, 1))
        piece = text[start : start + length]
        if (PHRASE if name == "phrase" else CJK_RUN).match(piece) and len(piece) == length:
            queries[name].append(f'"{piece}"' if name == "phrase" else piece)
    return queries


def scan(archive: Archive, query: str) -> tuple[set[int], float]:
    """The reference: every article whose Simplified title or body holds the text, and how long it took."""
    text = query.strip('"')
    started = time.perf_counter()
    rows = archive.db.execute(
        "SELECT id FROM articles WHERE instr(coalesce(title_simplified, title), ?) > 0"
        " OR instr(coalesce(body_simplified, body), ?) > 0",
        [text, text],
    ).fetchall()
    return {article_id for (article_id,) in rows}, time.perf_counter() - started


Results = dict[str, dict[str, float]]


def measure(archive: Archive, queries: dict[str, list[str]]) -> Results:
    connection = archive.db.conn
    results = {}
    for name, texts in queries.items():
        latencies, scans, matches, windowed, recalls = [], [], [], 0, []
        for text in texts:
            query = parse_query(text)
            search(connection, query)
            runs = []
            for _ in range(RUNS_PER_QUERY):
                started = time.perf_counter()
                found = search(connection, query)
                runs.append(time.perf_counter() - started)
            latencies.append(statistics.median(runs) * 1000)
            expected, scanned = scan(archive, text)
            scans.append(scanned * 1000)
            matched = set(matching_article_ids(connection, query))
            recalls.append(len(expected & matched) / len(expected) if expected else 1.0)
            matches.append(found.total)
            windowed += found.ranked < found.total
        latencies.sort()
        results[name] = {
            "p50": statistics.median(latencies),
            "p95": latencies[min(len(latencies) - 1, round(0.95 * (len(latencies) - 1)))],
            "matches": statistics.median(matches),
            "windowed": windowed,
            "scan_p50": statistics.median(scans),
            "recall": min(recalls),
        }
    return results


def print_latency(size: int, results: Results) -> None:
    for name, row in results.items():
        print(
            f"{name:<8}{size:>9,}{row['p50']:>8.1f}{row['p95']:>8.1f}{row['matches']:>11,.0f}"
            f"{int(row['windowed']):>10}{row['scan_p50']:>10.0f}{row['scan_p50'] / row['p50']:>9.0f}"
            f"{row['recall']:>8.3f}"
        )


def index_size(archive: Archive) -> tuple[int, int]:
    (index_bytes,) = archive.db.execute(
        "SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'article\\_search%' ESCAPE '\\'"
    ).fetchone()
    (text_bytes,) = archive.db.execute(
        "SELECT sum(length(CAST(title AS BLOB)) + length(CAST(body AS BLOB))) FROM articles"
    ).fetchone()
    return index_bytes, text_bytes


def rebuild_index(archive: Archive) -> float:
    """Empty the index and fill it again from every article, as migration m005 does."""
    archive.connection.create_function("sourcevault_search_text", 1, index_text, deterministic=True)
    archive.connection.create_function("sourcevault_search_filters", 3, filter_tokens, deterministic=True)
    started = time.perf_counter()
    with archive.db.atomic():
        archive.db.execute("INSERT INTO article_search (article_search) VALUES ('delete-all')")
        archive.db.execute(
            "INSERT INTO article_search (rowid, title, body, filters) SELECT id,"
            " sourcevault_search_text(coalesce(title_simplified, title)),"
            " sourcevault_search_text(coalesce(body_simplified, body)),"
            " sourcevault_search_filters(outlet, language_tag, published_at) FROM articles"
        )
    return time.perf_counter() - started


def print_index(archive: Archive, articles: int) -> None:
    index_bytes, text_bytes = index_size(archive)
    archive_bytes = archive.path.stat().st_size
    print(
        f"index at {articles:,} articles: {index_bytes / 1e6:,.0f} MB = {index_bytes / text_bytes:.2f} x the"
        f" text ({text_bytes / 1e6:,.0f} MB of UTF-8); archive file {archive_bytes / 1e6:,.0f} MB"
    )


def print_results(first_size: int, first: Results, size: int, last: Results, queries: int) -> None:
    print(f"\nlatency in ms, {queries} queries per class; scan: a substring scan of every article")
    header = ("class", "articles", "p50", "p95", "matches", "windowed", "scan p50", "x faster", "recall")
    print(
        f"{header[0]:<8}{header[1]:>9}"
        + "".join(
            f"{name:>{width}}" for name, width in zip(header[2:], (8, 8, 11, 10, 10, 9, 8), strict=True)
        )
    )
    print_latency(first_size, first)
    print_latency(size, last)
    print(f"\ngrowth {first_size:,} -> {size:,} articles ({size / first_size:.0f}x)")
    for name in CLASSES:
        growth = (last[name]["p50"] / first[name]["p50"], last[name]["p95"] / first[name]["p95"])
        print(f"{name:<8} p50 x{growth[0]:.2f}   p95 x{growth[1]:.2f}")
    worst = max(row["p95"] for row in last.values())
    recall = min(row["recall"] for row in [*first.values(), *last.values()])
    verdict = "met" if worst <= TARGET_P95_MS and recall == 1.0 else "NOT met"
    print(
        f"target p95 <= {TARGET_P95_MS} ms at {size:,} articles with recall 1.0: {verdict}"
        f" (worst p95 {worst:.1f} ms, lowest recall {recall:.3f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--first", type=int, default=10_000, help="Size of the first measurement.")
    parser.add_argument("--queries", type=int, default=40, help="Queries per class.")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="Keep the archives in this folder.")
    arguments = parser.parse_args()

    registry = load_registry()
    paragraphs = real_paragraphs()
    print(
        f"synthetic articles from {len(paragraphs):,} real paragraphs ({sum(map(len, paragraphs)):,}"
        f" characters), every other one Traditional; rank window {RANK_WINDOW:,}"
    )
    folder = arguments.keep or Path(tempfile.mkdtemp(prefix="sourcevault-search-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    archive, reference = Archive(folder / "search.db"), Archive(folder / "no-index.db")
    for opened in (archive, reference):
        opened.sync_outlets(registry)
    for trigger in ("insert", "update", "delete", "replace"):
        reference.db.execute(f"DROP TRIGGER article_search_{trigger}")
    articles = synthetic_articles(paragraphs, registry.slugs, arguments.articles, arguments.seed)

    def next_batch() -> list[Capture]:
        return [
            capture_of(article, registry.get(article.outlet or ""))
            for article in itertools.islice(articles, BATCH)
        ]

    with_index = without_index = 0.0
    written = 0
    while written < arguments.first:
        captures = next_batch()
        with_index += write_batch(archive, captures)
        without_index += write_batch(reference, captures)
        written += len(captures)
    reference.close()
    print(
        f"archive writes, {written:,} articles in batches of {BATCH}: {written / with_index:,.0f} articles/s"
        f" with the search index, {written / without_index:,.0f}/s without: x{with_index / without_index:.2f}"
        " the time"
    )
    queries = sample_queries(archive, arguments.queries, arguments.seed)
    first = measure(archive, queries)
    print_index(archive, written)

    started = time.perf_counter()
    while written < arguments.articles:
        captures = next_batch()
        write_batch(archive, captures)
        written += len(captures)
    print(f"grown to {written:,} articles in {time.perf_counter() - started:,.0f} s")
    last = measure(archive, queries)
    print_index(archive, written)
    rebuild_seconds = rebuild_index(archive)
    query = "SELECT sum(length(title) + length(body)) FROM articles"
    (characters,) = archive.db.execute(query).fetchone()
    print(
        f"index rebuilt from {written:,} articles in {rebuild_seconds:,.0f} s:"
        f" {written / rebuild_seconds:,.0f} articles/s,"
        f" {characters / rebuild_seconds / 1e6:.2f} M characters/s"
    )
    archive.close()
    print_results(arguments.first, first, written, last, arguments.queries)
    if not arguments.keep:
        for path in folder.iterdir():
            path.unlink()
        folder.rmdir()


if __name__ == "__main__":
    main()
