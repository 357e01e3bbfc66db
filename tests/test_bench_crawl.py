"""bench/crawl.py and its site, cheaply: the site is what the bench's docstring says it is, and a
whole run at 30 pages crawls every page with each of the three crawlers and a reference checkout's
sourcevault, and ends with the ratio line. The benchmark's figures (minutes of crawls) are in
docs/benchmarks.md, not asserted here."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

from bench.crawl import SEED
from bench.crawl_site import CREDITS, OUTLETS, stories
from crawler.language import tag_text
from tests.helpers import ROOT

PAGES = 1_000
CRAWLERS = "bare Scrapy|hand-written|sourcevault|reference"


def test_the_site_mixes_new_stories_with_exact_and_near_copies_across_outlets():
    outlets_of: dict[int, set[str]] = {}
    exact = near = 0
    new: list[tuple[str, str]] = []
    for path, story in stories(PAGES, SEED):
        slug = path.split("/")[1]
        if id(story) in outlets_of:
            assert outlets_of[id(story)] - {slug}, "an exact copy is of another outlet's article"
            exact += 1
        elif story.paragraphs[-1] in CREDITS:
            near += 1
        else:
            new.append((slug, "\n\n".join(story.paragraphs)))
            assert sum(map(len, story.paragraphs)) >= 300
        outlets_of.setdefault(id(story), set()).add(slug)
    assert 0.03 * PAGES <= exact <= 0.07 * PAGES
    assert 0.03 * PAGES <= near <= 0.07 * PAGES
    scripts = {(OUTLETS[slug], tag_text(body).script) for slug, body in new[:300]}
    assert scripts == {("Hant", "Hant"), ("Hans", "Hans"), ("both", "Hant"), ("both", "Hans")}


def test_a_run_crawls_every_page_four_ways_and_ends_with_the_ratios(tmp_path):
    # The reference: a copy of this checkout's code, so that it is another directory's that runs.
    reference = tmp_path / "before"
    for package in ("crawler", "pipelines", "config"):
        shutil.copytree(ROOT / package, reference / package, ignore=shutil.ignore_patterns("__pycache__"))
    run = subprocess.run(
        [sys.executable, "-m", "bench.crawl", "--pages", "30", "--reference", str(reference)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    lines = run.stdout.splitlines()
    fetched = {
        match["crawler"]: int(match["fetched"])
        for line in lines
        if (match := re.match(rf"\s*30\s+(?P<crawler>{CRAWLERS})\s+(?P<fetched>\d+)", line))
    }
    assert fetched == {"bare Scrapy": 30, "hand-written": 30, "sourcevault": 30, "reference": 30}
    assert lines[0] == f"reference: the sourcevault of {reference}"
    assert any(
        re.fullmatch(r"\s+sourcevault/reference: pages/s \d+\.\d\dx, CPU/page .*", line) for line in lines
    )
    assert re.fullmatch(
        r"crawl ratios at 30 pages: sourcevault/hand-written \d+\.\d\d, sourcevault/bare \d+\.\d\d", lines[-1]
    )
