"""The report's figures from plain arrays: no database, so each one is tested against pandas or scikit-learn.

Labels arrive as integer codes into a list of names (``-1``: no label); items as parallel arrays.
"""

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

NO_LABEL = -1
MIN_SLICE_ITEMS = 30  # below this a slice's figures are shown but marked too small to judge


def coverage(annotations_per_item: np.ndarray, *, overlap: int) -> dict[str, Any]:
    """Items by how many annotations they hold (0, 1, 2...), and how many reached the project's overlap."""
    counts = (
        np.bincount(annotations_per_item.astype(np.int64), minlength=overlap + 1)
        if annotations_per_item.size
        else (np.zeros(overlap + 1, dtype=np.int64))
    )
    return {
        "items": int(annotations_per_item.size),
        "by_annotations": [{"annotations": n, "items": int(c)} for n, c in enumerate(counts.tolist())],
        "at_full_overlap": int((annotations_per_item >= overlap).sum()),
        "unlabeled": int((annotations_per_item == 0).sum()),
    }


def class_balance(final_codes: np.ndarray, label_names: Sequence[str]) -> list[dict[str, Any]]:
    """Each label's count and share among the items that have a final label."""
    labeled = final_codes[final_codes >= 0]
    counts = np.bincount(labeled, minlength=len(label_names)) if labeled.size else np.zeros(len(label_names), int)
    total = int(labeled.size)
    return [
        {"label": name, "count": int(count), "share": (int(count) / total) if total else None}
        for name, count in zip(label_names, counts.tolist(), strict=True)
    ]


def balance_shift(now: list[dict[str, Any]], before: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Each label's share now, before, and the change in percentage points (None where a share is unknown)."""
    earlier = {row["label"]: row["share"] for row in before or []}
    rows = []
    for row in now:
        old = earlier.get(row["label"])
        delta = (row["share"] - old) * 100 if row["share"] is not None and old is not None else None
        rows.append({"label": row["label"], "share": row["share"], "parent_share": old, "change_pp": delta})
    return rows


def label_changes(
    item_ids: np.ndarray, finals: np.ndarray, parent_ids: np.ndarray, parent_finals: np.ndarray, n_labels: int
) -> dict[str, Any]:
    """Since the parent's report: items that gained a final label, and old final -> new final for items that had one.

    ``matrix[i][j]`` counts items whose final label went from label i to label j (the diagonal: unchanged).
    """
    order = np.argsort(parent_ids, kind="stable")
    parent_ids, parent_finals = parent_ids[order], parent_finals[order]
    found = np.searchsorted(parent_ids, item_ids)
    found = np.clip(found, 0, max(len(parent_ids) - 1, 0))
    known = (parent_ids[found] == item_ids) if len(parent_ids) else np.zeros(len(item_ids), bool)
    before = np.where(known, parent_finals[found] if len(parent_ids) else NO_LABEL, NO_LABEL)
    gained = int(((before == NO_LABEL) & (finals >= 0)).sum())
    both = (before >= 0) & (finals >= 0)
    matrix = np.zeros((n_labels, n_labels), dtype=np.int64)
    np.add.at(matrix, (before[both], finals[both]), 1)
    changed = int(both.sum() - np.trace(matrix))
    return {
        "gained": gained,
        "changed": changed,
        "lost": int(((before >= 0) & (finals < 0)).sum()),
        "matrix": matrix.tolist(),
    }


def overturns(majority: np.ndarray, adjudicated: np.ndarray, label_names: Sequence[str]) -> dict[str, Any]:
    """How often a reviewer's final label differs from the annotators' majority, by the majority's label.

    Only items with both a (non-tied) majority and an adjudication count.
    """
    both = (majority >= 0) & (adjudicated >= 0)
    overturned = both & (majority != adjudicated)
    by_label = []
    for code, name in enumerate(label_names):
        reviewed = int((both & (majority == code)).sum())
        changed = int((overturned & (majority == code)).sum())
        by_label.append(
            {
                "label": name,
                "reviewed": reviewed,
                "overturned": changed,
                "rate": changed / reviewed if reviewed else None,
            }
        )
    reviewed = int(both.sum())
    return {
        "reviewed": reviewed,
        "overturned": int(overturned.sum()),
        "rate": int(overturned.sum()) / reviewed if reviewed else None,
        "by_label": by_label,
    }


def annotator_overturns(
    rows_item: np.ndarray,
    rows_annotator: np.ndarray,
    rows_value: np.ndarray,
    adjudicated: np.ndarray,
    usernames: Sequence[str],
) -> list[dict[str, Any]]:
    """Per annotator, on adjudicated items: how often the reviewer's final label differs from theirs."""
    final = adjudicated[rows_item]
    judged = (final >= 0) & (rows_value >= 0)
    n = np.bincount(rows_annotator[judged], minlength=len(usernames))
    differ = np.bincount(rows_annotator[judged & (rows_value != final)], minlength=len(usernames))
    return [
        {
            "annotator": name,
            "adjudicated": int(total),
            "overturned": int(d),
            "rate": int(d) / int(total) if total else None,
        }
        for name, total, d in zip(usernames, n.tolist(), differ.tolist(), strict=True)
    ]


def distribution(codes: np.ndarray, n_labels: int) -> np.ndarray:
    labeled = codes[codes >= 0]
    counts = np.bincount(labeled, minlength=n_labels).astype(float)
    return counts / counts.sum() if counts.sum() else counts


def total_variation(p: np.ndarray, q: np.ndarray) -> float:
    """Half the L1 distance between two label distributions: 0 the same, 1 nothing in common."""
    return float(np.abs(p - q).sum() / 2)


def item_set_hash(content_hashes: Iterable[str]) -> str:
    """SHA-256 over the sorted content hashes: the same items give the same hash, whatever their order."""
    digest = hashlib.sha256()
    for value in sorted(content_hashes):
        digest.update(value.encode())
        digest.update(b"\n")
    return digest.hexdigest()


def item_set_hash_of_array(content_hashes: np.ndarray) -> str:
    """``item_set_hash`` of ASCII hashes held as one fixed-width bytes array: one sort, one digest."""
    if content_hashes.size == 0:
        return hashlib.sha256().hexdigest()
    width = content_hashes.dtype.itemsize
    lines = np.empty((content_hashes.size, width + 1), dtype=np.uint8)
    lines[:, :width] = content_hashes[bytes_order(content_hashes)].view(np.uint8).reshape(-1, width)
    lines[:, width] = ord("\n")
    return hashlib.sha256(lines.data).hexdigest()  # the array's own buffer: no copy


def bytes_order(rows: np.ndarray) -> np.ndarray:
    """The order that sorts fixed-width byte strings (as ``np.sort`` does), without comparing whole strings.

    Each string is read as big-endian 8-byte words, which compare as the bytes do: one integer sort
    of the first word, then only the rows still tied with a neighbour are sorted by the next word,
    within their tie. Content hashes (SHA-256 hex digests) differ early, so one sort of a million
    integers and a few tied rows do the work of a string sort several times slower; a word every
    tied row shares (a common prefix) costs a comparison, not a sort.
    """
    n, width = rows.size, rows.dtype.itemsize
    if n < 2 or width % 8:
        return np.argsort(rows, kind="stable")
    words = np.ascontiguousarray(rows).view(">u8").reshape(n, width // 8).astype(np.uint64)  # native: faster sorts
    order = np.arange(n)
    tied = np.arange(n)  # positions in ``order`` whose words so far equal a neighbour's
    group = np.zeros(n, dtype=np.int64)  # the tie each of them belongs to (ties are runs of positions)
    for column in range(words.shape[1]):
        key = words[order[tied], column]
        same_group = group[1:] == group[:-1]
        if not (same_group & (key[1:] != key[:-1])).any():
            equal = same_group  # every tie shares this word: nothing to sort
        else:
            # equal strings may come in any order: no stable sort needed
            within = np.lexsort((key, group)) if group[-1] != group[0] else np.argsort(key)
            order[tied] = order[tied[within]]
            key = key[within]
            equal = same_group & (key[1:] == key[:-1])
        if not equal.any():
            break
        starts = np.concatenate([[True], ~equal])
        ends = np.concatenate([~equal, [True]])
        kept = ~(starts & ends)  # a row alone in its run is placed for good
        group = np.cumsum(starts)[kept]
        tied = tied[kept]
    return order
