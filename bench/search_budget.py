"""Hostile searches against the search budget, on an archive bench/search.py built.

Each hostile query is searched as `sourcevault search` searches it (parsed with its budget: repeated
terms once, at most 8 terms, 2 of them single characters; under the time limit), and, as the
reference beside it, with the same terms searched as given (no budget; stopped after
--reference-limit seconds, which FTS5 lets SQLite notice only between its own steps). Then
`sourcevault serve` runs on the archive: a small page is timed alone, and again while four clients
search the worst query the budget allows, over and over.

    python bench/search.py --articles 10000 --keep /tmp/search-10k
    python bench/search_budget.py /tmp/search-10k/search.db
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

from crawler.archive import Archive
from crawler.search.query import QueryError, QueryTerm, SearchQuery, parse_query
from crawler.search.results import SEARCH_TIME_LIMIT_SECONDS, SearchTimeout, search, time_limit
from crawler.search.tokens import normalise

# The most common characters and words of Chinese news text: each is in nearly every article.
COMMON_CHARACTERS = (
    "的一是不了在人有我他这个们中来上大为和国地到以说时要就出会可也你对"
    "生能而子那得于着下自之年过发后作里用道行"
)
COMMON_WORDS = ("中国", "一个", "国家", "工作", "表示", "进行", "问题", "人民", "记者", "发展")
WORST_ALLOWED = " ".join([*COMMON_CHARACTERS[:2], *COMMON_WORDS[:6]])
HOSTILE = {
    "的 ×500 (issue 13)": "的 " * 500,
    "common characters ×60": " ".join(COMMON_CHARACTERS),
    "2 characters + 6 words": WORST_ALLOWED,
    "8 common words": " ".join(COMMON_WORDS[:8]),
    "the most common character": "的",
    "phrase of 998 characters": '"' + (COMMON_CHARACTERS * 20)[:998] + '"',
    "1,000 characters, no space": (COMMON_CHARACTERS * 20)[:1000],
    "FTS5 syntax as text": "NEAR(的 是, 5) OR title:的",
}
SERVE_CLIENTS = 4
PAGE_SAMPLES = 7


def as_given(text: str) -> SearchQuery:
    """The reference: every space-separated piece a term, repeated ones and all, no cap."""
    pieces = [piece for piece in text.split() if re.search(r"[^\W_]", piece)]
    return SearchQuery(tuple(QueryTerm(normalise(piece), normalise(piece)) for piece in pieces))


def timed(connection, query: SearchQuery, seconds: float) -> tuple[float, str]:
    started = time.perf_counter()
    try:
        with time_limit(connection, seconds):
            found = search(connection, query)
    except SearchTimeout:
        return time.perf_counter() - started, "stopped"
    return time.perf_counter() - started, f"{found.total:,} matches"


def measure_queries(path: Path, reference_limit: float) -> None:
    with Archive(path, readonly=True) as archive:
        (articles,) = archive.connection.execute("SELECT count(*) FROM articles").fetchone()
        print(f"{articles:,} articles in {path}; time limit {SEARCH_TIME_LIMIT_SECONDS:g} s\n")
        print(f"{'query':<30}{'terms':>6}{'budget s':>10}  {'outcome':<44}{'reference s':>12}  outcome")
        for name, text in HOSTILE.items():
            reference = as_given(text)
            ref_seconds, ref_outcome = timed(archive.connection, reference, reference_limit)
            try:
                query = parse_query(text)
            except QueryError as refused:
                seconds, outcome, terms = 0.0, f"refused: {str(refused)[:34]}…", "-"
            else:
                seconds, outcome = timed(archive.connection, query, SEARCH_TIME_LIMIT_SECONDS)
                terms = str(len(query.terms))
            print(
                f"{name:<30}{terms:>6}{seconds:>10.3f}  {outcome:<44}{ref_seconds:>12.3f}  {ref_outcome}"
                f" ({len(reference.terms)} terms)"
            )


def fetch_seconds(url: str) -> float:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=600) as response:
        response.read()
    return time.perf_counter() - started


def measure_serve(path: Path) -> None:
    command = [str(Path(sys.executable).parent / "sourcevault"), "serve", "--db", str(path), "--port", "0"]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert server.stdout is not None
        for line in server.stdout:
            if found := re.search(r"at (http://127\.0\.0\.1:\d+)/ ", line):
                base = found.group(1)
                break
        page = f"{base}/archive/outlets.json?_shape=array"
        fetch_seconds(page)
        alone = statistics.median(fetch_seconds(page) for _ in range(PAGE_SAMPLES))
        stop = threading.Event()
        searches: list[float] = []

        def hostile_client() -> None:
            while not stop.is_set():
                try:
                    searches.append(fetch_seconds(f"{base}/-/search?q={quote(WORST_ALLOWED)}"))
                except OSError:
                    searches.append(float("nan"))

        clients = [threading.Thread(target=hostile_client) for _ in range(SERVE_CLIENTS)]
        for client in clients:
            client.start()
        time.sleep(1)
        during = statistics.median(fetch_seconds(page) for _ in range(PAGE_SAMPLES))
        stop.set()
        for client in clients:
            client.join()
    finally:
        server.terminate()
        server.wait()
    print(
        f"\nserve: {page.split('/', 3)[3]} takes {alone * 1000:.1f} ms alone, {during * 1000:.1f} ms while"
        f" {SERVE_CLIENTS} clients search {WORST_ALLOWED!r} (x{during / alone:.1f}); those searches took"
        f" {statistics.median(searches):.2f} s (median of {len(searches)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("archive", type=Path, help="search.db of bench/search.py --keep")
    parser.add_argument("--reference-limit", type=float, default=60.0)
    arguments = parser.parse_args()
    measure_queries(arguments.archive, arguments.reference_limit)
    measure_serve(arguments.archive)


if __name__ == "__main__":
    main()
