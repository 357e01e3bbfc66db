"""Which archived articles carry the same story: exact copies, near copies, other script editions.

Bodies are compared in one form whatever the outlet or script: converted to Simplified (OpenCC
tw2s: the same article in both scripts shares about a tenth of its character 5-grams as
written, nearly all once converted), NFKC, lowercased, bylines and datelines lifted, whitespace
and punctuation removed. Then

- an exact copy has the same `body_hash` (sha256 of that form), found by an indexed lookup;
- a near copy (edited, cut, reordered, wrapped in another outlet's header and footer) shares
  most of its character 5-grams: a MinHash of them (`crawler.minhash`, datasketch's scheme) is
  stored per article with its LSH band keys, so finding candidates is one indexed query however
  large the archive grows, and each candidate is then compared exactly;
- Epoch Times' /gb/ and /b5/ editions of one `n<id>` are linked by their shared story key.

Nothing is dropped: every copy stays an article of its own outlet; linked articles share a
`cluster_id`, and each link records its similarity and reason. Bodies too short to compare
(under MIN_COMPARABLE_CHARS once normalised) are never linked by their text, and two articles of
one outlet are linked by text only when their titles agree as well: an outlet's pages share its
boilerplate, not its stories' headlines, so pages reduced to a site's boilerplate do not
collapse into one cluster.

This module is the arithmetic, pure functions with no archive: how a body is normalised,
shingled, hashed and MinHashed, and when two articles are one story. Where the MinHashes, band
keys, links and clusters are kept, and how candidates are looked up, is the archive's story index
(`crawler.archive.story_index`).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from crawler.chinese import to_simplified
from crawler.minhash import jaccard, signature_of
from crawler.pages.bylines import lift_bylines

# MinHash and LSH: 128 permutations in 32 bands of 4 rows. Pairs whose 5-gram Jaccard similarity
# is 0.4 become candidates with probability 0.56, at 0.6 with 0.98, at 0.1 with 0.003
# (bench/dedup.py measures the pairs actually found).
NUM_PERM = 128
BANDS = 32
ROWS_PER_BAND = 4
MINHASH_SEED = 1
SHINGLE_CHARS = 5
# Below this many characters (normalised) a body says too little to tell one story from another.
MIN_COMPARABLE_CHARS = 100
# A post shorter than this (normalised) quotes too little to say which article it quotes.
MIN_QUOTED_CHARS = 20
# Share of the shorter body's 5-grams found in the longer one, above which two bodies are one story
# (and a post's found in an article, above which the post quotes it).
NEAR_DUPLICATE_SIMILARITY = 0.5
# Two articles of one outlet are one story only if this share of the shorter title's character
# bigrams is in the other title as well.
SAME_OUTLET_TITLE_SIMILARITY = 0.5
# A MinHash estimate of 128 values is within about 0.1 of the truth: a candidate is compared
# exactly unless its estimated overlap is further than that below the threshold.
OVERLAP_ESTIMATE_MARGIN = 0.15

EXACT_BODY_HASH = "exact_body_hash"
NEAR_DUPLICATE = "near_duplicate"
OTHER_EDITION = "same_story_key_other_edition"

# Everything that is not a letter or digit: whitespace, punctuation, symbols.
NOT_COMPARED = re.compile(r"[\W_]+")
# Paragraphs a reposting outlet adds around the story it carries.
REPOST_CREDIT_PARAGRAPH = re.compile(
    r"^(?:原标题|原標題|来源|來源|文章来源|文章來源|本文来源|本文來源|转载自|轉載自|转自|轉自)\s*[：:]"
)
# Datelines opening the first paragraph: 【环球网报道 记者 张三】, 新华社北京9月7日电, （记者 李四报道）.
LEAD_DATELINE = re.compile(
    r"^(?:【[^】]{1,40}】"
    r"|[^，。,；;]{0,24}?\d{1,2}月\d{1,2}日(?:电|電|讯|訊|消息)"
    r"|[（(][^）)]{1,40}(?:报道|報導|报导|電|电|讯|訊)[）)])\s*"
)


def comparable_text(text: str) -> str:
    """`text` in the form deduplication compares: Simplified, NFKC, lowercase, letters and digits only."""
    return NOT_COMPARED.sub("", to_simplified(unicodedata.normalize("NFKC", text)).lower())


def comparable_body(body: str | None) -> str:
    """The story's own words: bylines, datelines and repost credits lifted, then `comparable_text`."""
    paragraphs, _ = lift_bylines([line.strip() for line in (body or "").split("\n")])
    paragraphs = [paragraph for paragraph in paragraphs if not REPOST_CREDIT_PARAGRAPH.match(paragraph)]
    if paragraphs:
        paragraphs[0] = LEAD_DATELINE.sub("", paragraphs[0])
    return comparable_text("".join(paragraphs))


def shingles(text: str, size: int = SHINGLE_CHARS) -> set[str]:
    """The character n-grams of `text` (the whole text when it is shorter)."""
    if len(text) <= size:
        return {text} if text else set()
    return {text[start : start + size] for start in range(len(text) - size + 1)}


def overlap(first: set[str], second: set[str]) -> float:
    """Share of the smaller set found in the other: 1.0 when one body is a cut of the other."""
    if not first or not second:
        return 0.0
    return len(first & second) / min(len(first), len(second))


def quoted_share(quote: str, body: str | None) -> float:
    """Share of a quote's 5-grams (a post's text, compared as bodies are) found in an article's body:
    1.0 when the post quotes a paragraph of it word for word. 0.0 for a quote too short to say."""
    quoted = comparable_text(quote)
    if len(quoted) < MIN_QUOTED_CHARS:
        return 0.0
    return overlap(shingles(quoted), shingles(comparable_body(body)))


def titles_agree(first: str | None, second: str | None) -> bool:
    first_bigrams = shingles(comparable_text(first or ""), 2)
    second_bigrams = shingles(comparable_text(second or ""), 2)
    return overlap(first_bigrams, second_bigrams) >= SAME_OUTLET_TITLE_SIMILARITY


@dataclass(frozen=True)
class Fingerprint:
    """What deduplication keeps of a body: its normalised text, hash and MinHash."""

    text: str

    @property
    def comparable(self) -> bool:
        return len(self.text) >= MIN_COMPARABLE_CHARS

    @cached_property
    def shingles(self) -> set[str]:
        return shingles(self.text)

    @cached_property
    def shingle_count(self) -> int:
        return len(self.shingles)

    def __getstate__(self) -> dict[str, Any]:
        # Sent back from a worker process (pipelines/worker_pool.py): the set of shingles pickles
        # slower than it is made again, and only an exact comparison with a candidate needs it.
        return {name: value for name, value in self.__dict__.items() if name != "shingles"}

    @cached_property
    def body_hash(self) -> str | None:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest() if self.comparable else None

    @cached_property
    def minhash(self) -> np.ndarray | None:
        """The MinHash values of its shingles (None for a body too short to compare)."""
        return signature_of(self.shingles, NUM_PERM, MINHASH_SEED) if self.comparable else None

    @cached_property
    def band_buckets(self) -> list[tuple[int, int]]:
        """(band, bucket) per LSH band of the MinHash (none for a body too short to compare)."""
        return band_buckets(self.minhash) if self.minhash is not None else []


def band_buckets(values: np.ndarray) -> list[tuple[int, int]]:
    """(band, bucket) per LSH band: the 64-bit hash of the band's MinHash values."""
    data = values.astype("<u4")
    return [
        (band, _bucket(data[band * ROWS_PER_BAND : (band + 1) * ROWS_PER_BAND].tobytes()))
        for band in range(BANDS)
    ]


def _bucket(data: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little", signed=True)


def fingerprint(body: str | None) -> Fingerprint:
    """The deduplication stage's work on one article body (pure: no archive needed)."""
    fingerprint = Fingerprint(comparable_body(body))
    if fingerprint.comparable:
        # Computed now, in the pipeline stage, not later inside the archive's write transaction.
        _ = fingerprint.minhash, fingerprint.body_hash, fingerprint.shingle_count, fingerprint.band_buckets
    return fingerprint


@dataclass(frozen=True)
class StoryLink:
    """One article carries the same story as an earlier one, and why we think so."""

    article: int
    linked_article: int
    similarity: float
    reason: str


@dataclass(frozen=True)
class ComparedArticle:
    """What deciding whether two archived articles are one story reads of each."""

    id: int
    outlet: str
    article_id: str
    edition: str
    title: str | None
    body: str | None
    body_hash: str | None
    # The body as compared (`comparable_body`), as the story index stored it; None when it did not
    # (a body too short to compare, or indexed before the archive kept it).
    comparable_text: str | None = None

    def fingerprint(self) -> Fingerprint:
        """Its fingerprint: from the stored comparable text, normalised again only without one."""
        if self.comparable_text is not None:
            return Fingerprint(self.comparable_text)
        return Fingerprint(comparable_body(self.body))


def signature_values(signature: bytes) -> np.ndarray:
    """A stored MinHash signature back as its values."""
    return np.frombuffer(signature, dtype="<u4").astype(np.uint32)


def worth_comparing(fingerprint: Fingerprint, signature: bytes, shingle_count: int) -> bool:
    """Whether a candidate's stored MinHash (of `shingle_count` shingles) could reach the threshold."""
    assert fingerprint.minhash is not None
    similarity = jaccard(signature_values(signature), fingerprint.minhash)
    # |A ∩ B| = J (|A| + |B|) / (1 + J), over the smaller set: the overlap `link` measures.
    size = fingerprint.shingle_count
    estimated_overlap = similarity * (size + shingle_count) / ((1 + similarity) * min(size, shingle_count))
    return estimated_overlap >= NEAR_DUPLICATE_SIMILARITY - OVERLAP_ESTIMATE_MARGIN


def link(subject: ComparedArticle, fingerprint: Fingerprint, candidate: ComparedArticle) -> StoryLink | None:
    """The link between a new article and one candidate, or None if they are different stories.

    An exact copy is told by the body hashes alone; only a near copy's or another edition's
    candidate text is shingled (from its stored comparable text when the archive holds it).
    """
    same_outlet = candidate.outlet == subject.outlet
    if same_outlet and candidate.article_id == subject.article_id and candidate.edition != subject.edition:
        similarity = round(overlap(fingerprint.shingles, candidate.fingerprint().shingles), 4)
        return StoryLink(subject.id, candidate.id, similarity, OTHER_EDITION)
    # The story index stores a body hash for comparable bodies only.
    if fingerprint.body_hash is None or candidate.body_hash is None:
        return None
    if same_outlet and not titles_agree(subject.title, candidate.title):
        return None
    if fingerprint.body_hash == candidate.body_hash:
        return StoryLink(subject.id, candidate.id, 1.0, EXACT_BODY_HASH)
    similarity = round(overlap(fingerprint.shingles, candidate.fingerprint().shingles), 4)
    if similarity >= NEAR_DUPLICATE_SIMILARITY:
        return StoryLink(subject.id, candidate.id, similarity, NEAR_DUPLICATE)
    return None


def connected_groups(members: list[int], links: Iterable[tuple[int, int]]) -> list[list[int]]:
    """`members` grouped by the links between them (union-find), each group in `members`' order."""
    parent = {member: member for member in members}

    def root(member: int) -> int:
        while parent[member] != member:
            parent[member] = parent[parent[member]]
            member = parent[member]
        return member

    for first, second in links:
        if first in parent and second in parent:
            parent[root(first)] = root(second)
    groups: dict[int, list[int]] = {}
    for member in members:
        groups.setdefault(root(member), []).append(member)
    return list(groups.values())
