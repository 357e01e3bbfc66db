"""The replay snapshot docs/posts.md runs its examples on (tests/test_docs.py runs them) holds exactly
the synthetic answers it is built from (tests/post_fixtures.py)."""

from __future__ import annotations

from crawler.warc_snapshots import Snapshot
from tests.post_fixtures import REPLAY_SNAPSHOT, replayed_exchanges


def test_the_replayed_snapshot_holds_exactly_the_answers_it_is_built_from():
    snapshot = Snapshot(REPLAY_SNAPSHOT)
    expected = replayed_exchanges()
    assert len(snapshot) == len(expected)
    for exchange in expected:
        found = snapshot.lookup(exchange.method, exchange.url, exchange.request_body)
        assert found is not None, exchange.url
        assert (found.status, found.body) == (exchange.status, exchange.body)
