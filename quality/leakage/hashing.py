"""Exact and near duplicates among texts and images, as index pairs. No Django: arrays in, arrays out.

- Text, exact: equal after normalisation (Unicode NFKC, case folded, whitespace collapsed).
- Text, near: MinHash LSH (datasketch) over word bigrams finds candidates; a candidate
  is kept when the exact Jaccard similarity of the two shingle sets is at least
  ``TEXT_JACCARD_THRESHOLD``, so LSH only decides what gets compared, never the verdict.
- Image: 64-bit perceptual hashes (imagehash's pHash); near when at most
  ``IMAGE_MAX_DISTANCE`` bits differ, exact when none do. Candidates come from splitting
  the hash into ``IMAGE_MAX_DISTANCE + 1`` bands: two hashes that differ in at most that many
  bits agree on at least one band (pigeonhole), so no pair within the distance is missed.
"""

import hashlib
import itertools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import BinaryIO

import imagehash
import numpy as np
from datasketch import MinHash, MinHashLSH
from datasketch.hashfunc import sha1_hash32
from datasketch.minhash import _fmix as _minhash_fmix
from PIL import Image

TEXT_JACCARD_THRESHOLD = 0.8
SHINGLE_WORDS = 2
NUM_PERM = 128
MINHASH_SEED = 1
# (false positive, false negative) weights for datasketch's choice of bands: a candidate is
# verified by exact Jaccard anyway, so a false positive costs one comparison, a false
# negative a missed leak. With 128 permutations this gives 16 bands of 8 rows: a pair right
# at the 0.8 threshold is a candidate 95% of the time, one at 0.9 always.
LSH_WEIGHTS = (0.05, 0.95)
IMAGE_MAX_DISTANCE = 6
# A bucket bigger than this is compared as a chain (each member with the first one), not all pairs:
# enough to join the cluster, without a quadratic blow-up on a pathological bucket.
MAX_BUCKET = 64

_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Pairs:
    """Index pairs ``a[k] < b[k]`` with their similarity and whether they are exact copies."""

    a: np.ndarray
    b: np.ndarray
    similarity: np.ndarray
    exact: np.ndarray

    def __len__(self) -> int:
        return len(self.a)

    @classmethod
    def empty(cls) -> "Pairs":
        return cls(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float64), np.empty(0, bool))

    @classmethod
    def concat(cls, parts: Sequence["Pairs"]) -> "Pairs":
        parts = [part for part in parts if len(part)]
        if not parts:
            return cls.empty()
        return cls(*(np.concatenate([getattr(p, name) for p in parts]) for name in ("a", "b", "similarity", "exact")))


def normalise(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[str]:
    """Word ``size``-grams of the normalised text; a text shorter than that is one shingle of its words."""
    words = _WORD.findall(normalise(text))
    if len(words) <= size:
        return {" ".join(words)} if words else set()
    return {" ".join(words[start : start + size]) for start in range(len(words) - size + 1)}


def jaccard(left: set[str], right: set[str]) -> float:
    union = len(left | right)
    return len(left & right) / union if union else 0.0


def bucket_pairs(keys: np.ndarray, max_bucket: int = MAX_BUCKET) -> tuple[np.ndarray, np.ndarray]:
    """Every pair (i < j) whose keys are equal; a bucket above ``max_bucket`` as a chain from its first member."""
    if len(keys) < 2:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    sizes = np.diff(np.r_[starts, len(keys)])
    lefts, rights = [], []
    for start, size in zip(starts[sizes > 1], sizes[sizes > 1], strict=True):
        members = np.sort(order[start : start + size])
        if size > max_bucket:
            lefts.append(np.full(size - 1, members[0]))
            rights.append(members[1:])
        else:
            i, j = np.triu_indices(size, k=1)
            lefts.append(members[i])
            rights.append(members[j])
    if not lefts:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate(lefts).astype(np.int64), np.concatenate(rights).astype(np.int64)


def _unique_pairs(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    """Codes of the distinct pairs, ``a * n + b``."""
    return np.unique(a.astype(np.int64) * n + b.astype(np.int64))


def exact_text_keys(texts: Sequence[str]) -> np.ndarray:
    """A 64-bit key per text, equal for texts equal after normalisation."""
    return np.array(
        [int.from_bytes(hashlib.blake2b(normalise(t).encode(), digest_size=8).digest(), "little") for t in texts],
        dtype=np.uint64,
    )


SIGNATURE_CHUNK = 250_000  # shingles permuted at once: 250,000 x 128 x 4 bytes = 128 MB


def minhash_signatures(shingle_sets: Sequence[set[str]], num_perm: int = NUM_PERM) -> np.ndarray:
    """An ``(n, num_perm)`` array of MinHash values, one row per shingle set: datasketch's, to the bit.

    ``MinHash.bulk`` permutes each set in a Python loop of its own; here every distinct shingle is
    hashed once (datasketch's SHA-1 hash and its MurmurHash3 pre-mix), and the permutations and the
    minimum per set run over whole chunks of shingles in numpy, ten times faster on a million texts.
    A test holds the values equal to ``MinHash.bulk``'s; another scheme falls back to it.
    """
    template = MinHash(num_perm=num_perm, seed=MINHASH_SEED)
    if template.scheme != "affine32":
        encoded = ([s.encode() for s in sorted(shingle_set)] for shingle_set in shingle_sets)
        hashes = MinHash.bulk(encoded, num_perm=num_perm, seed=MINHASH_SEED)
        return np.vstack([h.hashvalues for h in hashes]) if hashes else np.empty((0, num_perm), np.uint32)
    a, b = (np.asarray(p, np.uint32) for p in template.permutations)
    empty = template.hashvalues[0]
    codes: dict[str, int] = {}
    flat = np.fromiter((codes.setdefault(s, len(codes)) for s in itertools.chain.from_iterable(shingle_sets)), np.int64)
    hashed = _minhash_fmix(np.fromiter((sha1_hash32(s.encode()) for s in codes), np.uint32, len(codes)), 32)
    lengths = np.fromiter((len(s) for s in shingle_sets), np.int64, len(shingle_sets))
    ends = np.cumsum(lengths)
    starts = ends - lengths
    signatures = np.full((len(shingle_sets), num_perm), empty, np.uint32)
    first = 0
    while first < len(shingle_sets):
        # Whole sets per chunk: as many as fit in SIGNATURE_CHUNK shingles (at least one).
        last = max(first + 1, int(np.searchsorted(ends, starts[first] + SIGNATURE_CHUNK, side="right")))
        rows = np.arange(first, last)
        rows = rows[lengths[rows] > 0]
        if len(rows):
            values = hashed[flat[starts[rows[0]] : ends[rows[-1]]]]
            # Permutations by rows (num_perm x shingles): numpy's outer product and the per-set minimum
            # then run along contiguous memory, several times faster than shingles by rows.
            permuted = np.multiply.outer(a, values)
            permuted += b[:, None]
            signatures[rows] = np.minimum.reduceat(permuted, starts[rows] - starts[rows[0]], axis=1).T
        first = last
    return signatures


def lsh_bands(threshold: float, num_perm: int = NUM_PERM) -> tuple[int, int]:
    """datasketch's (bands, rows per band) for ``threshold``, weighted towards recall (``LSH_WEIGHTS``)."""
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm, weights=LSH_WEIGHTS)
    return lsh.b, lsh.r


def lsh_candidates(signatures: np.ndarray, bands: int, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Pairs that agree on every row of at least one band, as MinHashLSH would return them."""
    n = len(signatures)
    codes = []
    for band in range(bands):
        block = np.ascontiguousarray(signatures[:, band * rows : (band + 1) * rows])
        _, keys = np.unique(block.view(np.dtype((np.void, block.dtype.itemsize * rows))).ravel(), return_inverse=True)
        a, b = bucket_pairs(keys.ravel())
        if len(a):
            codes.append(_unique_pairs(a, b, n))
    if not codes:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    pairs = np.unique(np.concatenate(codes))
    return pairs // n, pairs % n


def text_pairs(texts: Sequence[str], *, threshold: float = TEXT_JACCARD_THRESHOLD, num_perm: int = NUM_PERM) -> Pairs:
    """Exact and near-duplicate pairs among ``texts`` (see the module's docstring for the rules)."""
    n = len(texts)
    if n < 2:
        return Pairs.empty()
    exact_a, exact_b = bucket_pairs(exact_text_keys(texts))
    exact = Pairs(exact_a, exact_b, np.ones(len(exact_a)), np.ones(len(exact_a), bool))
    sets = [shingles(t) for t in texts]
    bands, rows = lsh_bands(threshold, num_perm)
    cand_a, cand_b = lsh_candidates(minhash_signatures(sets, num_perm), bands, rows)
    if len(exact_a) and len(cand_a):
        keep = ~np.isin(cand_a * n + cand_b, exact_a * n + exact_b)
        cand_a, cand_b = cand_a[keep], cand_b[keep]
    similarity = np.array([jaccard(sets[i], sets[j]) for i, j in zip(cand_a, cand_b, strict=True)], np.float64)
    near = similarity >= threshold
    return Pairs.concat([exact, Pairs(cand_a[near], cand_b[near], similarity[near], np.zeros(int(near.sum()), bool))])


def image_phash(file: BinaryIO | str) -> int:
    """The 64-bit perceptual hash of an image file, as an unsigned integer."""
    with Image.open(file) as image:
        bits = imagehash.phash(image).hash.ravel()
    return int(np.packbits(bits.astype(np.uint8)).view(">u8")[0])


def _popcount(values: np.ndarray) -> np.ndarray:
    return np.unpackbits(values.astype(">u8").view(np.uint8).reshape(-1, 8), axis=1).sum(axis=1)


def image_pairs(hashes: np.ndarray, *, max_distance: int = IMAGE_MAX_DISTANCE) -> Pairs:
    """Pairs of 64-bit perceptual hashes at most ``max_distance`` bits apart; similarity is 1 - distance / 64."""
    hashes = np.asarray(hashes, dtype=np.uint64)
    n = len(hashes)
    if n < 2:
        return Pairs.empty()
    bands = max_distance + 1
    edges = np.linspace(0, 64, bands + 1).astype(int)
    codes = []
    for low, high in itertools.pairwise(edges):
        mask = np.uint64(((1 << (high - low)) - 1) << low)
        a, b = bucket_pairs(hashes & mask)
        if len(a):
            codes.append(_unique_pairs(a, b, n))
    if not codes:
        return Pairs.empty()
    pairs = np.unique(np.concatenate(codes))
    a, b = pairs // n, pairs % n
    distance = _popcount(hashes[a] ^ hashes[b])
    keep = distance <= max_distance
    a, b, distance = a[keep], b[keep], distance[keep]
    return Pairs(a, b, 1.0 - distance / 64.0, distance == 0)
