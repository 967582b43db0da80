"""Duplicate finding without a database, checked against brute force and against datasketch's own LSH."""

import io
import itertools

import numpy as np
import pytest
from datasketch import MinHash, MinHashLSH
from PIL import Image, ImageFilter

from quality.leakage.hashing import (
    LSH_WEIGHTS,
    MINHASH_SEED,
    TEXT_JACCARD_THRESHOLD,
    bucket_pairs,
    image_pairs,
    image_phash,
    jaccard,
    lsh_bands,
    lsh_candidates,
    minhash_signatures,
    shingles,
    text_pairs,
)

WORDS = [
    "alpha",
    "beta",
    "gamma",
    "delta",
    "epsilon",
    "zeta",
    "eta",
    "theta",
    "iota",
    "kappa",
    "lambda",
    "mu",
    "nu",
    "xi",
    "omicron",
    "pi",
    "rho",
    "sigma",
    "tau",
]


def random_texts(n: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(WORDS, size=rng.integers(8, 20))) for _ in range(n)]


def pair_set(pairs) -> set[tuple[int, int]]:
    return {(int(a), int(b)) for a, b in zip(pairs.a, pairs.b, strict=True)}


def test_bucket_pairs_gives_every_pair_of_equal_keys_once():
    a, b = bucket_pairs(np.array([5, 1, 5, 2, 5, 1]))
    assert set(zip(a.tolist(), b.tolist(), strict=True)) == {(0, 2), (0, 4), (2, 4), (1, 5)}


def test_a_huge_bucket_is_joined_as_a_chain():
    a, b = bucket_pairs(np.zeros(100, np.int64), max_bucket=10)
    assert (a == 0).all() and sorted(b.tolist()) == list(range(1, 100))


def test_planted_exact_and_near_text_duplicates_are_found():
    texts = random_texts(300)
    base = "the quick brown fox jumps over the lazy dog near the river bank at dawn"
    texts[10] = base
    texts[20] = "  The QUICK brown fox jumps over the lazy dog near the river bank at dawn "  # exact after normalising
    texts[30] = base + " today"  # near: 13 of 14 bigrams shared
    found = text_pairs(texts)
    by_pair = {
        (int(a), int(b)): (bool(e), float(s))
        for a, b, e, s in zip(found.a, found.b, found.exact, found.similarity, strict=True)
    }
    assert by_pair[(10, 20)] == (True, 1.0)
    assert by_pair[(10, 30)][0] is False and by_pair[(10, 30)][1] >= TEXT_JACCARD_THRESHOLD


def test_near_pairs_match_brute_force_jaccard():
    rng = np.random.default_rng(1)
    texts = random_texts(200, seed=2)
    for k in range(40):  # copies with one word changed: most above the threshold, some below
        words = texts[k].split()
        words[rng.integers(len(words))] = "omega"
        texts.append(" ".join(words))
    sets = [shingles(t) for t in texts]
    truth = {(i, j) for i, j in itertools.combinations(range(len(texts)), 2) if jaccard(sets[i], sets[j]) >= 0.8}
    found = pair_set(text_pairs(texts, threshold=0.8))
    assert found <= truth  # verified by exact Jaccard: never a false positive
    assert len(found) >= 0.8 * len(truth) and truth  # LSH may miss a pair right at the threshold


def test_lsh_candidates_are_datasketchs():
    texts = random_texts(150, seed=3) + [t + " extra" for t in random_texts(30, seed=3)]
    signatures = minhash_signatures([shingles(t) for t in texts])
    bands, rows = lsh_bands(0.8)
    ours = set(zip(*(x.tolist() for x in lsh_candidates(signatures, bands, rows)), strict=True))
    lsh = MinHashLSH(threshold=0.8, num_perm=signatures.shape[1], weights=LSH_WEIGHTS)
    hashes = []
    for text in texts:
        minhash = MinHash(num_perm=signatures.shape[1], seed=MINHASH_SEED)
        minhash.update_batch([s.encode() for s in sorted(shingles(text))])
        hashes.append(minhash)
    for index, minhash in enumerate(hashes):
        lsh.insert(index, minhash)
    theirs = {(min(i, j), max(i, j)) for i, h in enumerate(hashes) for j in lsh.query(h) if i != j}
    assert ours == theirs and ours


def test_image_pairs_match_brute_force_hamming():
    rng = np.random.default_rng(4)
    hashes = rng.integers(0, 2**63, size=300, dtype=np.uint64)
    flips = rng.integers(0, 64, size=(60, 4))
    near = hashes[:60].copy()
    for row, bits in enumerate(flips):
        for bit in bits[: rng.integers(0, 5)]:
            near[row] ^= np.uint64(1) << np.uint64(bit)
    hashes = np.concatenate([hashes, near])
    distance = lambda x, y: bin(int(x) ^ int(y)).count("1")  # noqa: E731
    truth = {(i, j) for i, j in itertools.combinations(range(len(hashes)), 2) if distance(hashes[i], hashes[j]) <= 6}
    found = image_pairs(hashes, max_distance=6)
    assert pair_set(found) == truth and len(truth) >= 60
    assert all(found.exact == (found.similarity == 1.0))


def png(image: Image.Image) -> io.BytesIO:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    buffer.seek(0)
    return buffer


@pytest.fixture
def picture() -> Image.Image:
    rng = np.random.default_rng(5)
    return Image.fromarray(rng.integers(0, 255, size=(16, 16, 3), dtype=np.uint8)).resize((128, 128))


def test_a_resized_or_blurred_copy_has_a_near_perceptual_hash(picture):
    other = Image.fromarray(np.random.default_rng(6).integers(0, 255, size=(16, 16, 3), dtype=np.uint8))
    hashes = np.array(
        [
            image_phash(png(picture)),
            image_phash(png(picture.resize((96, 96)))),
            image_phash(png(picture.filter(ImageFilter.GaussianBlur(1)))),
            image_phash(png(other.resize((128, 128)))),
        ],
        np.uint64,
    )
    assert pair_set(image_pairs(hashes)) == {(0, 1), (0, 2), (1, 2)}


def test_minhash_signatures_are_datasketchs_bit_for_bit(monkeypatch):
    from quality.leakage import hashing

    monkeypatch.setattr(hashing, "SIGNATURE_CHUNK", 7)  # many chunks, sets across their edges
    rng = np.random.default_rng(3)
    words = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"]
    sets = [shingles(" ".join(rng.choice(words, rng.integers(0, 25)))) for _ in range(300)] + [set(), {"x"}]
    reference = MinHash.bulk(([s.encode() for s in shingle_set] for shingle_set in sets), num_perm=128, seed=1)
    assert np.array_equal(minhash_signatures(sets), np.vstack([h.hashvalues for h in reference]))
