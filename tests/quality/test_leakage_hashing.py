"""Duplicate finding without a database, checked against brute force and against datasketch's own LSH."""

import io
import itertools

import numpy as np
import pytest
from datasketch import MinHash, MinHashLSH
from PIL import Image, ImageFilter

from quality.leakage import hashing
from quality.leakage.hashing import (
    LSH_WEIGHTS,
    MINHASH_SEED,
    TEXT_JACCARD_THRESHOLD,
    band_keys,
    bucket_pairs,
    image_pairs,
    image_phash,
    jaccard,
    lsh_bands,
    lsh_candidates,
    minhash_signatures,
    normalise,
    pair_jaccard,
    shingle_table,
    shingles,
    text_minhashes,
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


def datasketch_minhash(text: str) -> MinHash:
    minhash = MinHash(num_perm=128, seed=MINHASH_SEED)
    minhash.update_batch([s.encode() for s in sorted(shingles(text))])
    return minhash


def tricky_texts(n: int, seed: int = 8) -> list[str]:
    """Texts drawn from ASCII (every byte, controls and all) and a few non-ASCII letters, spaces and forms."""
    rng = np.random.default_rng(seed)
    alphabet = [chr(c) for c in range(128)] + list("éÉßẞ\u212a\u0130ﬁ\uff12\u00a0\u2003\u0085\u200bÅ\u0301ǅ٣")
    pieces = ["Alpha", "beta", "GAMMA", "x_1", "  ", "\t", "\x1c", "\n", ", ", "Straße", "STRASSE", "ﬁne", "fine"]
    texts = ["", " ", "\x1f", "word", "Word  ", "two words", "!!!", "???", "K\u212a k", "ǅ"]
    for _ in range(n):
        if rng.random() < 0.5:
            texts.append("".join(rng.choice(alphabet, rng.integers(0, 40))))
        else:
            texts.append("".join(rng.choice(pieces, rng.integers(0, 12))))
    return texts


def test_texts_are_normalised_and_shingled_as_the_python_definition_says():
    texts = tricky_texts(600) + random_texts(50)
    normalised, signatures = text_minhashes(texts)
    assert normalised.to_pylist() == [normalise(t) for t in texts]
    reference = MinHash.bulk(([s.encode() for s in shingles(t)] for t in texts), num_perm=128, seed=MINHASH_SEED)
    assert np.array_equal(signatures, np.vstack([h.hashvalues for h in reference]))
    table = shingle_table(texts)
    assert table.lengths.tolist() == [len(shingles(t)) for t in texts]
    rng = np.random.default_rng(9)
    a, b = rng.integers(len(texts), size=(2, 3000))
    a[:50], b[:50] = np.arange(50), np.arange(50)  # a text with itself
    expected = [jaccard(shingles(texts[i]), shingles(texts[j])) for i, j in zip(a, b, strict=True)]
    assert pair_jaccard(table, a, b).tolist() == expected


def test_chunks_change_nothing(monkeypatch):
    texts = tricky_texts(150, seed=10) + random_texts(150, seed=11)
    texts += [t.upper() for t in texts[200:230]] + [t + " omega" for t in texts[230:260]]
    whole = text_pairs(texts)
    monkeypatch.setattr(hashing, "TEXT_CHUNK", 7)
    monkeypatch.setattr(hashing, "VERIFY_CHUNK", 5)
    monkeypatch.setattr(hashing, "SIGNATURE_CHUNK", 11)
    chunked = text_pairs(texts)
    assert whole.exact.sum() >= 30 and (~whole.exact).sum() >= 10
    for name in ("a", "b", "similarity", "exact"):
        assert np.array_equal(getattr(whole, name), getattr(chunked, name))


def test_near_pairs_are_what_datasketch_lsh_finds_verified():
    """datasketch as documented: MinHash per text, MinHashLSH insert then query; its candidates at the threshold."""
    rng = np.random.default_rng(12)
    texts = random_texts(400, seed=13)
    for k in range(120):
        words = texts[k].split()
        for _ in range(rng.integers(1, 3)):
            words[rng.integers(len(words))] = str(rng.choice(WORDS))
        texts.append(" ".join(words))
    texts += [texts[5].upper(), texts[6] + " ", "ﬁne straße " + texts[7], "fine strasse " + texts[7]]
    lsh = MinHashLSH(threshold=TEXT_JACCARD_THRESHOLD, num_perm=128, weights=LSH_WEIGHTS)
    hashes = [datasketch_minhash(t) for t in texts]
    for index, minhash in enumerate(hashes):
        lsh.insert(index, minhash)
    candidates = {(min(i, j), max(i, j)) for i, h in enumerate(hashes) for j in lsh.query(h) if i != j}
    exact = {(i, j) for i, j in candidates if normalise(texts[i]) == normalise(texts[j])}
    expected = {
        (i, j): jaccard(shingles(texts[i]), shingles(texts[j]))
        for i, j in candidates - exact
        if jaccard(shingles(texts[i]), shingles(texts[j])) >= TEXT_JACCARD_THRESHOLD
    }
    found = text_pairs(texts)
    near = {
        (int(a), int(b)): float(s)
        for a, b, s, e in zip(found.a, found.b, found.similarity, found.exact, strict=True)
        if not e
    }
    assert near == expected and len(expected) >= 20
    assert {(int(a), int(b)) for a, b, e in zip(found.a, found.b, found.exact, strict=True) if e} == exact
    assert {(5, 520), (6, 521), (522, 523)} <= exact  # the planted copies: case, a space, NFKC and folding


def test_lsh_candidates_are_datasketchs():
    texts = random_texts(150, seed=3) + [t + " extra" for t in random_texts(30, seed=3)]
    signatures = minhash_signatures([shingles(t) for t in texts])
    bands, rows = lsh_bands(0.8)
    ours = set(zip(*(x.tolist() for x in lsh_candidates(band_keys(signatures, bands, rows))), strict=True))
    lsh = MinHashLSH(threshold=0.8, num_perm=signatures.shape[1], weights=LSH_WEIGHTS)
    hashes = [datasketch_minhash(text) for text in texts]
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
    monkeypatch.setattr(hashing, "SIGNATURE_CHUNK", 7)  # many chunks, sets across their edges
    rng = np.random.default_rng(3)
    words = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"]
    sets = [shingles(" ".join(rng.choice(words, rng.integers(0, 25)))) for _ in range(300)] + [set(), {"x"}]
    reference = MinHash.bulk(([s.encode() for s in shingle_set] for shingle_set in sets), num_perm=128, seed=1)
    assert np.array_equal(minhash_signatures(sets), np.vstack([h.hashvalues for h in reference]))


def test_a_lone_surrogate_does_not_stop_the_check():
    texts = ["bad \ud800 text here", "bad \ud800 text here", "other words entirely", "Bad \ud800 text  here"]
    found = pair_set(text_pairs(texts))
    assert found == {(0, 1), (0, 3), (1, 3)}
