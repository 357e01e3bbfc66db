"""The archive's story index: MinHash band keys, links between articles, and story clusters.

The tables (`article_minhashes`, `minhash_bands`, `cluster_links`, `clusters`, and the articles'
`body_hash` and `cluster_id`) are written here; what makes two articles one story is decided
by `crawler.story_matching`. Finding an article's candidates is a bounded, indexed lookup whatever the
archive's size: the articles sharing its exact body hash, its other editions, and those sharing
an LSH band of its MinHash, each band read only so deep. On PostgreSQL, where several writers store
at once, two storing copies of one story take turns (`story_keys`, crawler/archive/postgres/races.py):
the second looks once the first's copy is committed, instead of missing it.
"""

from __future__ import annotations

import hashlib
import sqlite3

from crawler.archive.connection import marks, utc_now
from crawler.archive.postgres.races import hold_story_keys
from crawler.story_matching import (
    ComparedArticle,
    Fingerprint,
    StoryLink,
    band_buckets,
    connected_groups,
    link,
    signature_values,
    worth_comparing,
)

# Candidates compared exactly per article, at most, of each kind: exact copies (by body hash), and
# near copies sharing the most bands whose MinHash estimate could reach the threshold; the rest
# are too far to matter. The crawl's DEDUP_MAX_VERIFIED setting.
MAX_VERIFIED = 30
# Articles read per LSH bucket: a crowded bucket (text many articles share) adds no candidates past it.
BUCKET_READ_LIMIT = 50
COMPARED_COLUMNS = ", ".join(
    f"m.{name}" if name == "comparable_text" else f"a.{name}" for name in ComparedArticle.__dataclass_fields__
)
COMPARED_FROM = "articles a LEFT JOIN article_minhashes m ON m.article = a.id"


def _signed_32(value: int) -> int:
    return (value + 2**31) % 2**32 - 2**31


def story_keys(subject: ComparedArticle, fingerprint: Fingerprint) -> list[int]:
    """What the article shares with any copy the lookup finds, in 32 bits: its outlet and article id
    (other editions), and each LSH band bucket (an exact copy shares all, a near one some).

    At most 33 (story_matching's BANDS, and one), whatever the archive's size. A bucket is a 64-bit
    hash of its band's values, its low 32 bits as good a key; keys two stories share by chance only
    make one writer wait.
    """
    edition = hashlib.blake2b(f"{subject.outlet}\0{subject.article_id}".encode(), digest_size=4).digest()
    return [
        int.from_bytes(edition, "little", signed=True),
        *(_signed_32(bucket) for _, bucket in fingerprint.band_buckets),
    ]


def store_fingerprint(connection: sqlite3.Connection, article: int, fingerprint: Fingerprint) -> None:
    """Keep an article's MinHash, comparable text and LSH band keys, if it is long enough to compare."""
    if fingerprint.minhash is None:
        return
    connection.execute(
        "INSERT INTO article_minhashes (article, signature, shingle_count, comparable_text)"
        " VALUES (?, ?, ?, ?)",
        [
            article,
            fingerprint.minhash.astype("<u4").tobytes(),
            fingerprint.shingle_count,
            fingerprint.text,
        ],
    )
    connection.executemany(
        "INSERT INTO minhash_bands (band, bucket, article) VALUES (?, ?, ?)",
        [(band, bucket, article) for band, bucket in fingerprint.band_buckets],
    )


class StoryIndex:
    """Links each stored article to the archived copies of its story, and keeps the clusters.

    Works inside the caller's transaction (the archive stores an article and its links in one),
    so an article is never archived without its links or the reverse.
    """

    def __init__(self, connection: sqlite3.Connection, max_verified: int = MAX_VERIFIED):
        self.connection = connection
        self.max_verified = max_verified

    def index(self, article: int, fingerprint: Fingerprint) -> list[StoryLink]:
        """Link a newly stored (or changed) article to the archived copies of its story."""
        self.unindex(article)
        row = self.connection.execute(
            f"SELECT {COMPARED_COLUMNS} FROM {COMPARED_FROM} WHERE a.id = ?", [article]
        ).fetchone()
        if row is None:
            return []
        subject = ComparedArticle(*row)
        # Another writer storing a copy of this story at once commits it first, or waits for this
        # one's commit: whichever looks second finds the other's (PostgreSQL).
        hold_story_keys(self.connection, story_keys(subject, fingerprint))
        self.connection.execute(
            "UPDATE articles SET body_hash = ? WHERE id = ?", [fingerprint.body_hash, article]
        )
        store_fingerprint(self.connection, article, fingerprint)
        links = [
            found
            for candidate in self._candidates(subject, fingerprint)
            if (found := link(subject, fingerprint, candidate)) is not None
        ]
        self._join_clusters(article, links)
        return links

    def _candidates(self, subject: ComparedArticle, fingerprint: Fingerprint) -> list[ComparedArticle]:
        """Other editions, exact copies, and near copies whose estimated overlap is worth a look.

        Each is read with the text deduplication compares, as stored when it was indexed: an exact
        copy is told by its body hash, a near copy shingled from that text, neither normalised again.
        """
        ids = [
            other
            for (other,) in self.connection.execute(
                "SELECT id FROM articles WHERE outlet = ? AND article_id = ? AND id != ?",
                [subject.outlet, subject.article_id, subject.id],
            )
        ]
        if fingerprint.body_hash is not None:
            ids += [
                other
                for (other,) in self.connection.execute(
                    "SELECT id FROM articles WHERE body_hash = ? AND id != ? ORDER BY id LIMIT ?",
                    [fingerprint.body_hash, subject.id, self.max_verified],
                )
            ]
        ids += self._near_candidates(subject.id, fingerprint)
        ids = list(dict.fromkeys(ids))
        if not ids:
            return []
        rows = self.connection.execute(
            f"SELECT {COMPARED_COLUMNS} FROM {COMPARED_FROM} WHERE a.id IN ({marks(ids)}) ORDER BY a.id", ids
        )
        return [ComparedArticle(*row) for row in rows]

    def _near_candidates(self, article: int, fingerprint: Fingerprint) -> list[int]:
        """Articles sharing an LSH band, kept if their MinHash estimate could reach the threshold."""
        buckets = fingerprint.band_buckets
        if fingerprint.minhash is None or not buckets:
            return []
        # Each bucket is read up to BUCKET_READ_LIMIT articles deep: a bucket crowded by text that
        # many articles share (an outlet's boilerplate) tells little, and must not make the lookup
        # grow with the archive. The buckets' articles are counted in the archive, which returns the
        # nearest few (most bands shared, then oldest) with their MinHashes, not every bucket's rows.
        bounded = " UNION ALL ".join(
            "SELECT * FROM (SELECT article FROM minhash_bands WHERE band = ? AND bucket = ? AND article != ?"
            " LIMIT ?) AS bucket"
            for _ in buckets
        )
        rows = self.connection.execute(
            "SELECT article, signature, shingle_count FROM article_minhashes WHERE article IN (SELECT article"
            f" FROM ({bounded}) AS shared GROUP BY article ORDER BY count(*) DESC, article LIMIT ?)",
            [
                *(value for band, bucket in buckets for value in (band, bucket, article, BUCKET_READ_LIMIT)),
                self.max_verified,
            ],
        )
        return [
            other
            for other, signature, shingle_count in rows
            if worth_comparing(fingerprint, signature, shingle_count)
        ]

    def _join_clusters(self, article: int, links: list[StoryLink]) -> None:
        if not links:
            return
        now = utc_now()
        self.connection.executemany(
            "INSERT INTO cluster_links (article, linked_article, similarity, reason, linked_at)"
            " VALUES (?, ?, ?, ?, ?)",
            [(found.article, found.linked_article, found.similarity, found.reason, now) for found in links],
        )
        members = [article, *(found.linked_article for found in links)]
        clusters = sorted(
            {
                cluster
                for (cluster,) in self.connection.execute(
                    f"SELECT cluster_id FROM articles WHERE id IN ({marks(members)})"
                    " AND cluster_id IS NOT NULL",
                    members,
                )
            }
        )
        if clusters:
            target, merged = clusters[0], clusters[1:]
            self._touch(target, now)
        else:
            target, merged = self._new_cluster(now), []
        if merged:
            self.connection.execute(
                f"UPDATE articles SET cluster_id = ? WHERE cluster_id IN ({marks(merged)})", [target, *merged]
            )
            self.connection.execute(f"DELETE FROM clusters WHERE id IN ({marks(merged)})", merged)
        # Only the members not in it yet: those already are keep their rows (and their locks) as they are.
        self.connection.execute(
            f"UPDATE articles SET cluster_id = ? WHERE id IN ({marks(members)})"
            " AND (cluster_id IS NULL OR cluster_id != ?)",
            [target, *members, target],
        )

    def _touch(self, cluster: int, now: str) -> None:
        """Mark the cluster changed at `now` (to the second), leaving its row alone if it already says so.

        On a site whose pages are one story, every article joins one cluster: concurrent crawls
        rewriting its row with the same second would each wait for the other's commit (a row lock).
        """
        self.connection.execute(
            "UPDATE clusters SET updated_at = ? WHERE id = ? AND updated_at != ?", [now, cluster, now]
        )

    def _new_cluster(self, now: str) -> int:
        cursor = self.connection.execute(
            "INSERT INTO clusters (created_at, updated_at) VALUES (?, ?)", [now, now]
        )
        return int(cursor.lastrowid or 0)

    def unindex(self, article: int) -> None:
        """Take an article out of the index and its cluster; what is left of the cluster stays linked."""
        row = self.connection.execute("SELECT cluster_id FROM articles WHERE id = ?", [article]).fetchone()
        stored = self.connection.execute(
            "SELECT signature FROM article_minhashes WHERE article = ?", [article]
        ).fetchone()
        if stored is not None:
            self.connection.executemany(
                "DELETE FROM minhash_bands WHERE band = ? AND bucket = ? AND article = ?",
                [(band, bucket, article) for band, bucket in band_buckets(signature_values(stored[0]))],
            )
            self.connection.execute("DELETE FROM article_minhashes WHERE article = ?", [article])
        self.connection.execute(
            "DELETE FROM cluster_links WHERE article = ? OR linked_article = ?", [article, article]
        )
        self.connection.execute(
            "UPDATE articles SET body_hash = NULL, cluster_id = NULL WHERE id = ?", [article]
        )
        if row is not None and row[0] is not None:
            self._split(row[0])

    def _split(self, cluster: int) -> None:
        """Regroup a cluster that lost a member: linked groups of two or more keep a cluster."""
        members = [
            member
            for (member,) in self.connection.execute(
                "SELECT id FROM articles WHERE cluster_id = ?", [cluster]
            )
        ]
        groups = connected_groups(
            members,
            self.connection.execute(
                f"SELECT article, linked_article FROM cluster_links WHERE article IN ({marks(members)})",
                members,
            ).fetchall()
            if members
            else [],
        )
        now = utc_now()
        groups.sort(key=len, reverse=True)
        for position, group in enumerate(groups):
            if len(group) < 2:
                target = None
            elif position == 0:
                target = cluster
                self._touch(cluster, now)
            else:
                target = self._new_cluster(now)
            self.connection.execute(
                f"UPDATE articles SET cluster_id = ? WHERE id IN ({marks(group)})", [target, *group]
            )
        if not groups or len(groups[0]) < 2:
            self.connection.execute("DELETE FROM clusters WHERE id = ?", [cluster])
