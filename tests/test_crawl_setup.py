"""How a crawl is set up: the registry read once and shared, each outlet's pace bounded by its own delay."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from crawler.cli import DEMO_SNAPSHOT
from crawler.extensions.throttle import adjusted_delay
from tests.helpers import ROOT, run_sourcevault
from tests.loopback import ALLOW_LOOPBACK, LoopbackSite, outlet_toml

# Runs a command of sourcevault or Scrapy in this process, counting the registry files read whole
# (crawler.registry.load_registry reads each through read_entries) and printing the count last.
COUNTING_LOADS = """
import sys
import crawler.registry

loads = []
read_entries = crawler.registry.read_entries

def counted(path):
    loads.append(path)
    return read_entries(path)

crawler.registry.read_entries = counted
try:
    if sys.argv[1] == "scrapy":
        from scrapy.cmdline import execute
        execute(sys.argv[1:])
    else:
        from crawler.cli import main
        main(sys.argv[2:])
finally:
    print(f"registry loads: {len(loads)}", file=sys.stderr)
"""


def registry_loads(*command: str) -> int:
    result = subprocess.run(
        [sys.executable, "-c", COUNTING_LOADS, *command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert result.returncode == 0, result.stderr
    return int(result.stderr.strip().splitlines()[-1].removeprefix("registry loads: "))


@pytest.mark.slow
def test_a_crawl_reads_the_registry_once(tmp_path):
    replay = str(DEMO_SNAPSHOT)
    assert (
        registry_loads("sourcevault", "crawl", "sina", "--replay", replay, "--db", str(tmp_path / "a.db"))
        == 1
    )
    scrapy = ("scrapy", "crawl", "outlets", "-a", "outlets=sina", "-s", f"REPLAY_SNAPSHOT={replay}")
    assert registry_loads(*scrapy, "-s", f"ARCHIVE_PATH={tmp_path / 'b.db'}", "-s", "LOG_LEVEL=WARNING") == 1


def test_autothrottle_never_takes_an_outlet_below_its_own_delay():
    pace = {"target_concurrency": 1.0, "floor": 3.0, "ceiling": 60.0}
    # A fast server would take stock AutoThrottle down towards its latency; the floor holds.
    assert adjusted_delay(3.0, 0.05, 200, **pace) == 3.0
    # A slow one lengthens the delay at once (the target, when above the mean).
    assert adjusted_delay(3.0, 8.0, 200, **pace) == 8.0
    # A registry delay above AUTOTHROTTLE_MAX_DELAY holds too.
    assert adjusted_delay(90.0, 0.05, 200, target_concurrency=1.0, floor=90.0, ceiling=60.0) == 90.0


def test_autothrottle_moves_halfway_and_lets_no_error_shorten_the_delay():
    pace = {"target_concurrency": 2.0, "floor": 0.0, "ceiling": 60.0}
    # Target 1 s (latency 2 s over 2 requests at a time): halfway from 4 s is 2.5 s.
    assert adjusted_delay(4.0, 2.0, 200, **pace) == 2.5
    # Error pages come back fast: a 503 keeps the delay where it was, or lengthens it.
    assert adjusted_delay(4.0, 0.1, 503, **pace) == 4.0
    assert adjusted_delay(1.0, 6.0, 503, **pace) == 3.0
    assert adjusted_delay(1.0, 200.0, 200, **pace) == 60.0


@pytest.mark.slow
def test_autothrottle_paces_each_outlet_from_its_own_delay_up(tmp_path):
    site = LoopbackSite()
    with site.running():
        for slug, latency in (("steady", 0.0), ("sluggish", 0.1)):
            articles = [f"/{slug}/a/{n}" for n in range(1, 4)]
            for path in articles:
                site.add_article(path, f"新聞 {path}")
                if latency:
                    site.fault(path, "late", seconds=latency)
            site.add_feed(f"/{slug}/feed.xml", articles)
        registry = tmp_path / "outlets.toml"
        registry.write_text(
            outlet_toml("steady", site.base_url, feeds=["/steady/feed.xml"], delay=0.2, concurrency=1)
            + outlet_toml("sluggish", site.base_url, feeds=["/sluggish/feed.xml"], delay=0.0),
            encoding="utf-8",
        )
        result = run_sourcevault(
            "crawl",
            "-v",
            "--registry",
            str(registry),
            "--db",
            str(tmp_path / "archive.db"),
            *ALLOW_LOOPBACK,
            "-s",
            "AUTOTHROTTLE_DEBUG=True",
            "-s",
            "DOWNLOAD_TIMEOUT=5",
        )
        assert result.returncode == 0, result.stderr
    delays: dict[str, list[int]] = {"steady": [], "sluggish": []}
    for slot, delay in re.findall(r"slot (\w+): delay (\d+) ms", result.stderr):
        delays.setdefault(slot, []).append(int(delay))
    # One adjustment per response: the feed and three articles of each outlet.
    assert len(delays["steady"]) == len(delays["sluggish"]) == 4
    # A fast server never takes the steady outlet below its registry delay of 0.2 s ...
    assert min(delays["steady"]) >= 200
    # ... and a slow one takes the other above its 0 s: after its feed, each article answered in
    # 0.1 s or more sets a delay of at least that (one request at a time on average).
    assert min(delays["sluggish"][1:]) >= 100
