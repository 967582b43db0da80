"""Duplicate detection's building blocks: content hashes, text keys and the rows where each key was first seen.

Texts are hashed from Arrow's UTF-8 bytes, so a chunk's texts never become Python strings
just to be encoded again; only sample values do.
"""

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from datasets.files.content_hash import utf8_bytes

# Whitespace that is not one plain space between words (RE2's \s is ASCII only: Unicode spaces listed).
UNTIDY_SPACE = r"\s\s|[^\S ]|^\s|\s$|[\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]"


def normalize_text(text: pa.Array) -> pa.Array:
    """Text as near-duplicate detection compares it: lower case, runs of whitespace as one space, trimmed."""
    lower = pc.utf8_lower(text)  # not ascii_lower: it mangles arrays whose offsets do not start at 0 (pyarrow 26)
    # Collapsing whitespace is the slow part: only rows that need it go through it.
    untidy = pc.fill_null(pc.match_substring_regex(lower, UNTIDY_SPACE), False)
    if not pc.any(untidy).as_py():
        return lower
    words = pc.utf8_split_whitespace(pc.utf8_trim_whitespace(lower.filter(untidy)))
    tidy = pc.binary_join(words, pa.scalar(" ", lower.type))
    return pc.replace_with_mask(lower, untidy, tidy)


def text_keys(texts: list[str] | list[bytes]) -> np.ndarray:
    """A 64-bit key per text. Python's string hash: keys are only compared within one run."""
    return np.fromiter(map(hash, texts), dtype=np.int64, count=len(texts))


def array_keys(texts: pa.Array) -> np.ndarray:
    """``text_keys`` of an Arrow string array without nulls, hashed from its bytes."""
    return text_keys(utf8_bytes(texts))


def normalized_keys(texts: pa.Array, keys: np.ndarray) -> np.ndarray:
    """``array_keys(normalize_text(texts))``, given ``keys``, the texts' own ``array_keys``.

    Texts that normalizing leaves as they are keep their key: only the others are hashed again.
    """
    normalized = normalize_text(texts)
    changed = pc.invert(pc.equal(normalized, texts))
    if not pc.any(changed).as_py():
        return keys
    mask = changed.to_numpy(zero_copy_only=False)
    result = keys.copy()
    result[mask] = array_keys(normalized.filter(changed))
    return result


class FirstSeen:
    """64-bit keys with the file row where each was first seen, sorted: 16 bytes a key, vectorised lookups.

    With ``carry``, each key also keeps a 64-bit value from that first row (8 bytes more): near
    duplicates carry the exact text's key, so one lookup answers both checks for most rows.
    """

    def __init__(self, *, carry: bool = False) -> None:
        self.keys = np.empty(0, dtype=np.int64)
        self.rows = np.empty(0, dtype=np.int64)
        self.carried = np.empty(0, dtype=np.int64) if carry else None

    def contains(self, keys: np.ndarray) -> np.ndarray:
        if not len(self.keys):
            return np.zeros(len(keys), dtype=bool)
        positions = np.searchsorted(self.keys, keys).clip(max=len(self.keys) - 1)
        return self.keys[positions] == keys

    def add(self, keys: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Row (>= 1) each key was first seen at, earlier in the file, or 0 where it is new; remembers the new ones."""
        return self._add(keys, rows, None)[0]

    def add_carrying(self, keys: np.ndarray, rows: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``add``, and the value carried from each key's first row (a new key's own value)."""
        first, carried = self._add(keys, rows, values)
        assert carried is not None
        return first, carried

    def _add(
        self, keys: np.ndarray, rows: np.ndarray, values: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray | None]:
        count = len(keys)
        if not count:
            return np.zeros(0, dtype=np.int64), None if values is None else np.zeros(0, dtype=np.int64)
        # The chunk's distinct keys in sorted order (searchsorted then walks memory forwards), each
        # with its first position: an unstable sort and the smallest position per run of equal keys
        # cost half of np.unique's stable sort.
        order = np.argsort(keys)
        ordered = keys[order]
        starts = np.ones(count, dtype=bool)
        np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
        start_at = np.flatnonzero(starts)
        unique = ordered[start_at]
        first_index = np.minimum.reduceat(order, start_at)
        group = np.cumsum(starts) - 1  # the distinct key at each sorted position
        unique_first = np.zeros(len(unique), dtype=np.int64)
        unique_values = None if values is None else values[first_index]
        positions = np.searchsorted(self.keys, unique)
        hit = np.zeros(len(unique), dtype=bool)
        if len(self.keys):
            clipped = positions.clip(max=len(self.keys) - 1)
            hit = self.keys[clipped] == unique
            unique_first[hit] = self.rows[clipped[hit]]
            if unique_values is not None and self.carried is not None:
                unique_values[hit] = self.carried[clipped[hit]]
        in_order = unique_first[group]
        from_chunk = (in_order == 0) & (order != first_index[group])
        in_order[from_chunk] = rows[first_index[group[from_chunk]]]
        first = np.empty(count, dtype=np.int64)
        first[order] = in_order
        carried = None
        if unique_values is not None:
            carried = np.empty(count, dtype=np.int64)
            carried[order] = unique_values[group]
        new = ~hit
        if new.any():
            self._merge(
                positions[new],
                unique[new],
                rows[first_index[new]],
                None if unique_values is None else unique_values[new],
            )
        return first, carried

    def _merge(self, at: np.ndarray, keys: np.ndarray, rows: np.ndarray, values: np.ndarray | None) -> None:
        """Insert sorted new keys at their search positions (np.insert would sort the positions again)."""
        size = len(self.keys) + len(keys)
        destination = at + np.arange(len(keys))
        old = np.ones(size, dtype=bool)
        old[destination] = False
        merged_keys = np.empty(size, dtype=np.int64)
        merged_rows = np.empty(size, dtype=np.int64)
        merged_keys[old], merged_rows[old] = self.keys, self.rows
        merged_keys[destination], merged_rows[destination] = keys, rows
        self.keys, self.rows = merged_keys, merged_rows
        if self.carried is not None:
            merged = np.empty(size, dtype=np.int64)
            merged[old] = self.carried
            merged[destination] = values if values is not None else 0
            self.carried = merged
