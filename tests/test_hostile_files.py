"""Hostile files: what the command line is given is read only when it is a regular file, and the
archive's write lock is never written through a symlink nor taken twice through one.

Every command runs in its own process with a timeout, as a user runs it: a FIFO read by mistake
would hang it (the timeout fails the test instead of the suite hanging).
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from crawler import exit_status
from crawler.archive import Archive
from crawler.archive.lock import CrawlLock
from tests.helpers import ROOT, run_sourcevault

# A command refusing a file does so at once; this only bounds a regression that would hang.
SECONDS = 60
DEVICE = "/dev/zero"  # read, it never ends
ARTICLE = (
    "<html><head><meta charset='utf-8'><title>市府舉行防災演習</title></head><body><h1>市府舉行防災演習</h1>"
    "<p>台北市今天舉行年度防災演習，市府動員超過兩千名人員參與，模擬強震後的救援與收容。</p>"
    "<p>市長表示，希望市民熟悉避難路線與集合地點，並備妥緊急避難包。</p></body></html>"
)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return run_sourcevault(*args, timeout=SECONDS)


def one_line(result: subprocess.CompletedProcess[str], status: int = exit_status.FAILED) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == status, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture
def fifo(tmp_path) -> Path:
    path = tmp_path / "pipe"
    os.mkfifo(path)
    return path


# (a case's arguments, given a file that is no regular file and a tmp folder)
FILE_ARGUMENTS: dict[str, Callable[[str, Path], list[str]]] = {
    "--db": lambda bad, tmp: ["stats", "--db", bad],
    "--registry": lambda bad, tmp: ["stats", "--db", str(tmp / "archive.db"), "--registry", bad],
    "import FILE": lambda bad, tmp: ["import", bad, "--db", str(tmp / "archive.db")],
    "extract FILE": lambda bad, tmp: ["extract", bad, "--url", "https://udn.com/news/story/7315/1"],
    "extract --batch": lambda bad, tmp: ["extract", "--batch", bad],
    "crawl --replay": lambda bad, tmp: ["crawl", "--replay", bad, "--db", str(tmp / "archive.db")],
    "snapshot build": lambda bad, tmp: ["snapshot", "build", bad, "-o", str(tmp / "out.warc.gz")],
    "outlets fixture": lambda bad, tmp: ["outlets", "fixture", "udn", bad, "--fixtures", str(tmp)],
}
KINDS = {"fifo": "a FIFO (named pipe)", "device": "a character device", "directory": "a directory"}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("case", FILE_ARGUMENTS)
def test_a_fifo_device_or_directory_given_for_a_file_is_refused_in_one_line(tmp_path, fifo, case, kind):
    bad = {"fifo": str(fifo), "device": DEVICE, "directory": str(tmp_path)}[kind]
    result = run(*FILE_ARGUMENTS[case](bad, tmp_path))
    line = one_line(result)
    # click's own check names a directory its way; every other refusal is sourcevault's.
    assert line in (f"Error: {bad}: {KINDS[kind]}, not a regular file", f"Error: {bad}: a directory")
    assert not (tmp_path / "archive.db").exists() and not (tmp_path / "out.warc.gz").exists()


def test_lang_says_which_file_is_no_regular_file_and_tags_the_others(tmp_path, fifo):
    text = tmp_path / "text.txt"
    text.write_text("臺灣的新聞", encoding="utf-8")
    result = run("lang", str(fifo), DEVICE, str(text))
    assert result.returncode == exit_status.FAILED and "Traceback" not in result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert records[0] == {"file": str(fifo), "error": f"{fifo}: a FIFO (named pipe), not a regular file"}
    assert records[1] == {"file": DEVICE, "error": f"{DEVICE}: a character device, not a regular file"}
    assert records[2]["tag"] == "zh-Hant"


def test_a_batch_goes_on_past_entries_that_cannot_be_read(tmp_path, fifo):
    page = tmp_path / "page.html"
    page.write_text(ARTICLE, encoding="utf-8")
    url = "https://udn.com/news/story/7315/1"
    entries = [
        {"file": "page.html", "url": url},
        {"file": "pipe", "url": url},
        {"file": DEVICE, "url": url},
        {"file": ".", "url": url},
        {"file": "page.html", "url": 12345},
        {"file": ["page.html"]},
    ]
    manifest = tmp_path / "pages.jsonl"
    lines = [json.dumps(entry) for entry in entries] + ["[" * 50_000 + "]" * 50_000]
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run("extract", "--batch", str(manifest))
    assert one_line(result) == f"Error: {manifest}: 6 of 7 entries could not be read"
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert records[0]["title"] == "市府舉行防災演習"
    assert [record.get("error") for record in records[1:]] == [
        f"{tmp_path / 'pipe'}: a FIFO (named pipe), not a regular file",
        f"{DEVICE}: a character device, not a regular file",
        f"{tmp_path}: a directory, not a regular file",
        f'{manifest}:5: expected {{"file": PATH, "url": URL}} (strings)',
        f'{manifest}:6: expected {{"file": PATH, "url": URL}} (strings)',
        f"{manifest}:7: not JSON (nested too deep)",
    ]


def test_a_manifest_naming_a_fifo_is_refused(tmp_path, fifo):
    manifest = tmp_path / "manifest.toml"
    manifest.write_text(
        '[[response]]\nurl = "https://udn.com/news/story/7315/1"\nfetched_at = 2026-11-01T00:00:00Z\n'
        'origin = "synthetic"\nfile = "pipe"\n',
        encoding="utf-8",
    )
    result = run("snapshot", "build", str(manifest), "-o", str(tmp_path / "out.warc.gz"))
    assert one_line(result) == (
        f"Error: {manifest}: response #1: {tmp_path / 'pipe'}: a FIFO (named pipe), not a regular file"
    )


# --- the write lock -----------------------------------------------------------------------------


def test_the_lock_never_follows_a_symlink_planted_in_its_place(tmp_path):
    database = tmp_path / "archive.db"
    Archive(database).close()
    victim = tmp_path / "precious.txt"
    victim.write_text("not to be truncated\n", encoding="utf-8")
    Path(f"{database}.lock").symlink_to(victim)
    records = tmp_path / "records.jsonl"
    records.write_text("", encoding="utf-8")
    result = run("import", str(records), "--db", str(database))
    assert one_line(result) == (
        f"Error: {database}: cannot take the write lock {database}.lock (a symbolic link, not followed)"
    )
    assert victim.read_text(encoding="utf-8") == "not to be truncated\n"


def test_a_fifo_in_the_place_of_the_lock_is_refused(tmp_path):
    database = tmp_path / "archive.db"
    Archive(database).close()
    os.mkfifo(f"{database}.lock")
    result = run(
        "crawl", "--replay", str(ROOT / "crawler" / "demo" / "snapshot.warc.gz"), "--db", str(database)
    )
    assert one_line(result) == (
        f"Error: {database}: cannot take the write lock {database}.lock (not a regular file)"
    )


def test_the_same_archive_through_a_symlink_has_the_same_lock(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    database = real / "archive.db"
    Archive(database).close()
    (tmp_path / "link").symlink_to(real)
    through_link = tmp_path / "link" / "archive.db"
    records = tmp_path / "records.jsonl"
    records.write_text("", encoding="utf-8")
    lock = CrawlLock(database)
    with lock.held("crawl"):
        assert CrawlLock(through_link).path == lock.path == Path(f"{database}.lock")
        result = run("import", str(records), "--db", str(through_link))
    line = one_line(result, exit_status.ARCHIVE_BUSY)
    assert line.startswith(
        f"Error: {through_link}: busy, another sourcevault writes to it (crawl, pid {os.getpid()},"
    )
    assert not Path(f"{through_link}.lock").is_symlink()
