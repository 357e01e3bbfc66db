"""MinHash signatures of shingle sets: datasketch 2.0.0's "affine32" scheme, reproduced bit for bit.

Why not datasketch itself: its package imports `datasketch.lsh`, which imports `scipy.integrate`
(355 scipy modules) in every process that hashes a body (a crawl, `briefing add`, `import`,
`reextract`, `demo`), for the few lines of numpy below. Measured on the 2-core development
machine under load: `python -c "import datasketch"` took 1.9 to 2.4 s of CPU, numpy alone 0.3
to 0.4 s; a process hashing one body 2.7 to 4.2 s with datasketch, 1.6 to 1.8 s without. The
archive stores these signatures and their band keys, so the values must stay datasketch's:
tests/test_minhash.py computes both over real texts and reads back an archive's stored
signatures, with datasketch (a dev dependency) as the reference.

The scheme (datasketch/minhash.py, `MinHash(num_perm, seed, scheme="affine32")`): each
shingle's hash is the first 4 bytes of its SHA-1, little-endian; it is mixed once with the 32-bit
MurmurHash3 finalizer, then permuted by h -> a * h + b mod 2**32 with `a` odd, the wraparound of
uint32 arithmetic being the modulo. The (a, b) pairs are drawn from `np.random.RandomState(seed)`:
all `a` first, then all `b`. A signature is each permutation's minimum over the set; an empty
set's is 2**32 - 1 throughout.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from functools import cache

import numpy as np

# The 32-bit MurmurHash3 finalizer's shifts and multipliers.
FMIX32_SHIFTS = (np.uint32(16), np.uint32(13), np.uint32(16))
FMIX32_MULTIPLIERS = (np.uint32(0x85EBCA6B), np.uint32(0xC2B2AE35))
EMPTY_VALUE = np.uint32(0xFFFFFFFF)
SHA1_DIGEST_WORDS = 5


@cache
def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The (a, b) parameters of `num_perm` affine permutations: drawn once per process."""
    generator = np.random.RandomState(seed)
    odd = generator.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    offset = generator.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return odd, offset


def shingle_hashes(shingles: Iterable[str]) -> np.ndarray:
    """Each shingle's hash: the first 4 bytes of the SHA-1 of its UTF-8, little-endian.

    The digests are joined and read as little-endian words by numpy, one call for the whole set:
    a Python int made per shingle (or a cache of them) cost twice as much.
    """
    digests = b"".join([hashlib.sha1(shingle.encode()).digest() for shingle in shingles])
    words = np.frombuffer(digests, dtype="<u4").reshape(-1, SHA1_DIGEST_WORDS)
    return words[:, 0].astype(np.uint32)


def signature_of(shingles: Iterable[str], num_perm: int, seed: int) -> np.ndarray:
    """The MinHash values (uint32) of a set of shingles."""
    hashes = shingle_hashes(shingles)
    if not hashes.size:
        return np.full(num_perm, EMPTY_VALUE, dtype=np.uint32)
    first_shift, second_shift, third_shift = FMIX32_SHIFTS
    first_multiplier, second_multiplier = FMIX32_MULTIPLIERS
    mixed = (hashes ^ (hashes >> first_shift)) * first_multiplier
    mixed = (mixed ^ (mixed >> second_shift)) * second_multiplier
    mixed ^= mixed >> third_shift
    odd, offset = permutations(num_perm, seed)
    return (mixed.reshape(-1, 1) * odd + offset).min(axis=0)


def jaccard(first: np.ndarray, second: np.ndarray) -> float:
    """The Jaccard similarity of two sets estimated from their signatures: the share of equal values."""
    return np.count_nonzero(first == second) / len(first)
