"""bench/search_backends.py's SQLite archive: one written in two goes (a build stopped part way, then
continued with --sqlite) is the archive written in one go, and an archive of other articles is
refused. Small: tens of articles from bench/corpus's real paragraphs alone (the fixtures' take
seconds to extract).
"""

from __future__ import annotations

import gzip
import json
import sqlite3
from pathlib import Path

import pytest

from bench import search_backends
from bench.search import CORPUS


def corpus_paragraphs() -> list[str]:
    with gzip.open(CORPUS, "rt", encoding="utf-8") as lines:
        bodies = [json.loads(line)["body"] for line in lines]
    return sorted({paragraph for body in bodies for paragraph in body.split("\n\n") if len(paragraph) >= 8})


@pytest.fixture(autouse=True)
def paragraphs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search_backends, "real_paragraphs", corpus_paragraphs)


def archived(path: Path) -> list[list[tuple[object, ...]]]:
    """The articles, their fingerprints and cluster links, as the bench wrote them."""
    with sqlite3.connect(path) as connection:
        return [
            connection.execute(query).fetchall()
            for query in (
                "SELECT id, url, title, body, published_at, outlet, cluster_id FROM articles ORDER BY id",
                "SELECT article, signature FROM article_minhashes ORDER BY article",
                "SELECT article, linked_article, similarity, reason FROM cluster_links ORDER BY id",
            )
        ]


def test_a_build_continued_is_the_build_written_in_one_go(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    search_backends.build_sqlite(tmp_path / "one-go.db", 45, seed=1)
    search_backends.build_sqlite(tmp_path / "two-goes.db", 20, seed=1)
    capsys.readouterr()
    search_backends.build_sqlite(tmp_path / "two-goes.db", 45, seed=1)

    assert capsys.readouterr().out.startswith("45 of 45 articles written (")
    one_go = archived(tmp_path / "one-go.db")
    assert len(one_go[0]) == 45
    assert archived(tmp_path / "two-goes.db") == one_go


def test_an_archive_of_other_articles_is_not_continued(tmp_path: Path):
    search_backends.build_sqlite(tmp_path / "search.db", 10, seed=1)

    with pytest.raises(
        SystemExit, match=r"search\.db: its article 10 is not synthetic article 10 of seed 2$"
    ):
        search_backends.build_sqlite(tmp_path / "search.db", 15, seed=2)
    assert len(archived(tmp_path / "search.db")[0]) == 10
