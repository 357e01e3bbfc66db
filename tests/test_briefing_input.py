"""Bad input to `sourcevault briefing add`: a clear one-line error or warnings naming the line,
never a traceback, and nothing already archived touched.

Files that hold no citation are refused before anything is fetched (in this process, through
click's CliRunner); a briefing with rough edges is added offline, its URLs answered by a replay
snapshot that holds none of them (synthetic, made here).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.briefing_files import BRIEFINGS, scanned_pdf, write
from tests.helpers import exchange, make_snapshot, run_sourcevault

ROUGH = BRIEFINGS / "rough-edges.txt"


def archive_state(path: Path) -> list[tuple]:
    connection = sqlite3.connect(path)
    try:
        return [
            connection.execute(f"SELECT count(*) FROM {table}").fetchone()
            for table in ("briefings", "briefing_versions", "citations", "captures", "articles")
        ]
    finally:
        connection.close()


@pytest.fixture(scope="module")
def rough_archive(tmp_path_factory) -> tuple[Path, str, str]:
    """An archive holding the rough-edged briefing, added offline from an empty replay snapshot."""
    folder = tmp_path_factory.mktemp("rough")
    snapshot = make_snapshot(
        folder / "empty.warc.gz", [exchange("https://example.org/unrelated", "synthetic")]
    )
    database = folder / "archive.db"
    result = run_sourcevault(
        "briefing",
        "add",
        str(ROUGH),
        "--db",
        str(database),
        "--replay",
        str(snapshot),
        "-s",
        "WAYBACK_ENABLED=False",
    )
    assert result.returncode == 0, result.stderr
    return database, result.stdout, result.stderr


@pytest.mark.parametrize(
    "case",
    [
        ("empty.txt", b"", "no citations: an empty file"),
        (
            "no-citations.txt",
            (BRIEFINGS / "no-citations.txt").read_bytes(),
            "no citations: no 'Source:' or 'Sources:' line with a source after it",
        ),
        ("scan.pdf", scanned_pdf(), "no text on any of its 1 page(s): an image-only scan? (run OCR first)"),
        ("briefing.png", b"\x89PNG\r\n\x1a\n" + bytes(64), "a PNG image, not a briefing"),
    ],
)
def test_a_file_with_no_citation_is_one_line_and_touches_nothing(cli, rough_archive, tmp_path, case):
    name, data, message = case
    database = tmp_path / "archive.db"
    database.write_bytes(rough_archive[0].read_bytes())
    before = archive_state(database)
    file = write(tmp_path, name, data)
    result = cli("briefing", "add", str(file), "--db", str(database))
    assert result.exit_code == 1
    assert result.output == f"Error: {file}: {message}\n"
    assert archive_state(database) == before


def test_rough_edges_are_warnings_naming_their_lines_and_citations_with_null_fields(rough_archive):
    database, stdout, stderr = rough_archive
    assert "Traceback" not in stderr
    warnings = [line for line in stderr.splitlines() if line.startswith("warning: ")]
    assert [line.split(": ", 2)[1].removeprefix(f"{ROUGH}:") for line in warnings] == [
        "12",
        "14",
        "18",
        "21",
        "30",
    ]
    assert f"warning: {ROUGH}:18: no date for 'Epoch Times': its claimed date is null" in warnings
    assert all(line.startswith(f"warning: {ROUGH}:") for line in warnings)
    assert "briefing 1 version 1:" in stdout
    report = run_sourcevault("briefing", "report", "1", "--json", "--db", str(database))
    rows = [json.loads(line) for line in report.stdout.splitlines()]
    by_label = {row["label"]: row for row in rows}
    # A Chinese date read; full-width punctuation glued to the URL is not part of it.
    first = rows[0]
    assert (first["claimed_date"], first["url"]) == (
        "2022-03-28",
        "https://news.ltn.com.tw/news/politics/breakingnews/3872002",
    )
    assert by_label["Epoch Times"]["claimed_date"] is None
    assert by_label["Epoch Times"]["url"] == "https://www.epochtimes.com/b5/24/4/13/n14200001.htm"
    # An impossible date is null, the citation kept; nothing fetched offline says why.
    impossible = next(
        row for row in rows if row["url"] == "https://news.ltn.com.tw/news/world/breakingnews/4630002"
    )
    assert impossible["claimed_date"] is None
    assert impossible["status"] == "failed" and impossible["reason"].startswith("not in replay snapshot")
    assert next(row for row in rows if row["label"] == "微博")["status"] == "no_url"
