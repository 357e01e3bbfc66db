"""Per-page cost of sourcevault's extraction and storage against bare trafilatura.

Measures, on the real fixture pages of tests/fixtures/outlets (synthetic pages left out),
sourcevault's full per-page processing — decode, parse once, page object with the outlet's
selectors, byline lifting, language and script tagging, then the archive write (capture, raw
body, article in one transaction) — against `trafilatura.bare_extraction` on the same bytes,
interleaved page by page in the same run so machine drift hits both alike. Prints per-page
medians and the ratio.

    python bench/extraction.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import trafilatura

from crawler.archive import Archive
from crawler.extraction import extract_article
from crawler.items import Capture
from crawler.outlet_tools.fixtures import discover_fixtures
from crawler.registry import load_registry


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    arguments = parser.parse_args()

    registry = load_registry()
    pages = [
        (fixture.name, fixture.slug, fixture.url, fixture.body())
        for fixture in discover_fixtures()
        if fixture.record["page"]["kind"] != "synthetic"
    ]
    ours: dict[str, list[float]] = {name: [] for name, *_ in pages}
    theirs: dict[str, list[float]] = {name: [] for name, *_ in pages}
    with tempfile.TemporaryDirectory() as folder, Archive(Path(folder) / "bench.db") as archive:
        archive.sync_outlets(registry)
        for _ in range(arguments.rounds):
            for name, slug, url, body in pages:
                started = time.perf_counter()
                capture = Capture(
                    outlet=slug,
                    page_kind="article",
                    url=url,
                    fetched_at=datetime.now(UTC),
                    final_url=url,
                    http_status=200,
                    body=body,
                    response_headers=[("Content-Type", "text/html; charset=utf-8")],
                )
                capture.extraction = extract_article(
                    body, url=url, outlet=registry.get(slug), fetched_at=capture.fetched_at
                )
                archive.store(capture, run_id=None)
                ours[name].append(time.perf_counter() - started)

                started = time.perf_counter()
                trafilatura.bare_extraction(body, url=url, with_metadata=True, include_comments=False)
                theirs[name].append(time.perf_counter() - started)

    print(f"{len(pages)} real fixture pages, {arguments.rounds} rounds, medians per page in ms")
    print(f"{'page':<62}{'sourcevault':>12}{'trafilatura':>12}{'ratio':>8}")
    for name, _, _, body in pages:
        mine, reference = statistics.median(ours[name]), statistics.median(theirs[name])
        label = f"{name} ({len(body) // 1024} KiB)"
        print(f"{label[:61]:<62}{mine * 1000:>12.2f}{reference * 1000:>12.2f}{mine / reference:>8.2f}")
    total_mine = sum(statistics.median(times) for times in ours.values())
    total_reference = sum(statistics.median(times) for times in theirs.values())
    print(
        f"{'all pages (sum of medians)':<62}{total_mine * 1000:>12.2f}{total_reference * 1000:>12.2f}"
        f"{total_mine / total_reference:>8.2f}"
    )
    print(f"ratio sourcevault / bare trafilatura: {total_mine / total_reference:.2f}x (target <= 1.0x)")


if __name__ == "__main__":
    main()
