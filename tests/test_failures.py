"""Every failure a user can meet is one line and an exit status (crawler/exit_status.py).

Each case runs the command as a user would: in its own process where a crawl runs (or a
permission must bind), through CliRunner otherwise. Each checks the exit status, the one line
on stderr, that no traceback is printed, that no lock file is left beside the archive, and
that nothing archived is lost.
"""

from __future__ import annotations

import hashlib
import os
import pty
import re
import shutil
import sqlite3
import subprocess
import threading
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest

from crawler import exit_status
from crawler.archive import Archive
from crawler.cli import DEMO_SNAPSHOT
from tests.helpers import ROOT, SOURCEVAULT, run_sourcevault
from tests.loopback import ALLOW_LOOPBACK, outlet_toml, refused_port
from tests.test_registry import GOOD_ENTRY

DEMO_REGISTRY = ROOT / "config" / "outlets.toml"
# Synthetic: an outlet whose host cannot resolve (.invalid is reserved by RFC 2606, so the
# resolver says so at once), for a crawl that can fetch nothing.
UNRESOLVABLE_OUTLET = (
    GOOD_ENTRY.replace('slug = "example"', 'slug = "nowhere"')
    .replace("example.org", "nowhere.invalid")
    .replace("example\\.org", "nowhere\\.invalid")
)
# A crawl that gives up on a failed fetch at once: the failures, not the retries, are tested.
NO_RETRIES = ("-s", "RETRY_TIMES=0", "-s", "DOWNLOAD_TIMEOUT=10")


@pytest.fixture(scope="module")
def demo_archive(demo_run, tmp_path_factory) -> Path:
    return demo_run.copy_to(tmp_path_factory.mktemp("failures"))


@pytest.fixture
def archive(demo_archive, tmp_path) -> Path:
    """A copy of the demo archive, all of it in one file (no -wal beside it)."""
    path = tmp_path / "archive.db"
    with sqlite3.connect(demo_archive) as source, sqlite3.connect(path) as copy:
        source.backup(copy)
    source.close()
    copy.close()
    return path


def contents(path: Path, where: str = "1") -> str:
    """A digest of what the archive holds (of the outlets `where` picks): captures, originals,
    articles and their versions (not their story clusters, which re-extraction numbers anew)."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    digest = hashlib.sha256()
    for query in (
        f"SELECT * FROM captures WHERE {where} ORDER BY id",
        "SELECT sha256, size_bytes FROM raw_bodies ORDER BY sha256",
        "SELECT id, capture_id, outlet, article_id, edition, url, title, body, published_at, current_version"
        f" FROM articles WHERE {where} ORDER BY id",
        f"SELECT v.* FROM article_versions v JOIN articles a ON a.id = v.article WHERE {where} ORDER BY v.id",
        "SELECT * FROM crawl_runs ORDER BY id",
    ):
        for row in connection.execute(query):
            digest.update(repr(row).encode())
    connection.close()
    return digest.hexdigest()


def one_line(stderr: str, status: int, actual_status: int) -> str:
    """The single line a failure printed, after checking the status and that nothing else was."""
    assert "Traceback" not in stderr, stderr
    assert actual_status == status, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


def assert_no_lock(path: Path) -> None:
    assert not Path(f"{path}.lock").exists()


# --- what the commands say, in this process ---------------------------------------------------------


def newer_archive(archive: Path) -> Path:
    with sqlite3.connect(archive) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    connection.close()
    return archive


def empty_file(tmp_path: Path) -> Path:
    path = tmp_path / "empty.db"
    path.write_bytes(b"")
    return path


def replay_crawl(snapshot: Path, database: Path) -> list[str]:
    return ["crawl", "--replay", str(snapshot), "--db", str(database)]


def truncated_snapshot(tmp_path: Path) -> Path:
    path = tmp_path / "truncated.warc.gz"
    whole = DEMO_SNAPSHOT.read_bytes()
    path.write_bytes(whole[: len(whole) // 2])
    return path


def empty_snapshot(tmp_path: Path) -> Path:
    path = tmp_path / "empty.warc.gz"
    path.write_bytes(b"")
    return path


# (arguments, exit status, the line printed): each made from the copied archive and a tmp_path.
CASES: dict[str, Callable[[Path, Path], tuple[list[str], int, str | re.Pattern[str]]]] = {
    "bad setting": lambda archive, tmp: (
        ["crawl", "--db", str(archive), "-s", "DOWNLOAD_TIMEOUT=abc"],
        exit_status.FAILED,
        "Error: -s DOWNLOAD_TIMEOUT=abc: DOWNLOAD_TIMEOUT takes a number (default: 30)",
    ),
    "stats of an archive a newer sourcevault wrote": lambda archive, tmp: (
        ["stats", "--db", str(newer_archive(archive))],
        exit_status.FAILED,
        f"Error: {archive}: written by a newer sourcevault (schema 9999_from_the_future is unknown to "
        "sourcevault 0.1.0): upgrade sourcevault to use it",
    ),
    "import into an archive a newer sourcevault wrote": lambda archive, tmp: (
        ["import", str(ROOT / "pyproject.toml"), "--db", str(newer_archive(archive))],
        exit_status.FAILED,
        f"Error: {archive}: written by a newer sourcevault (schema 9999_from_the_future is unknown to "
        "sourcevault 0.1.0): upgrade sourcevault to use it",
    ),
    "search of a 0-byte file": lambda archive, tmp: (
        ["search", "台灣", "--db", str(empty_file(tmp))],
        exit_status.FAILED,
        f"Error: {tmp / 'empty.db'}: empty, no archive yet (run `sourcevault crawl` or `demo` first)",
    ),
    "show of a 0-byte file": lambda archive, tmp: (
        ["show", "1", "--db", str(empty_file(tmp))],
        exit_status.FAILED,
        f"Error: {tmp / 'empty.db'}: empty, no archive yet (run `sourcevault crawl` or `demo` first)",
    ),
    "replay of an empty file": lambda archive, tmp: (
        replay_crawl(empty_snapshot(tmp), tmp / "new.db"),
        exit_status.FAILED,
        f"Error: {tmp / 'empty.warc.gz'}: no responses in it (an empty WARC file?)",
    ),
    "replay of a truncated file": lambda archive, tmp: (
        replay_crawl(truncated_snapshot(tmp), tmp / "new.db"),
        exit_status.FAILED,
        # Which record the cut falls in depends on the bundled snapshot's pages.
        re.compile(
            re.escape(f"Error: {tmp / 'truncated.warc.gz'}: truncated: WARC record ") + r"\d+ ends early"
        ),
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_a_failure_is_one_line_and_an_exit_status(cli, archive, tmp_path, case):
    before = contents(archive)
    arguments, status, line = CASES[case](archive, tmp_path)
    result = cli(*arguments)
    printed = one_line(result.stderr, status, result.exit_code)
    assert line.fullmatch(printed) if isinstance(line, re.Pattern) else printed == line
    assert result.stdout == ""
    assert contents(archive) == before
    assert_no_lock(archive)
    assert not (tmp_path / "new.db").exists()


def test_a_batch_entry_that_cannot_be_read_fails_the_batch(cli, tmp_path):
    manifest = tmp_path / "pages.jsonl"
    manifest.write_text('{"file": "missing.html", "url": "https://udn.com/news/story/7315/1"}\n')
    result = cli("extract", "--batch", str(manifest))
    assert one_line(result.stderr, exit_status.FAILED, result.exit_code) == (
        f"Error: {manifest}: 1 of 1 entries could not be read"
    )
    assert "missing.html: No such file or directory" in result.stdout


def test_a_manifest_without_responses_writes_no_snapshot(cli, tmp_path):
    manifest = tmp_path / "manifest.toml"
    manifest.write_text("# nothing yet\n")
    output = tmp_path / "snapshot.warc.gz"
    result = cli("snapshot", "build", str(manifest), "-o", str(output))
    assert one_line(result.stderr, exit_status.FAILED, result.exit_code) == (
        f"Error: {manifest}: no [[response]] tables: nothing to write"
    )
    assert not output.exists()


def test_reextract_leaves_the_outlets_its_registry_lacks_as_they_were(cli, archive, tmp_path):
    registry = tmp_path / "without_cna.toml"
    entries = re.split(r"(?m)^(?=\[\[outlet\]\])", DEMO_REGISTRY.read_text(encoding="utf-8"))
    registry.write_text("".join(entry for entry in entries if 'slug = "cna"' not in entry), encoding="utf-8")
    cna_before = contents(archive, "outlet = 'cna'")
    result = cli("reextract", "--db", str(archive), "--registry", str(registry))
    assert one_line(result.stderr, exit_status.OK, result.exit_code) == (
        # The crawl's page, and the Wayback Machine's copy of the page the demo's briefing finds gone.
        f"warning: {registry} has no outlet 'cna': its archived pages (2) were left as they are"
    )
    assert contents(archive, "outlet = 'cna'") == cna_before
    # The other outlets were extracted again, into the same articles.
    assert "articles unchanged: 14" in result.stdout and "articles removed: 0" in result.stdout
    assert_no_lock(archive)


# --- permissions: in their own process, where they bind -------------------------------------------


def unprivileged() -> list[str]:
    """A prefix under which file permissions bind: root ignores them, unless it drops that power."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv (util-linux): permissions cannot bind")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search", "--"]


def run_unprivileged(*args: str) -> subprocess.CompletedProcess[str]:
    return run_sourcevault(*args, prefix=unprivileged())


@pytest.mark.parametrize(
    "command",
    [
        ["crawl", "--replay", str(DEMO_SNAPSHOT)],
        ["import", str(ROOT / "pyproject.toml")],
        ["reextract"],
    ],
    ids=lambda command: command[0],
)
def test_a_read_only_archive_is_one_line_and_stays_as_it_was(archive, command):
    archive.chmod(0o444)
    before = contents(archive)
    result = run_unprivileged(*command, "--db", str(archive))
    assert one_line(result.stderr, exit_status.FAILED, result.returncode) == (
        f"Error: {archive}: cannot write to the archive (attempt to write a readonly database)"
    )
    assert contents(archive) == before
    assert_no_lock(archive)


def test_an_archive_in_a_read_only_folder_is_one_line(archive, tmp_path):
    folder = tmp_path / "read-only"
    folder.mkdir()
    moved = folder / "archive.db"
    archive.rename(moved)
    folder.chmod(0o555)
    try:
        result = run_unprivileged("crawl", "--replay", str(DEMO_SNAPSHOT), "--db", str(moved))
    finally:
        folder.chmod(0o755)
    assert one_line(result.stderr, exit_status.FAILED, result.returncode) == (
        f"Error: {moved}: cannot take the write lock {moved}.lock (Permission denied)"
    )


def test_search_in_a_read_only_archive_another_tool_edited_warns_and_searches(archive):
    with closing(sqlite3.connect(archive)) as connection, connection:
        connection.execute("UPDATE articles SET title = '颱風遠離' WHERE article_id = '201603190029'")
    archive.chmod(0o444)
    before = contents(archive)
    result = run_unprivileged("search", "台湾", "--db", str(archive))
    assert result.returncode == 0 and "台湾" in result.stdout, result.stderr
    assert result.stderr.strip() == (
        f"warning: {archive}: the edits another SQLite tool made to 1 article(s) are not searchable"
        " until the archive is opened read-write once (any crawl, import or reextract does)"
    )
    assert contents(archive) == before


# --- crawls: a real `sourcevault crawl` process ----------------------------------------------------


def test_a_setting_scrapy_refuses_is_one_line(tmp_path):
    database = tmp_path / "archive.db"
    result = run_sourcevault(
        "crawl", "--replay", str(DEMO_SNAPSHOT), "--db", str(database), "-s", "CONCURRENT_REQUESTS=1.5"
    )
    assert one_line(result.stderr, exit_status.FAILED, result.returncode) == (
        "Error: crawl did not start: ValueError: invalid literal for int() with base 10: '1.5'"
    )
    assert_no_lock(database)


def run_on_a_terminal(*args: str, timeout: float = 120) -> tuple[int, str, str]:
    """`sourcevault ARGS` with stderr on a pseudo-terminal, as an operator runs it: status, stdout, stderr."""
    terminal, child_end = pty.openpty()
    process = subprocess.Popen(
        [str(SOURCEVAULT), *args],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=child_end,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    os.close(child_end)
    shown = bytearray()

    def read_terminal() -> None:
        # Ends when the process closes the terminal (EIO on Linux).
        while True:
            try:
                chunk = os.read(terminal, 65_536)
            except OSError:
                return
            if not chunk:
                return
            shown.extend(chunk)

    reader = threading.Thread(target=read_terminal)
    reader.start()
    try:
        stdout, _ = process.communicate(timeout=timeout)
    finally:
        process.kill()
        reader.join(timeout=10)
        os.close(terminal)
    return process.returncode, stdout.decode(), shown.decode("utf-8", "replace").replace("\r\n", "\n")


def test_a_crawl_that_can_fetch_nothing_says_so_and_exits_4(tmp_path):
    registry = tmp_path / "outlets.toml"
    database = tmp_path / "archive.db"
    with refused_port() as port:
        refused = f"http://127.0.0.1:{port}"
        registry.write_text(
            UNRESOLVABLE_OUTLET
            + outlet_toml("refused", refused, feeds=["/refused/feed.xml"], sitemaps=["/refused/sitemap.xml"]),
            encoding="utf-8",
        )
        status, stdout, terminal = run_on_a_terminal(
            "crawl", "--registry", str(registry), "--db", str(database), *NO_RETRIES, *ALLOW_LOOPBACK
        )
    assert "Traceback" not in terminal, terminal
    assert status == exit_status.NOTHING_FETCHED, terminal
    assert terminal.strip().splitlines()[-1] == (
        "Error: nothing could be fetched: every outlet's discovery failed"
        " (no network? their failures: `sourcevault report`)"
    )
    # One warning per host whose robots.txt failed, whatever the number of its pages. A host
    # whose name does not resolve fails each page before robots.txt is asked for.
    robots = re.findall(r"robots\.txt of (\S+) not fetched", terminal)
    assert robots == [refused.removeprefix("http://")]
    assert "fetch failed: https://news.nowhere.invalid/feed.xml CannotResolveHostError: " in terminal
    # The progress line and the table count the same failures.
    *_, progress = re.findall(
        r"crawling: (\d+) discovery documents \((\d+) failed\) · (\d+) article pages: \d+ articles,"
        r" \d+ not articles, (\d+) failed",
        terminal,
    )
    table = [line.split() for line in stdout.splitlines()[1:3]]
    assert [row[0] for row in table] == ["nowhere", "refused"]
    discovery_failed = sum(int(row[1]) for row in table)
    article_failed = sum(int(row[-2]) for row in table)
    assert progress == ("3", str(discovery_failed), "0", str(article_failed))
    assert discovery_failed == 3
    assert_no_lock(database)
    report = run_sourcevault("report", "--db", str(database))
    assert "run 1: finished, exit 4" in report.stdout
    with Archive(database, readonly=True) as archive:
        assert archive.runs.get()["exit_status"] == exit_status.NOTHING_FETCHED
