"""Assigning items to train/dev/test: grouped, stratified, stable. No Django: arrays in, arrays out.

- Groups: an item, its root (``source`` followed to the top) and all that root's
  descendants form one group, and so does every near-duplicate cluster (pairs from
  ``quality.leakage.hashing``), joined transitively (connected components).
- Stable: a group with a member already decided keeps that member's split (the most
  common one if members disagree); only groups with no decided member are assigned.
- Stratified: undecided groups are placed largest first (ties in a seeded random order),
  each into the split where it brings the per-label counts closest to ``ratio x total``,
  measured as shares of each label's total. With one label per item this is
  StratifiedGroupKFold's rule with unequal split sizes; with several it is iterative
  stratification (Sechidis et al. 2011) over groups. Items with no final label count
  under a label of their own, so they are spread by the ratios too.
- Augmented items (those with a source) are only ever in train: an augmented copy whose
  group is in dev or test is left out (-1) and counted, never moved.

Balance is reported as each label's share within each split against its share overall;
``TOLERANCE`` is the largest difference we promise for a label with at least
``MIN_LABEL_ITEMS`` original items in each split's expected count.
"""

from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

SPLITS = ("train", "dev", "test")
TRAIN = 0
LEFT_OUT = -1
UNDECIDED = -2
TOLERANCE = 0.05
MIN_LABEL_ITEMS = 20
UNLABELLED = "(no final label)"


@dataclass(frozen=True)
class LabelBalance:
    label: str
    overall: float
    shares: dict[str, float]
    counts: dict[str, int]
    max_deviation: float
    checked: bool  # enough items for the tolerance to apply


@dataclass(frozen=True)
class Assignment:
    """The split code of every item (0 train, 1 dev, 2 test, -1 left out) and what it came to."""

    codes: np.ndarray
    groups: int
    sizes: dict[str, int]
    left_out: int
    balance: list[LabelBalance] = field(default_factory=list)
    tolerance: float = TOLERANCE

    @property
    def max_deviation(self) -> float:
        return max((b.max_deviation for b in self.balance if b.checked), default=0.0)

    @property
    def within_tolerance(self) -> bool:
        return self.max_deviation <= self.tolerance


def roots(source_index: np.ndarray) -> np.ndarray:
    """Each item's root: follow ``source_index`` (-1 for none) to the top, by pointer doubling."""
    n = len(source_index)
    parent = np.where(source_index >= 0, source_index, np.arange(n))
    while True:
        grand = parent[parent]
        if np.array_equal(grand, parent):
            return parent
        parent = grand


def group_ids(*, source_index: np.ndarray, pair_a: np.ndarray, pair_b: np.ndarray) -> np.ndarray:
    """A group number per item: lineage and near-duplicate pairs joined transitively."""
    n = len(source_index)
    has_source = source_index >= 0
    rows = np.concatenate([np.flatnonzero(has_source), pair_a]).astype(np.int64)
    cols = np.concatenate([source_index[has_source], pair_b]).astype(np.int64)
    graph = coo_matrix((np.ones(len(rows), np.int8), (rows, cols)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return labels


def _group_splits_fixed(groups: np.ndarray, fixed: np.ndarray, n_groups: int) -> np.ndarray:
    """Per group, the most common split among its already decided members; -2 when none is decided."""
    decided = fixed >= 0
    counts = np.zeros((n_groups, len(SPLITS)), np.int64)
    np.add.at(counts, (groups[decided], fixed[decided]), 1)
    return np.where(counts.sum(axis=1) > 0, counts.argmax(axis=1), UNDECIDED)


# numpy sums a row shorter than 8 from left to right; a longer one pairwise, in its own order.
SEQUENTIAL_SUM = 8
PLACE_CHUNK = 50_000  # groups turned into Python lists at once


def _place(
    counts: np.ndarray, assigned: np.ndarray, target: np.ndarray, weight: np.ndarray, allowed: np.ndarray
) -> np.ndarray:
    """Each group's split, in turn: the one where it grows the squared, share-scaled distance to the target least.

    ``assigned`` (splits x columns) is updated as groups are placed. The rule is numpy's
    ``((c * c + 2 * c * (assigned - target)) * weight).sum(axis=1)``; with fewer than
    ``SEQUENTIAL_SUM`` columns it runs on Python floats in numpy's order of operations, over the
    columns a group has (a zero column adds 0.0), several times faster for a million groups and
    the same to the last bit (a test holds the splits equal).
    """
    chosen = np.empty(len(counts), np.int8)
    splits = [int(s) for s in np.flatnonzero(allowed)]
    if counts.shape[1] >= SEQUENTIAL_SUM:
        for index, row in enumerate(counts):
            growth = ((row * row + 2 * row * (assigned - target)) * weight).sum(axis=1)
            growth[~allowed] = np.inf
            best = int(np.argmin(growth))
            chosen[index] = best
            assigned[best] += row
        return chosen
    placed = assigned.tolist()
    goal = target.tolist()
    scale = weight.tolist()
    for first in range(0, len(counts), PLACE_CHUNK):
        for offset, row in enumerate(counts[first : first + PLACE_CHUNK].tolist()):
            present = [column for column, count in enumerate(row) if count]
            best, least = -1, 0.0
            for split in splits:
                have, want = placed[split], goal[split]
                growth = 0.0
                for column in present:
                    count = row[column]
                    growth += (count * count + 2 * count * (have[column] - want[column])) * scale[column]
                if best < 0 or growth < least:
                    best, least = split, growth
            chosen[first + offset] = best
            have = placed[best]
            for column in present:
                have[column] += row[column]
    assigned[:] = placed
    return chosen


def assign(
    *,
    groups: np.ndarray,
    labels: np.ndarray,
    label_names: list[str],
    augmented: np.ndarray,
    fixed: np.ndarray,
    ratios: tuple[float, float, float],
    seed: int,
) -> Assignment:
    """Split codes for every item.

    ``labels`` is an (items x labels) 0/1 matrix of final labels (several ones per row
    for multi-label, none for an item without one); ``fixed`` holds decisions made
    earlier (0-2, -1 left out) or -2 for items not decided yet.
    """
    n = len(groups)
    _, groups = np.unique(groups, return_inverse=True)
    n_groups = int(groups.max()) + 1 if n else 0
    labels = np.asarray(labels, dtype=np.int64).reshape(n, -1)
    names = [*label_names, UNLABELLED]
    original = ~np.asarray(augmented, bool)
    # Columns: each label, "no label", and the item count itself (the split sizes).
    columns = np.hstack([labels, (labels.sum(axis=1) == 0)[:, None], np.ones((n, 1), np.int64)])
    columns = columns * original[:, None]
    group_counts = np.zeros((n_groups, columns.shape[1]), np.int64)
    np.add.at(group_counts, groups, columns)

    group_split = _group_splits_fixed(groups, fixed, n_groups)
    ratio = np.asarray(ratios, np.float64)
    total = group_counts.sum(axis=0).astype(np.float64)
    target = ratio[:, None] * total[None, :]
    weight = 1.0 / np.maximum(total, 1.0) ** 2
    assigned = np.zeros_like(target)
    for split in range(len(SPLITS)):
        assigned[split] = group_counts[group_split == split].sum(axis=0)

    free = np.flatnonzero(group_split == UNDECIDED)
    rng = np.random.default_rng(seed)
    free = free[rng.permutation(len(free))]
    free = free[np.argsort(-group_counts[free, -1], kind="stable")]
    group_split[free] = _place(group_counts[free], assigned, target, weight, ratio > 0)

    codes = group_split[groups].astype(np.int8)
    already = fixed != UNDECIDED
    codes[already] = fixed[already]
    leaked = ~original & ~already & (codes != TRAIN)
    codes[leaked] = LEFT_OUT
    return Assignment(
        codes=codes,
        groups=n_groups,
        sizes={name: int((codes == index).sum()) for index, name in enumerate(SPLITS)},
        left_out=int((codes == LEFT_OUT).sum()),
        balance=balance(codes=codes, columns=columns[:, :-1], names=names, ratios=ratio),
    )


def balance(*, codes: np.ndarray, columns: np.ndarray, names: list[str], ratios: np.ndarray) -> list[LabelBalance]:
    """Each label's share of each split against its share overall, over original items."""
    counted = columns.sum(axis=1) > 0  # augmented rows were zeroed: they do not count
    codes = np.where(counted, codes, LEFT_OUT)
    per_split = np.array([columns[codes == index].sum(axis=0) for index in range(len(SPLITS))])
    split_sizes = np.array([int(((codes == index) & counted).sum()) for index in range(len(SPLITS))])
    overall = per_split.sum(axis=0) / max(int(split_sizes.sum()), 1)
    result = []
    for column, name in enumerate(names):
        if per_split[:, column].sum() == 0:
            continue
        shares = {SPLITS[s]: float(per_split[s, column] / split_sizes[s]) if split_sizes[s] else 0.0 for s in range(3)}
        present = [s for s in range(3) if split_sizes[s]]
        expected = per_split[:, column].sum() * ratios
        result.append(
            LabelBalance(
                label=name,
                overall=float(overall[column]),
                shares=shares,
                counts={SPLITS[s]: int(per_split[s, column]) for s in range(3)},
                max_deviation=float(max((abs(shares[SPLITS[s]] - overall[column]) for s in present), default=0.0)),
                checked=bool(all(expected[s] >= MIN_LABEL_ITEMS for s in range(3) if ratios[s] > 0)),
            )
        )
    return result
