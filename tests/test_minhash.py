"""The archive's MinHash (crawler.minhash) is datasketch 2.0.0's affine32 MinHash, value for value.

Archives store the signatures and their band keys, so every value must stay what datasketch (the
reference, a dev dependency only) computes: over real texts of both scripts, short and long, and
over the signatures a `sourcevault demo` archive stored.
"""

from __future__ import annotations

import itertools
import json
import sqlite3

import datasketch
import numpy as np
import opencc
import pytest

from crawler.minhash import jaccard, permutations, signature_of
from crawler.outlet_tools.fixtures import FIXTURES_ROOT, discover_fixtures
from crawler.story_matching import (
    MINHASH_SEED,
    NUM_PERM,
    Fingerprint,
    band_buckets,
    comparable_body,
    shingles,
)
from tests.helpers import FIXTURES

LANGID = FIXTURES / "langid"
# Sentences joined into bodies of these many sentences in turn: one sentence to a long article.
SENTENCES_PER_BODY = (1, 2, 3, 5, 8, 13, 30)
# Texts as short as a shingle set gets: none, one shorter than a shingle, exactly one, two.
SHORTEST = ("", "颱", "颱風", "受颱風影響", "受颱風影響，", "abcdef")


def reference(shingle_set: set[str]) -> datasketch.LeanMinHash:
    minhash = datasketch.MinHash(num_perm=NUM_PERM, seed=MINHASH_SEED, scheme="affine32")
    minhash.update_batch([shingle.encode("utf-8") for shingle in shingle_set])
    return datasketch.LeanMinHash(minhash)


def assert_same_values(ours: np.ndarray, theirs: np.ndarray) -> None:
    assert ours.dtype == theirs.dtype == np.uint32
    assert ours.tobytes() == theirs.tobytes()


@pytest.fixture(scope="module")
def texts(registry) -> list[str]:
    """A few hundred real texts: the outlet fixture pages' bodies (as extracted, in the other script,
    cut to their first half), the language corpus's Chinese sentences in bodies of 1 to 30 sentences
    in both scripts, the conversion pairs of the Taiwan corpus, English sentences, the shortest."""
    to_traditional = opencc.OpenCC("s2tw.json").convert
    to_simplified = opencc.OpenCC("tw2s.json").convert
    bodies = [
        extraction.article.body
        for extraction in (fixture.extract(registry) for fixture in discover_fixtures(FIXTURES_ROOT))
        if extraction.article is not None and extraction.article.body
    ]
    texts = list(SHORTEST)
    for body in bodies:
        paragraphs = body.split("\n")
        first_half = "\n".join(paragraphs[: len(paragraphs) // 2])
        texts += [body, to_traditional(body), to_simplified(body), first_half]
    sentences = (LANGID / "lingua-sentences" / "zh.txt").read_text(encoding="utf-8").splitlines()
    start = 0
    for size in itertools.cycle(SENTENCES_PER_BODY):
        if start >= len(sentences):
            break
        body = "\n".join(sentences[start : start + size])
        texts += [body, to_traditional(body)]
        start += size
    for samples in sorted((LANGID / "zhtw-test-corpus").glob("*/samples.json")):
        for pair in json.loads(samples.read_text(encoding="utf-8"))["corpus"]:
            texts += [pair["input"], pair["expected"]]
    english = (LANGID / "lingua-sentences" / "en.txt").read_text(encoding="utf-8").splitlines()
    texts += ["\n".join(english[start : start + 10]) for start in range(0, 100, 10)]
    texts.append("\n".join(bodies))
    return texts


def test_the_permutations_are_datasketchs():
    odd, offset = permutations(NUM_PERM, MINHASH_SEED)
    drawn = datasketch.MinHash(num_perm=NUM_PERM, seed=MINHASH_SEED, scheme="affine32").permutations
    assert_same_values(odd, drawn[0])
    assert_same_values(offset, drawn[1])


def test_signatures_of_real_texts_are_datasketchs(texts):
    assert len(texts) > 300
    for text in texts:
        shingle_set = shingles(text)
        ours = signature_of(shingle_set, NUM_PERM, MINHASH_SEED)
        assert_same_values(ours, reference(shingle_set).hashvalues)


def test_fingerprints_and_band_keys_of_real_bodies_are_datasketchs(texts):
    compared = 0
    for text in texts:
        fingerprint = Fingerprint(comparable_body(text))
        if not fingerprint.comparable:
            assert fingerprint.minhash is None and fingerprint.band_buckets == []
            continue
        theirs = reference(fingerprint.shingles).hashvalues
        assert_same_values(fingerprint.minhash, theirs)
        assert fingerprint.band_buckets == band_buckets(theirs)
        compared += 1
    assert compared > 200


def test_the_jaccard_estimate_is_datasketchs(texts):
    long_texts = [text for text in texts if len(text) > 300]
    ours = [signature_of(shingles(text), NUM_PERM, MINHASH_SEED) for text in long_texts]
    theirs = [reference(shingles(text)) for text in long_texts]
    estimates = [jaccard(first, second) for first, second in itertools.pairwise(ours)]
    assert estimates == [first.jaccard(second) for first, second in itertools.pairwise(theirs)]
    assert any(0.0 < estimate < 1.0 for estimate in estimates)


def test_an_archives_stored_signatures_and_band_keys_are_datasketchs(demo_run):
    with sqlite3.connect(f"file:{demo_run.database}?mode=ro", uri=True) as database:
        stored = database.execute(
            "SELECT article, signature, shingle_count, comparable_text FROM article_minhashes"
        ).fetchall()
        bands = database.execute("SELECT article, band, bucket FROM minhash_bands").fetchall()
    assert len(stored) >= 10
    expected_bands = set()
    for article, signature, shingle_count, comparable_text in stored:
        shingle_set = shingles(comparable_text)
        theirs = reference(shingle_set).hashvalues
        assert (signature, shingle_count) == (theirs.astype("<u4").tobytes(), len(shingle_set))
        expected_bands |= {(article, band, bucket) for band, bucket in band_buckets(theirs)}
    assert sorted(bands) == sorted(expected_bands)
