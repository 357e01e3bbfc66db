"""docs/postgresql.md's shell blocks run against the test server, as the page shows them.

The page's `console` blocks run in a fresh clone with the other pages (tests/test_docs.py). Its `sh`
blocks need a PostgreSQL server, so they run here: every `sourcevault`, `pg_dump` and `pg_restore`
line, in the page's order, with the page's example server URL, files and dump name replaced by this
test's. Lines that set up a machine (pip, apt, createuser, systemd units), the long-running `serve`
(which tests/test_archive_moves.py starts on an exported copy), a crawl worker on the network
(tests/test_worker_reliability.py runs workers on a loopback site) and a briefing left to the workers
(tests/test_crawl_workers.py runs one) are listed as not run, so a new
line on the page fails this test until it is run here or listed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import invoke
from tests.postgres_databases import drop_database, new_database, server_url
from tests.test_archive_moves import DOCS_URL, every_row

PAGE = Path(__file__).resolve().parent.parent / "docs" / "postgresql.md"
SH_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.MULTILINE | re.DOTALL)
RUN_PROGRAMS = ("sourcevault ", "pg_dump ", "pg_restore ")
NOT_RUN = (
    "pip install ",  # the test's own environment has the extra
    "sudo ",  # machine set-up: .ci/run installs and starts the server
    "SOURCEVAULT_TEST_POSTGRES=",  # this very suite
    "sourcevault serve ",  # runs until stopped; tests/test_archive_moves.py serves an exported copy
    # crawls the outlets over the network; tests/test_worker_reliability.py runs workers on a loopback site
    "sourcevault crawl --worker ",
    # leaves the cited pages to crawl workers, which tests/test_crawl_workers.py runs on a loopback site
    "sourcevault briefing add weekly-2026-12-01.txt --to-workers ",
    "cp deploy/",  # installing the worker unit, which tests/test_deploy.py checks
    "systemctl ",
)
SERVED_COPY = "/srv/sourcevault/served.db"
SHOWN_DUMP = "archive-2026-12-01.dump"


def shell_lines() -> list[str]:
    return [
        line for block in SH_BLOCK.findall(PAGE.read_text(encoding="utf-8")) for line in block.splitlines()
    ]


def test_every_shell_line_of_the_page_is_run_here_or_named_as_not_run():
    lines = shell_lines()
    assert lines
    for line in lines:
        assert line.startswith(RUN_PROGRAMS + NOT_RUN), (
            f"docs/postgresql.md: {line!r} is neither run nor listed"
        )


def search_answers(db: str, query: str) -> str:
    result = invoke("search", query, "--json", "--db", db)
    assert result.exit_code == 0, result.output
    return result.stdout


def as_run_here(line: str, replacements: dict[str, str], folder: Path) -> str:
    """The page's line with its example server, files and dump name replaced by this test's."""
    for shown, used in replacements.items():
        line = line.replace(shown, used)
    if line.startswith("pg_restore "):
        (dump,) = folder.glob("archive-*.dump")
        line = line.replace(SHOWN_DUMP, dump.name)
    return line


@pytest.fixture
def databases():
    server = server_url()
    made = [new_database(server) for _ in range(2)]
    yield made
    for url in made:
        drop_database(server, url)


def test_the_pages_shell_lines_move_back_up_and_restore_an_archive(databases, demo_run, tmp_path):
    archive_url, restored_url = databases
    (tmp_path / "data").mkdir()
    demo_run.copy_as(tmp_path / "data" / "archive.db")
    replacements = {
        f"{DOCS_URL}_restored": restored_url,
        DOCS_URL: archive_url,
        SERVED_COPY: str(tmp_path / "served.db"),
    }
    environment = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    for shown_line in shell_lines():
        if shown_line.startswith(NOT_RUN):
            continue
        line = as_run_here(shown_line, replacements, tmp_path)
        assert shutil.which(line.split()[0], path=environment["PATH"]), line
        result = subprocess.run(
            ["bash", "-c", line],
            check=False,
            cwd=tmp_path,
            env=environment,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert result.returncode == 0, f"{line}\n{result.stderr}"

    original = tmp_path / "data" / "archive.db"
    assert every_row(tmp_path / "archive-copy.db") == every_row(original)
    for query in ("颱風", "中", "新聞"):
        expected = search_answers(str(original), query)
        assert expected
        for db in (archive_url, restored_url, str(tmp_path / "served.db")):
            assert search_answers(db, query) == expected, (db, query)
