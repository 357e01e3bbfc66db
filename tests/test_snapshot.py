"""WARC snapshots: what is written is read back, and the bundled one matches its manifest."""

from __future__ import annotations

import gzip

import pytest

from crawler.cli import DEMO_MANIFEST, DEMO_SNAPSHOT
from crawler.warc_snapshots import Snapshot, SnapshotError, read_manifest
from tests.helpers import ROOT, exchange, make_snapshot


def test_responses_round_trip_and_are_found_by_request(tmp_path):
    page = "<html><body><p>內容</p></body></html>"
    path = make_snapshot(
        tmp_path / "s.warc.gz",
        [
            exchange("https://example.org/a?b=2&a=1", page, headers=[("Content-Encoding", "gzip")]),
            exchange(
                "https://example.org/api",
                '{"page": 1}',
                method="POST",
                request_body=b'{"page": 1}',
                content_type="application/json",
            ),
            exchange(
                "https://example.org/api",
                '{"page": 2}',
                method="POST",
                request_body=b'{"page": 2}',
                content_type="application/json",
            ),
            exchange(
                "https://example.org/moved", "", status=301, headers=[("Location", "https://example.org/a")]
            ),
        ],
    )
    snapshot = Snapshot(path)
    found = snapshot.lookup("GET", "https://example.org/a?a=1&b=2")
    assert found is not None and found.body == page.encode() and found.status == 200
    # The stored body is decoded: its original Content-Encoding must not be applied again.
    assert all(name.lower() != "content-encoding" for name, _ in found.headers)
    assert ("X-Archive-Orig-Content-Encoding", "gzip") in found.headers
    assert snapshot.lookup("POST", "https://example.org/api", b'{"page": 2}').body == b'{"page": 2}'
    assert snapshot.lookup("GET", "https://example.org/moved").status == 301
    assert snapshot.lookup("GET", "https://example.org/elsewhere") is None


def test_bad_snapshot_files_are_one_line_errors(tmp_path):
    with pytest.raises(SnapshotError, match="snapshot file not found"):
        Snapshot(tmp_path / "missing.warc.gz")
    junk = tmp_path / "junk.warc.gz"
    junk.write_bytes(gzip.compress(b"this is not a WARC file\n" * 10))
    with pytest.raises(SnapshotError, match="not a readable WARC file"):
        Snapshot(junk)


def test_the_bundled_snapshot_matches_its_manifest():
    snapshot = Snapshot(DEMO_SNAPSHOT)
    expected = list(read_manifest(DEMO_MANIFEST, within=ROOT))
    assert len(snapshot) == len(expected)
    for wanted in expected:
        found = snapshot.lookup(wanted.method, wanted.url, wanted.request_body)
        assert found is not None, wanted.url
        assert (found.status, found.body, found.fetched_at) == (wanted.status, wanted.body, wanted.fetched_at)
