"""The read side: what researchers and reports read across tables (stats, story clusters, article
records with where their originals came from, digests of extracted fields)."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Iterator
from typing import Any

from crawler.archive.articles import ARTICLE_JSON_COLUMNS, article_content_columns
from crawler.archive.connection import marks, rows_by_id, to_json

# Where an exported article's original came from, beside the article's own columns.
ORIGIN_COLUMNS = {
    "fetched_at": "c.fetched_at",
    "original_url": "coalesce(c.final_url, c.url)",
    "original_sha256": "c.body_sha256",
    "original_kind": "c.page_kind",
    "original_size_bytes": "c.body_size_bytes",
}
# An article record's columns (`Queries.article_records`), in SQL either backend runs.
ARTICLE_RECORDS = (
    "SELECT a.*, "
    + ", ".join(f"{expression} AS {name}" for name, expression in ORIGIN_COLUMNS.items())
    + " FROM articles a JOIN captures c ON c.id = a.capture_id"
)
# What `stats` counts per outlet, in SQL either backend runs.
STATS_QUERIES = {
    "articles": "SELECT outlet, count(*) FROM articles GROUP BY outlet",
    "captures": "SELECT outlet, count(*) FROM captures GROUP BY outlet",
    "script_mismatches": "SELECT outlet, count(*) FROM articles WHERE script_mismatch = 1 GROUP BY outlet",
}

# An article's title and body at `version` and at its current version, in SQL either backend runs.
TEXT_VERSIONS = (
    "SELECT v.version, v.title, v.body FROM article_versions v WHERE v.article = :article"
    " AND v.version IN (:version, (SELECT current_version FROM articles WHERE id = :article))"
)


def decoded_record(record: dict[str, Any]) -> dict[str, Any]:
    """An article record with its JSON columns decoded."""
    return record | {name: json.loads(record[name]) for name in ARTICLE_JSON_COLUMNS}


def counted_stats(registered: list[str], counts: dict[str, Iterable[tuple[str, int]]]) -> dict[str, Any]:
    """`stats` from the (outlet, count) rows of each of STATS_QUERIES: every `registered` slug
    (counted 0 when absent), then any other outlet the archive holds, and the totals."""
    outlets: dict[str, dict[str, int]] = {slug: dict.fromkeys(STATS_QUERIES, 0) for slug in registered}
    for name, rows in counts.items():
        for outlet, count in rows:
            outlets.setdefault(outlet, dict.fromkeys(STATS_QUERIES, 0))[name] = count
    return {name: sum(counts[name] for counts in outlets.values()) for name in STATS_QUERIES} | {
        "outlets": outlets
    }


class Queries:
    """Read-only queries over one archive's connection."""

    def __init__(self, connection: sqlite3.Connection):
        self.connection = connection

    def article_records(self, article_ids: Iterable[int]) -> Iterator[dict[str, Any]]:
        """Articles as `show --json` and `export` give them: every column of the article (JSON
        columns decoded), then when and where its original was fetched, in the order asked."""
        for record in rows_by_id(self.connection, ARTICLE_RECORDS + " WHERE a.id IN ({ids})", article_ids):
            yield decoded_record(record)

    def text_versions(self, article: int, version: int) -> dict[int, tuple[str | None, str | None]]:
        """The article's (title, body) at `version` and at its current version, by version number."""
        rows = self.connection.execute(TEXT_VERSIONS, {"article": article, "version": version})
        return {number: (title, body) for number, title, body in rows}

    def article_digests(self, outlets: list[str] | None = None) -> dict[tuple[str, str, str], str]:
        """A digest of each article's extracted fields, keyed by (outlet, article_id, edition)."""
        where, params = "", []
        if outlets:
            where = f"WHERE outlet IN ({marks(outlets)})"
            params = list(outlets)
        rows = self.connection.execute(
            f"SELECT outlet, article_id, edition, {', '.join(article_content_columns())}"
            f" FROM articles {where}",
            params,
        )
        return {
            (outlet, article_id, edition): hashlib.sha1(to_json(content).encode()).hexdigest()
            for outlet, article_id, edition, *content in rows
        }

    def clusters(self, since: str | None = None) -> list[dict[str, Any]]:
        """Clusters of two or more articles carrying one story, most recently joined first.

        Each article comes with its strongest link inside the cluster: the article it is
        linked to, their similarity and the reason. `since` (ISO 8601, UTC) keeps the clusters
        an article joined or left at or after that time.
        """
        rows = self.connection.execute(
            "SELECT id, created_at, updated_at FROM clusters WHERE updated_at >= ?"
            " ORDER BY updated_at DESC, id",
            [since or ""],
        ).fetchall()
        return [
            {"cluster_id": cluster, "created_at": created_at, "updated_at": updated_at}
            | {"articles": self._cluster_articles(cluster)}
            for cluster, created_at, updated_at in rows
        ]

    def _cluster_articles(self, cluster: int) -> list[dict[str, Any]]:
        members = self.connection.execute(
            "SELECT id, outlet, edition, url, title, published_at FROM articles WHERE cluster_id = ?"
            " ORDER BY first_seen_at, id",
            [cluster],
        ).fetchall()
        ids = [member[0] for member in members]
        strongest: dict[int, tuple[float, str, int]] = {}
        for article, linked, similarity, reason in self.connection.execute(
            "SELECT article, linked_article, similarity, reason FROM cluster_links"
            f" WHERE article IN ({marks(ids)}) ORDER BY id",
            ids,
        ):
            for one, other in ((article, linked), (linked, article)):
                if one not in strongest or similarity > strongest[one][0]:
                    strongest[one] = (similarity, reason, other)
        articles = []
        for article, outlet, edition, url, title, published_at in members:
            similarity, reason, linked_to = strongest.get(article, (None, None, None))
            articles.append(
                {
                    "id": article,
                    "url": url,
                    "outlet": outlet,
                    "edition": edition,
                    "title": title,
                    "published_at": published_at,
                    "similarity": similarity,
                    "reason": reason,
                    "linked_to": linked_to,
                }
            )
        return articles

    def story_links(self, article: int) -> dict[str, Any] | None:
        """One article's place among the copies of its story: hash, cluster, and every link."""
        row = self.connection.execute(
            "SELECT a.id, a.outlet, a.article_id, a.edition, a.url, a.title, a.body_hash, a.cluster_id,"
            " a.current_version, m.shingle_count FROM articles a"
            " LEFT JOIN article_minhashes m ON m.article = a.id WHERE a.id = ?",
            [article],
        ).fetchone()
        if row is None:
            return None
        names = ("id", "outlet", "article_id", "edition", "url", "title", "body_hash", "cluster_id")
        explained: dict[str, Any] = dict(zip(names, row[:8], strict=True))
        explained["current_version"], explained["shingle_count"] = row[8], row[9]
        explained["same_body_hash"] = (
            [
                other
                for (other,) in self.connection.execute(
                    "SELECT id FROM articles WHERE body_hash = ? AND id != ? ORDER BY id", [row[6], article]
                )
            ]
            if row[6]
            else []
        )
        explained["cluster_size"] = (
            self.connection.execute(
                "SELECT count(*) FROM articles WHERE cluster_id = ?", [row[7]]
            ).fetchone()[0]
            if row[7]
            else 1
        )
        links = self.connection.execute(
            "SELECT CASE WHEN l.article = ? THEN 'to' ELSE 'from' END AS direction, o.id, o.outlet,"
            " o.edition, o.url, o.title, l.similarity, l.reason, l.linked_at"
            " FROM cluster_links l JOIN articles o"
            " ON o.id = CASE WHEN l.article = ? THEN l.linked_article ELSE l.article END"
            " WHERE l.article = ? OR l.linked_article = ? ORDER BY l.similarity DESC, o.id",
            [article] * 4,
        )
        columns = [column[0] for column in links.description]
        explained["links"] = [dict(zip(columns, link, strict=True)) for link in links]
        return explained

    def stats(self, registered: list[str]) -> dict[str, Any]:
        """Counts of articles, captures and script mismatches, overall and per outlet: every
        `registered` slug (counted 0 when absent), then any other outlet the archive holds."""
        return counted_stats(
            registered, {name: self.connection.execute(query) for name, query in STATS_QUERIES.items()}
        )
