"""Seconds per item from submit times alone: no Django, fed arrays.

An annotator's time on an item is the gap between their submit and their previous one;
a gap longer than a break (``BREAK_SECONDS``) is a pause, not an item, and is left out.
"""

import numpy as np

BREAK_SECONDS = 600.0


def median_seconds_per_item(
    annotators: np.ndarray, seconds: np.ndarray, *, break_seconds: float = BREAK_SECONDS
) -> dict[int, float]:
    """Each annotator's median gap between consecutive submits (``seconds``: submit times);
    annotators with no gap under a break are left out."""
    if annotators.size < 2:
        return {}
    order = np.lexsort((seconds, annotators))
    who, when = annotators[order], seconds[order].astype(np.float64)
    gaps = np.diff(when)
    same = who[1:] == who[:-1]
    kept = same & (gaps <= break_seconds)
    medians: dict[int, float] = {}
    owners, kept_gaps = who[1:][kept], gaps[kept]
    for annotator in np.unique(owners).tolist():
        medians[int(annotator)] = float(np.median(kept_gaps[owners == annotator]))
    return medians
