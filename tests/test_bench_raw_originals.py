"""bench/raw_originals.py, run small: both cases keep the same bodies, read every one back checked
against its sha256, and print their figures and the ratio line docs/benchmarks.md quotes. It runs on
the test server, in databases of its own that it drops.
"""

from __future__ import annotations

import subprocess
import sys

from tests.helpers import ROOT
from tests.postgres_databases import server_url


def test_the_benchmark_keeps_and_reads_back_every_body_both_ways():
    run = subprocess.run(
        [sys.executable, "-m", "bench.raw_originals", "--bodies", "12", "--server", server_url()],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    header, bytea, files, ratios = run.stdout.splitlines()
    assert header.split()[:3] == ["case", "bodies", "body"]
    assert bytea.split()[:2] == ["bytea", "12"] and files.split()[:2] == ["files", "12"]
    assert bytea.split()[2] == files.split()[2]  # the same bodies, MiB for MiB
    assert ratios.startswith("raw originals at 12 bodies: files/bytea write rate ")
