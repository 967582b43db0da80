"""Exact and near duplicates among texts and images, as index pairs. No Django: arrays in, arrays out.

- Text, exact: equal after normalisation (Unicode NFKC, case folded, whitespace collapsed).
- Text, near: MinHash LSH (datasketch) over word bigrams finds candidates; a candidate
  is kept when the exact Jaccard similarity of the two shingle sets is at least
  ``TEXT_JACCARD_THRESHOLD``, so LSH only decides what gets compared, never the verdict.
- Image: 64-bit perceptual hashes (imagehash's pHash); near when at most
  ``IMAGE_MAX_DISTANCE`` bits differ, exact when none do. Candidates come from splitting
  the hash into ``IMAGE_MAX_DISTANCE + 1`` bands: two hashes that differ in at most that many
  bits agree on at least one band (pigeonhole), so no pair within the distance is missed.

``normalise``, ``shingles`` and ``jaccard`` define the text rules one text at a time; the rest
computes the same over whole chunks of texts (bytes in numpy, strings in Arrow, one SHA-1 per
distinct shingle), because a million texts one by one in Python take minutes. Tests hold the two
equal, and the signatures and pairs equal to datasketch's ``MinHash`` and ``MinHashLSH``.
"""

import hashlib
import itertools
import re
import string
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import BinaryIO

import imagehash
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
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
    """Word ``size``-grams of the normalised text; a text shorter than that is one shingle of its words.

    The definition, one text at a time: ``shingle_table`` computes the same for many texts at once.
    """
    words = _WORD.findall(normalise(text))
    if len(words) <= size:
        return {" ".join(words)} if words else set()
    return {" ".join(words[start : start + size]) for start in range(len(words) - size + 1)}


def jaccard(left: set[str], right: set[str]) -> float:
    union = len(left | right)
    return len(left & right) / union if union else 0.0


def distinct(values: np.ndarray) -> np.ndarray:
    """The sorted distinct values of an integer array.

    A sort and a comparison: ``np.unique`` of numpy 2.4 takes a hash-table path for integers that
    is a hundred times slower on millions of values.
    """
    values = np.sort(values)
    return values[np.r_[True, values[1:] != values[:-1]]] if len(values) else values


def bucket_pairs(keys: np.ndarray, max_bucket: int = MAX_BUCKET) -> tuple[np.ndarray, np.ndarray]:
    """Every pair (i < j) whose keys are equal; a bucket above ``max_bucket`` as a chain from its first member.

    One sort, then the buckets of each size at once (a few dozen numpy calls, whatever their number).
    """
    none = np.empty(0, np.int64), np.empty(0, np.int64)
    if len(keys) < 2:
        return none
    order = np.argsort(keys)
    ordered = keys[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    sizes = np.diff(np.r_[starts, len(keys)])
    lefts, rights = [], []
    for size in distinct(sizes[(sizes > 1) & (sizes <= max_bucket)]):
        members = np.sort(order[starts[sizes == size][:, None] + np.arange(size)], axis=1)
        i, j = np.triu_indices(size, k=1)
        lefts.append(members[:, i].ravel())
        rights.append(members[:, j].ravel())
    big = sizes > max_bucket
    if big.any():
        positions = _ragged(starts[big], sizes[big])
        members = order[positions]
        bucket = np.repeat(np.arange(int(big.sum())), sizes[big])
        first = np.minimum.reduceat(members, np.cumsum(sizes[big]) - sizes[big])
        rest = members != first[bucket]
        lefts.append(first[bucket][rest])
        rights.append(members[rest])
    if not lefts:
        return none
    return np.concatenate(lefts).astype(np.int64), np.concatenate(rights).astype(np.int64)


def _unique_pairs(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    """Codes of the distinct pairs, ``a * n + b``."""
    return distinct(a.astype(np.int64) * n + b.astype(np.int64))


@dataclass(frozen=True)
class ShingleTable:
    """Many texts' distinct shingles in flat arrays, text after text, each text's sorted.

    ``shingle`` numbers a shingle within this table only: equal numbers, equal shingle strings.
    """

    shingle: np.ndarray  # int64
    lengths: np.ndarray  # int64, distinct shingles per text

    @property
    def starts(self) -> np.ndarray:
        return np.cumsum(self.lengths) - self.lengths


def _byte_table(characters: str) -> np.ndarray:
    table = np.zeros(256, bool)
    table[[ord(c) for c in characters]] = True
    return table


# ASCII bytes as they are once normalised: upper case lowered, every byte str.split() splits on a space.
_BYTES = np.arange(256, dtype=np.uint8)
_BYTES[ord("A") : ord("Z") + 1] += 32
_BYTES[[ord(c) for c in "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f"]] = ord(" ")
# The bytes \w matches in lowered ASCII.
_WORD_BYTE = _byte_table(string.ascii_lowercase + string.digits + "_")
_SPACE = pa.scalar(" ", pa.large_string())


def _runs(flags: np.ndarray, text_start: np.ndarray) -> np.ndarray:
    """Where a run of ``flags`` begins: a flagged byte after an unflagged one or at the start of a text."""
    begins = flags.copy()
    begins[1:] &= ~flags[:-1] | text_start[1:]
    return begins


def _pieces(data: np.ndarray, flags: np.ndarray, text_start: np.ndarray, offsets: np.ndarray) -> pa.LargeListArray:
    """Each text's runs of flagged bytes, as a list of strings per text."""
    begins = _runs(flags, text_start)
    kept = data[flags]
    piece_offsets = np.r_[np.flatnonzero(begins[flags]), len(kept)]
    pieces = pa.LargeStringArray.from_buffers(len(piece_offsets) - 1, pa.py_buffer(piece_offsets), pa.py_buffer(kept))
    owner = np.searchsorted(offsets, np.flatnonzero(begins), side="right") - 1
    per_text = np.bincount(owner, minlength=len(offsets) - 1)
    return pa.LargeListArray.from_arrays(pa.array(np.r_[0, np.cumsum(per_text)]), pieces)


def _words(texts: Sequence[str], *, normalised: bool) -> tuple[pa.Array | None, pa.Array, np.ndarray]:
    """The words of ``shingles`` for many texts, and ``normalise(text)`` if asked: (normalised, words, words per text).

    ASCII texts are read as bytes in numpy: for them NFKC changes nothing, case folding is lowering,
    ``str.split()`` splits on the bytes ``_BYTES`` maps to a space, and ``\\w`` matches ``_WORD_BYTE``.
    Other texts take the Python definition one by one, their words joined by single spaces. A test
    holds both equal to it. A lone surrogate (UTF-8 has none; a JSON escape can make one) is read as
    its escape, so the check goes on instead of failing.
    """
    try:
        array = pa.array(texts, pa.large_string())
    except UnicodeEncodeError:
        texts = [text.encode("utf-8", "backslashreplace").decode() for text in texts]
        array = pa.array(texts, pa.large_string())
    other = ~pc.string_is_ascii(array).to_numpy(zero_copy_only=False)
    forms = [normalise(texts[int(i)]) for i in np.flatnonzero(other)]
    if forms:
        array = pc.replace_with_mask(
            array, pa.array(other), pa.array([" ".join(_WORD.findall(form)) for form in forms], pa.large_string())
        )
    offsets = np.frombuffer(array.buffers()[1], np.int64)[array.offset : array.offset + len(array) + 1]
    data = _BYTES[np.frombuffer(array.buffers()[2], np.uint8)[offsets[0] : offsets[-1]]]
    offsets = offsets - offsets[0]
    sizes = np.diff(offsets)
    text_start = np.zeros(len(data), bool)
    text_start[offsets[:-1][sizes > 0]] = True
    # Words: runs of word bytes (in another text's joined words, of anything but a space).
    word = _WORD_BYTE[data]
    if forms:
        word = np.where(np.repeat(other, sizes), data != ord(" "), word)
    words = _pieces(data, word, text_start, offsets)
    counts = np.diff(words.offsets.to_numpy()).astype(np.int64)
    if not normalised:
        return None, words.values, counts
    # Normalised: a space after a space or at a text's start dropped, then one at a text's end.
    space = data == ord(" ")
    dropped = space.copy()
    dropped[1:] &= space[:-1] | text_start[1:]
    gone = np.flatnonzero(dropped)
    kept_sizes = sizes - np.bincount(np.searchsorted(offsets, gone, side="right") - 1, minlength=len(sizes))
    collapsed = pa.LargeStringArray.from_buffers(
        len(sizes), pa.py_buffer(np.r_[0, np.cumsum(kept_sizes)]), pa.py_buffer(data[~dropped])
    )
    joined = pc.utf8_rtrim(collapsed, characters=" ")
    if forms:
        joined = pc.replace_with_mask(joined, pa.array(other), pa.array(forms, pa.large_string()))
    return joined, words.values, counts


def _bigrams(words: pa.Array, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, pa.Array]:
    """Each text's shingles as word numbers (left, right, owner) and the words numbered.

    A bigram is every word but the last of its text with the next; a one-word text is that word
    alone, with ``right`` one past the last number.
    """
    encoded = pc.dictionary_encode(words)
    ids = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    ends = np.cumsum(counts)
    last = np.zeros(len(ids), bool)
    last[ends[counts > 0] - 1] = True
    first_of_two = np.flatnonzero(~last)
    single = (ends - counts)[counts == 1]
    left = np.concatenate([ids[first_of_two], ids[single]])
    right = np.concatenate([ids[first_of_two + 1], np.full(len(single), len(encoded.dictionary), np.int64)])
    owner = np.concatenate([np.repeat(np.arange(len(counts)), np.maximum(counts - 1, 0)), np.flatnonzero(counts == 1)])
    return left, right, owner, encoded.dictionary


def shingle_table(texts: Sequence[str]) -> ShingleTable:
    """Every text's distinct shingles (``shingles``, to the string), numbered within the table."""
    _, words, counts = _words(texts, normalised=False)
    left, right, owner, vocabulary = _bigrams(words, counts)
    _, number = np.unique(left * (len(vocabulary) + 1) + right, return_inverse=True)
    width = int(number.max()) + 1 if len(number) else 1
    entries = distinct(owner * width + number.ravel())
    return ShingleTable(shingle=entries % width, lengths=np.bincount(entries // width, minlength=len(texts)))


def _shingle_hashes(texts: Sequence[str]) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """The texts normalised, and datasketch's SHA-1 hash of each of their shingles (flat, text after text).

    A shingle seen twice in a text is hashed twice (a minimum does not mind), but SHA-1 runs once per
    distinct shingle of the chunk: its string is made by Arrow from the two words' numbers.
    """
    normalised, words, counts = _words(texts, normalised=True)
    left, right, owner, vocabulary = _bigrams(words, counts)
    order = np.argsort(owner, kind="stable")  # one-word texts' shingles were put last
    left, right = left[order], right[order]
    encoded = pc.dictionary_encode(pa.array(left * (len(vocabulary) + 1) + right))
    codes = encoded.dictionary.to_numpy()
    first, second = codes // (len(vocabulary) + 1), codes % (len(vocabulary) + 1)
    single = second == len(vocabulary)
    strings = pc.if_else(
        pa.array(single),
        vocabulary.take(pa.array(first)),
        pc.binary_join_element_wise(
            vocabulary.take(pa.array(first)), vocabulary.take(pa.array(np.where(single, 0, second))), _SPACE
        ),
    )
    sha1 = hashlib.sha1
    digests = b"".join([sha1(shingle).digest()[:4] for shingle in strings.cast(pa.large_binary()).to_pylist()])
    hashes = np.frombuffer(digests, "<u4").astype(np.uint32)
    per_text = np.bincount(owner, minlength=len(texts)).astype(np.int64)
    return normalised, hashes[encoded.indices.to_numpy(zero_copy_only=False)], per_text


def text_minhashes(texts: Sequence[str], num_perm: int = NUM_PERM) -> tuple[pa.Array, np.ndarray]:
    """The texts normalised (``normalise``) and their MinHash signatures over ``shingles``: datasketch's, to the bit."""
    normalised, hashes, lengths = _shingle_hashes(texts)
    return normalised, minhash_values(hashes, lengths, num_perm)


SIGNATURE_CHUNK = 4_096  # shingles permuted at once: 4,096 x 128 x 4 bytes = 2 MB, within the CPU's cache
TEXT_CHUNK = 100_000  # texts shingled at once
VERIFY_CHUNK = 250_000  # candidate pairs verified at once


def minhash_values(hashes: np.ndarray, lengths: np.ndarray, num_perm: int = NUM_PERM) -> np.ndarray:
    """An ``(n, num_perm)`` array of MinHash values from each set's shingle hashes (flat, set after set).

    datasketch's values to the bit (its "affine32" scheme: a MurmurHash3 pre-mix, then ``a * h + b``
    in 32 bits, the minimum per set), computed over blocks of whole sets in numpy; a test holds them
    equal to ``MinHash.bulk``'s.
    """
    template = MinHash(num_perm=num_perm, seed=MINHASH_SEED, scheme="affine32")
    a, b = (np.asarray(p, np.uint32) for p in template.permutations)
    mixed = _minhash_fmix(np.asarray(hashes, np.uint32), 32)
    lengths = np.asarray(lengths, np.int64)
    signatures = np.full((len(lengths), num_perm), template.hashvalues[0], np.uint32)
    filled = np.flatnonzero(lengths > 0)  # an empty set keeps datasketch's empty value
    ends = np.cumsum(lengths[filled])
    starts = ends - lengths[filled]
    values = np.empty((len(filled), num_perm), np.uint32)
    first = 0
    while first < len(filled):
        # Whole sets per block: as many as fit in SIGNATURE_CHUNK shingles (at least one).
        last = max(first + 1, int(np.searchsorted(ends, starts[first] + SIGNATURE_CHUNK, side="right")))
        low = starts[first]
        # Permutations by rows (num_perm x shingles): the products and the per-set minimum run
        # along contiguous memory, and a block this small stays in the cache between the passes.
        permuted = np.multiply.outer(a, mixed[low : ends[last - 1]])
        permuted += b[:, None]
        values[first:last] = np.minimum.reduceat(permuted, starts[first:last] - low, axis=1).T
        first = last
    signatures[filled] = values
    return signatures


def minhash_signatures(shingle_sets: Sequence[set[str]], num_perm: int = NUM_PERM) -> np.ndarray:
    """MinHash values of sets of shingle strings, one row per set (datasketch's default SHA-1 hash)."""
    hashes = np.fromiter((sha1_hash32(s.encode()) for shingle_set in shingle_sets for s in shingle_set), np.uint32)
    return minhash_values(hashes, np.fromiter((len(s) for s in shingle_sets), np.int64, len(shingle_sets)), num_perm)


def lsh_bands(threshold: float, num_perm: int = NUM_PERM) -> tuple[int, int]:
    """datasketch's (bands, rows per band) for ``threshold``, weighted towards recall (``LSH_WEIGHTS``)."""
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm, weights=LSH_WEIGHTS)
    return lsh.b, lsh.r


_MIX64 = np.uint64(0x9E3779B97F4A7C15)


def band_keys(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """An ``(n, bands)`` array of 64-bit digests, one per band of each signature.

    Equal bands give equal digests, so no pair that MinHashLSH would return is lost; two different
    bands share one with a chance near 2**-64, which adds a candidate that exact Jaccard then judges.
    Eight bytes a band instead of the band itself keep a million signatures in 128 MB, not 512.
    """
    n = len(signatures)
    used = np.ascontiguousarray(signatures[:, : bands * rows])
    # Two 32-bit values per 64-bit word where the rows allow: half the passes.
    words = used.view(np.uint64).reshape(n, bands, rows // 2) if rows % 2 == 0 else used.reshape(n, bands, rows)
    words = np.moveaxis(words, 2, 0).astype(np.uint64)  # (words, n, bands), each word contiguous
    keys = np.full((n, bands), _MIX64, np.uint64)
    for word in words:
        keys ^= word
        keys *= _MIX64
        keys ^= keys >> np.uint64(29)
    return _minhash_fmix(keys, 64)


def lsh_candidates(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (a < b) equal in at least one band, as MinHashLSH would return them; ``keys`` from ``band_keys``."""
    n = len(keys)
    codes = []
    for band in range(keys.shape[1]):
        a, b = bucket_pairs(keys[:, band])
        if len(a):
            codes.append(_unique_pairs(a, b, n))
    if not codes:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    pairs = distinct(np.concatenate(codes))
    return pairs // n, pairs % n


def _ragged(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The positions ``starts[k] .. starts[k] + lengths[k] - 1`` of every k, one after the other."""
    shift = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
    return shift + np.arange(int(lengths.sum()))


def pair_jaccard(table: ShingleTable, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The exact Jaccard similarity of the shingle sets of texts ``a[k]`` and ``b[k]`` of ``table``.

    Both sets' shingle numbers, tagged with their pair, counted once each: what is left is the union,
    and the intersection is what the two sizes have beyond it.
    """
    starts, lengths = table.starts, table.lengths
    width = int(table.shingle.max()) + 1 if len(table.shingle) else 1
    pair = np.arange(len(a), dtype=np.int64)
    tagged = np.concatenate(
        [
            np.repeat(pair, lengths[a]) * width + table.shingle[_ragged(starts[a], lengths[a])],
            np.repeat(pair, lengths[b]) * width + table.shingle[_ragged(starts[b], lengths[b])],
        ]
    )
    union = np.bincount(distinct(tagged) // width, minlength=len(a))
    common = lengths[a] + lengths[b] - union
    return np.divide(common, union, out=np.zeros(len(a)), where=union > 0)


def _verified(texts: Sequence[str], a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Exact Jaccard of each candidate pair, its texts shingled again by chunk of pairs."""
    similarity = np.empty(len(a))
    for first in range(0, len(a), VERIFY_CHUNK):
        chunk_a, chunk_b = a[first : first + VERIFY_CHUNK], b[first : first + VERIFY_CHUNK]
        involved, position = np.unique(np.concatenate([chunk_a, chunk_b]), return_inverse=True)
        table = shingle_table([texts[int(i)] for i in involved])
        similarity[first : first + len(chunk_a)] = pair_jaccard(
            table, position[: len(chunk_a)], position[len(chunk_a) :]
        )
    return similarity


def text_pairs(texts: Sequence[str], *, threshold: float = TEXT_JACCARD_THRESHOLD, num_perm: int = NUM_PERM) -> Pairs:
    """Exact and near-duplicate pairs among ``texts`` (see the module's docstring for the rules).

    Texts are shingled and hashed by chunks of ``TEXT_CHUNK``; what stays in memory for all of them is
    their normalised form (for exact copies) and the 64-bit band digests.
    """
    n = len(texts)
    if n < 2:
        return Pairs.empty()
    bands, rows = lsh_bands(threshold, num_perm)
    normalised, keys = [], np.empty((n, bands), np.uint64)
    for first in range(0, n, TEXT_CHUNK):
        chunk_normalised, signatures = text_minhashes(texts[first : first + TEXT_CHUNK], num_perm)
        normalised.append(chunk_normalised)
        keys[first : first + len(signatures)] = band_keys(signatures, bands, rows)
    # One dictionary across the chunks: equal normalised texts, equal numbers.
    exact_groups = np.concatenate(
        [
            chunk.indices.to_numpy(zero_copy_only=False)
            for chunk in pc.dictionary_encode(pa.chunked_array(normalised)).chunks
        ]
    ).astype(np.int64)
    del normalised
    exact_a, exact_b = bucket_pairs(exact_groups)
    exact = Pairs(exact_a, exact_b, np.ones(len(exact_a)), np.ones(len(exact_a), bool))
    cand_a, cand_b = lsh_candidates(keys)
    del keys
    if len(exact_a) and len(cand_a):
        keep = ~np.isin(cand_a * n + cand_b, exact_a * n + exact_b)
        cand_a, cand_b = cand_a[keep], cand_b[keep]
    similarity = _verified(texts, cand_a, cand_b)
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
    pairs = distinct(np.concatenate(codes))
    a, b = pairs // n, pairs % n
    distance = _popcount(hashes[a] ^ hashes[b])
    keep = distance <= max_distance
    a, b, distance = a[keep], b[keep], distance[keep]
    return Pairs(a, b, 1.0 - distance / 64.0, distance == 0)
