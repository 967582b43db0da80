"""Augmentation, splits and the leakage check at scale: our code beside plain library calls, same arrays.

Run on demand (it is not a test)::

    .venv/bin/python bench/augment.py [--augment 100000] [--items 1000000] [--reference-items 20000]
        [--sklearn-items 10000]

No database: these are the pure parts the Celery jobs run (the database's share is measured by
``import_batch.py``). Three timings, each beside a reference on the same input in the same run:

1. Generating ``--augment`` text augmentations (keyboard typos, the default rate) the way the
   job does: the generators of every (seed, source, copy) seeded in bulk (``ItemGenerators``,
   the same streams as ``item_rng``: checked on the first thousand), every drawn value kept.
   Reference: the plainest typo injector (one ``random.Random``, no values kept), the floor of
   what any such loop costs in Python.
2. Assigning splits over ``--items`` items (a tenth of them augmented copies of others, with
   near-duplicate pairs): lineage and duplicate groups joined, then the grouped, stratified
   assignment. Reference: scikit-learn's ``StratifiedGroupKFold`` (10 folds: 8 train, 1 dev,
   1 test) on the same labels and groups of a sample of ``--sklearn-items`` (it is slow).
3. The leakage check over ``--items`` texts: exact and near duplicates (MinHash LSH over word
   bigrams, Jaccard verified) and the cross-split report. Reference: datasketch used as its
   documentation shows (``MinHash`` per text, ``MinHashLSH.insert`` then ``query``) on a sample
   of ``--reference-items`` texts (it is slow), with the pairs each finds there.

A sample is originals and every augmented copy of them, so it holds near duplicates too.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("GROUNDWORK_VAR_DIR", "/tmp/groundwork-bench")

import django  # noqa: E402

django.setup()

from datasets.selectors import UNDECIDED, VersionItems  # noqa: E402  (bench/ is not a package)
from quality.augment.augmenters import (  # noqa: E402
    METHODS,
    NEIGHBOURS,
    ItemGenerators,
    augment_text,
    content_key,
    item_rng,
)
from quality.leakage.hashing import (  # noqa: E402
    LSH_WEIGHTS,
    MINHASH_SEED,
    NUM_PERM,
    TEXT_JACCARD_THRESHOLD,
    jaccard,
    normalise,
    shingles,
    text_pairs,
)
from quality.leakage.services import leakage_result  # noqa: E402
from quality.splits.assign import assign, group_ids  # noqa: E402

VOCABULARY = """
the a parcel arrived late early broken fine great terrible support answered never quickly refund order app web
email chat price quality delivery driver box phone screen battery charger cable store staff friendly rude helpful
slow fast again return exchange colour size fits small large
"""
WORDS = VOCABULARY.split()
LABELS = ["positive", "negative", "neutral"]


def timed(what: str, run):
    start = time.perf_counter()
    result = run()
    seconds = time.perf_counter() - start
    print(f"  {what:<62} {seconds:8.2f} s", flush=True)
    return result, seconds


def synthetic_texts(n: int, seed: int = 0) -> tuple[list[str], np.ndarray]:
    """``n`` review-like texts; the last tenth are copies of earlier ones with one word swapped."""
    rng = np.random.default_rng(seed)
    originals = n - n // 10
    lengths = rng.integers(8, 25, originals)
    words = rng.integers(len(WORDS), size=int(lengths.sum()))
    texts, at = [], 0
    for number, length in enumerate(lengths):
        texts.append(" ".join(WORDS[w] for w in words[at : at + length]) + f" order {number}")
        at += length
    sources = rng.integers(originals, size=n - originals)
    for source in sources:
        parts = texts[source].split()
        i = int(rng.integers(len(parts) - 1))
        parts[i], parts[i + 1] = parts[i + 1], parts[i]
        texts.append(" ".join(parts))
    source_index = np.concatenate([np.full(originals, -1, np.int64), sources.astype(np.int64)])
    return texts, source_index


def bench_generate(n: int) -> None:
    print(f"\n1. generating {n:,} text augmentations (keyboard_typos, rate 0.05)")
    texts, _ = synthetic_texts(n // 2)
    keys = [content_key(f"{hash(t) & (2**64 - 1):016x}") for t in texts]
    method = METHODS["keyboard_typos"]
    params = {"rate": 0.05}

    def ours():
        generators = ItemGenerators(7, keys, 2)
        made = []
        for position, text in enumerate(texts):
            for copy in range(2):
                made.append(augment_text(method, text, params, generators(position, copy)))
        return made

    def reference():
        chooser = random.Random(7)
        made = []
        for text in texts:
            for _ in range(2):
                chars = list(text)
                for i, ch in enumerate(chars):
                    if ch in NEIGHBOURS and chooser.random() < 0.05:
                        chars[i] = chooser.choice(NEIGHBOURS[ch])
                made.append("".join(chars))
        return made

    made, seconds = timed("ours: seeded per (source, copy), every drawn value kept", ours)
    _, ref_seconds = timed("reference: one random.Random, nothing kept", reference)
    one_by_one = [augment_text(method, texts[k // 2], params, item_rng(7, keys[k // 2], k % 2)) for k in range(1000)]
    print(f"     first 1,000 equal to item_rng one by one: {'yes' if one_by_one == made[:1000] else 'NO'}")
    changed = sum(
        1 for (text, _), source in zip(made, (t for t in texts for _ in range(2)), strict=True) if text != source
    )
    print(f"  -> {len(made):,} made ({changed:,} differ from their source); {len(made) / seconds:,.0f} per second")
    print(f"     goal under 60 s: {'met' if seconds < 60 else 'MISSED'}; reference {ref_seconds:.2f} s")


def sample_with_copies(source_index: np.ndarray, size: int) -> np.ndarray:
    """About ``size`` positions: the first originals and every augmented copy of them."""
    originals = np.flatnonzero(source_index < 0)
    share = len(originals) / len(source_index)
    first = originals[: max(1, int(size * share))]
    copies = np.flatnonzero((source_index >= 0) & np.isin(source_index, first))
    return np.sort(np.concatenate([first, copies]))


def bench_splits_and_leakage(n: int, reference_items: int, sklearn_items: int) -> None:
    print(f"\n2./3. {n:,} items (a tenth augmented copies)")
    (texts, source_index), _ = timed("making the texts (not part of either figure)", lambda: synthetic_texts(n))
    text_pairs(texts[:1000])  # imports and first calls, outside the figures
    rng = np.random.default_rng(1)
    label_codes = rng.choice(len(LABELS), size=n, p=[0.5, 0.3, 0.2])
    label_codes[source_index >= 0] = label_codes[source_index[source_index >= 0]]
    labels = np.zeros((n, len(LABELS)), np.int64)
    labels[np.arange(n), label_codes] = 1
    augmented = source_index >= 0

    pairs, pair_seconds = timed("leakage/splits: exact + near-duplicate pairs (ours)", lambda: text_pairs(texts))
    print(f"     {int(pairs.exact.sum()):,} exact and {int((~pairs.exact).sum()):,} near pairs")

    def split():
        return assign(
            groups=group_ids(source_index=source_index, pair_a=pairs.a, pair_b=pairs.b),
            labels=labels,
            label_names=LABELS,
            augmented=augmented,
            fixed=np.full(n, UNDECIDED, np.int8),
            ratios=(0.8, 0.1, 0.1),
            seed=0,
        )

    assignment, split_seconds = timed("splits: groups joined + grouped stratified assignment", split)
    print(
        f"     {assignment.groups:,} groups; sizes {assignment.sizes}; left out {assignment.left_out:,}; "
        f"largest label gap {assignment.max_deviation:.4f}"
    )

    subset = sample_with_copies(source_index, sklearn_items)
    m = len(subset)
    where = np.full(n, -1, np.int64)
    where[subset] = np.arange(m)
    sub_source = np.where(source_index[subset] >= 0, where[np.maximum(source_index[subset], 0)], -1)
    in_subset = (where[pairs.a] >= 0) & (where[pairs.b] >= 0)
    sub_groups = group_ids(source_index=sub_source, pair_a=where[pairs.a[in_subset]], pair_b=where[pairs.b[in_subset]])

    def ours_subset():
        return assign(
            groups=sub_groups,
            labels=labels[subset],
            label_names=LABELS,
            augmented=augmented[subset],
            fixed=np.full(m, UNDECIDED, np.int8),
            ratios=(0.8, 0.1, 0.1),
            seed=0,
        )

    def sklearn_split():
        from sklearn.model_selection import StratifiedGroupKFold

        originals = np.flatnonzero(~augmented[subset])
        folds = StratifiedGroupKFold(n_splits=10, shuffle=True, random_state=0)
        codes = np.zeros(len(originals), np.int8)
        for fold, (_, test) in enumerate(folds.split(originals, label_codes[subset][originals], sub_groups[originals])):
            codes[test] = 0 if fold < 8 else fold - 7
        return codes

    small, small_seconds = timed(f"ours: the assignment alone, {m:,} items (originals + copies)", ours_subset)
    ref_codes, ref_split_seconds = timed(
        f"reference: sklearn StratifiedGroupKFold(10), same {m:,} items", sklearn_split
    )
    shares = np.bincount(ref_codes, minlength=3) / len(ref_codes)
    ours_codes = small.codes[~augmented[subset]]  # originals, as the reference sees them
    ours_shares = np.bincount(ours_codes[ours_codes >= 0], minlength=3) / max(1, int((ours_codes >= 0).sum()))
    print(f"     split shares: ours {np.round(ours_shares, 3).tolist()}, reference {np.round(shares, 3).tolist()}")
    print(
        f"  -> splits over {n:,}: {pair_seconds + split_seconds:.2f} s (pairs {pair_seconds:.2f} + assignment "
        f"{split_seconds:.2f}); on {m:,}: ours {small_seconds:.2f} s, scikit-learn {ref_split_seconds:.2f} s"
    )

    items = VersionItems(
        ids=np.arange(1, n + 1, dtype=np.int64),
        source_ids=np.where(augmented, source_index + 1, 0),
        source_index=source_index,
        contents=texts,
        splits=assignment.codes,
        external_ids=[""] * n,
    )
    _, report_seconds = timed(
        "leakage: cross-split report from the pairs", lambda: leakage_result(items=items, pairs=pairs, image=False)
    )
    leak_seconds = pair_seconds + report_seconds
    print(f"  -> leakage check total {leak_seconds:.2f} s; goal under 60 s: {'met' if leak_seconds < 60 else 'MISSED'}")

    from datasketch import MinHash, MinHashLSH

    sample = sample_with_copies(source_index, reference_items)
    sample_texts = [texts[int(k)] for k in sample]

    def datasketch_plain():
        lsh = MinHashLSH(threshold=TEXT_JACCARD_THRESHOLD, num_perm=NUM_PERM, weights=LSH_WEIGHTS)
        hashes = []
        for k, text in enumerate(sample_texts):
            minhash = MinHash(num_perm=NUM_PERM, seed=MINHASH_SEED)
            minhash.update_batch([s.encode() for s in shingles(text)])
            lsh.insert(k, minhash)
            hashes.append(minhash)
        found = set()
        for k, minhash in enumerate(hashes):
            found.update((k, other) for other in lsh.query(minhash) if other > k)
        return found

    found, ref_seconds = timed(f"reference: datasketch MinHash + MinHashLSH, {len(sample):,} texts", datasketch_plain)
    kept = {
        (a, b)
        for a, b in found
        if normalise(sample_texts[a]) != normalise(sample_texts[b])
        and jaccard(shingles(sample_texts[a]), shingles(sample_texts[b])) >= TEXT_JACCARD_THRESHOLD
    }
    ours_sample, ours_sample_seconds = timed(
        f"ours on the same {len(sample):,} texts", lambda: text_pairs(sample_texts)
    )
    ours_near = {
        (int(a), int(b)) for a, b, e in zip(ours_sample.a, ours_sample.b, ours_sample.exact, strict=True) if not e
    }
    print(
        f"     datasketch: {len(found):,} candidates, {len(kept):,} of them near (Jaccard >= {TEXT_JACCARD_THRESHOLD}, "
        f"not exact); ours: {len(ours_near):,} near; the same pairs: {'yes' if ours_near == kept else 'NO'}"
    )
    print(
        f"  -> per text: datasketch {ref_seconds / len(sample) * 1e6:.0f} us ({len(sample):,} texts); "
        f"ours {ours_sample_seconds / len(sample) * 1e6:.0f} us ({len(sample):,}), "
        f"{pair_seconds / n * 1e6:.0f} us ({n:,})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--augment", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--reference-items", type=int, default=20_000, help="texts for datasketch's reference")
    parser.add_argument("--sklearn-items", type=int, default=10_000, help="items for scikit-learn's reference")
    args = parser.parse_args()
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}, {os.cpu_count()} cores")
    bench_generate(args.augment)
    bench_splits_and_leakage(args.items, args.reference_items, args.sklearn_items)
    print(f"\nload average at the end {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
