"""Per-item agreement, majority vote and Dawid-Skene consensus. No Django.

Dawid-Skene follows crowd-kit's ``DawidSkene`` step for step (start from majority-vote
shares, M-step, E-step in log space, stop when the evidence lower bound per annotation
gains less than ``tol``) so the two can be compared, but both steps are two sparse
matrix products over an (annotator x label, item) incidence matrix instead of pandas
group-bys.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import sparse

from labeling.agreement._common import as_codes, check_size
from labeling.agreement.alpha import item_counts, row_sums

# Floor for probabilities before a log, as in crowd-kit.
EPS = 1e-10
# Above this many (item x category) cells, count only the (item, value) pairs that occur:
# whole-value codes (a label set, a span list) can run to one category per annotation.
DENSE_CELLS = 20_000_000


def _cells(items: np.ndarray, values: np.ndarray, n_categories: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The (item, value) pairs that occur, sorted by item then value, with their counts."""
    keys, counts = np.unique(items * n_categories + values, return_counts=True)
    return keys // n_categories, keys % n_categories, counts


def _checked(items: ArrayLike, values: ArrayLike, n_items: int, n_categories: int) -> tuple[np.ndarray, np.ndarray]:
    check_size(n_items, name="n_items")
    check_size(n_categories, name="n_categories", minimum=1)
    items = as_codes(items, name="items", upper=n_items)
    values = as_codes(values, name="values", size=items.size, upper=n_categories)
    return items, values


def per_item_agreement(
    items: ArrayLike, values: ArrayLike, *, n_items: int, n_categories: int
) -> tuple[np.ndarray, np.ndarray]:
    """Observed pairwise agreement per item (NaN under two ratings) and the number of ratings per item.

    The agreement of an item is the share of its pairs of ratings that match:
    ``sum(n_c * (n_c - 1)) / (m * (m - 1))``. Used to rank items for review.
    """
    items, values = _checked(items, values, n_items, n_categories)
    if n_items * n_categories <= DENSE_CELLS:
        counts = item_counts(items, values, n_items=n_items, n_categories=n_categories).astype(np.float64)
        totals = row_sums(counts)
        matching = row_sums(counts * (counts - 1.0))
    else:
        cell_item, _, cell_count = _cells(items, values, n_categories)
        totals = np.bincount(items, minlength=n_items).astype(np.float64)
        matching = np.bincount(cell_item, weights=cell_count * (cell_count - 1.0), minlength=n_items)
    with np.errstate(divide="ignore", invalid="ignore"):
        agreement = matching / (totals * (totals - 1.0))
    return np.where(totals >= 2, agreement, np.nan), totals.astype(np.int64)


@dataclass(frozen=True)
class MajorityResult:
    """``label`` -1 for an item nobody rated; ``confidence`` the winning share (NaN when unrated);
    ``tie`` True when two or more labels share the most votes (the lowest code wins provisionally)."""

    label: np.ndarray
    confidence: np.ndarray
    tie: np.ndarray


def majority_vote(items: ArrayLike, values: ArrayLike, *, n_items: int, n_categories: int) -> MajorityResult:
    """The most frequent label per item; ties go to the lowest code and are flagged for adjudication."""
    items, values = _checked(items, values, n_items, n_categories)
    if n_items * n_categories <= DENSE_CELLS:
        counts = item_counts(items, values, n_items=n_items, n_categories=n_categories)
        totals = row_sums(counts)
        rated = totals > 0
        top = counts.max(axis=1)
        label = np.where(rated, counts.argmax(axis=1), -1).astype(np.int64)
        tie = rated & ((counts == top[:, None]).sum(axis=1) > 1)
    else:
        cell_item, cell_value, cell_count = _cells(items, values, n_categories)
        totals = np.bincount(items, minlength=n_items).astype(np.float64)
        rated = totals > 0
        order = np.lexsort((cell_value, -cell_count, cell_item))  # per item: most votes, then lowest code
        leading = order[np.flatnonzero(np.diff(cell_item[order], prepend=-1))]
        top = np.zeros(n_items, dtype=np.int64)
        top[cell_item[leading]] = cell_count[leading]
        label = np.full(n_items, -1, dtype=np.int64)
        label[cell_item[leading]] = cell_value[leading]
        tie = np.bincount(cell_item, weights=cell_count == top[cell_item], minlength=n_items) > 1
    with np.errstate(divide="ignore", invalid="ignore"):
        confidence = np.where(rated, top / totals, np.nan)
    return MajorityResult(label=label, confidence=confidence, tie=tie)


@dataclass(frozen=True)
class DawidSkeneResult:
    """``label`` -1 and ``confidence`` NaN for unrated items, whose ``posterior`` row is zero.

    ``confusion[w, c, l]`` is the probability that annotator ``w`` answers ``l`` when the
    true class is ``c`` (rows = true class); rows of labels nobody used, and annotators
    with no annotation, are zero. ``priors`` are the class shares of the posterior.
    """

    label: np.ndarray
    confidence: np.ndarray
    posterior: np.ndarray
    confusion: np.ndarray
    priors: np.ndarray
    iterations: int


def dawid_skene(
    items: ArrayLike,
    annotators: ArrayLike,
    values: ArrayLike,
    *,
    n_items: int,
    n_annotators: int,
    n_categories: int,
    max_iter: int = 100,
    tol: float = 1e-5,
) -> DawidSkeneResult:
    """Dawid & Skene (1979) EM consensus, initialised from majority-vote shares like crowd-kit."""
    items, values = _checked(items, values, n_items, n_categories)
    check_size(n_annotators, name="n_annotators")
    annotators = as_codes(annotators, name="annotators", size=items.size, upper=n_annotators)
    check_size(max_iter, name="max_iter")
    k = n_categories
    posterior = np.zeros((n_items, k))
    confusion = np.zeros((n_annotators, k, k))
    priors = np.zeros(k)
    if items.size == 0:
        return DawidSkeneResult(
            label=np.full(n_items, -1, dtype=np.int64),
            confidence=np.full(n_items, np.nan),
            posterior=posterior,
            confusion=confusion,
            priors=priors,
            iterations=0,
        )

    # Work on the labels and items that occur, as crowd-kit does; put the rest back at the end.
    used_labels = np.flatnonzero(np.bincount(values, minlength=k))
    used_items = np.flatnonzero(np.bincount(items, minlength=n_items))
    code = np.full(k, -1, dtype=np.int64)
    code[used_labels] = np.arange(used_labels.size)
    row = np.full(n_items, -1, dtype=np.int64)
    row[used_items] = np.arange(used_items.size)
    kk, n_rated = used_labels.size, used_items.size
    local_items, local_values = row[items], code[values]

    # incidence[w * kk + l, i] = 1 when annotator w answered l on item i.
    answer = annotators * kk + local_values
    incidence = sparse.csr_matrix((np.ones(items.size), (answer, local_items)), shape=(n_annotators * kk, n_rated))
    incidence_t = incidence.T.tocsr()
    seen = np.bincount(answer, minlength=n_annotators * kk) > 0
    ratings_per_item = np.bincount(local_items, minlength=n_rated).astype(np.float64)

    counts = item_counts(local_items, local_values, n_items=n_rated, n_categories=kk).astype(np.float64)
    probas = counts / counts.sum(axis=1, keepdims=True)

    def m_step(probas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        tallies = np.asarray(incidence @ probas)  # (w * kk + l, c)
        errors = np.where(seen[:, None], np.maximum(tallies, EPS), 0.0).reshape(n_annotators, kk, kk)
        sums = errors.sum(axis=1, keepdims=True)
        errors = np.divide(errors, sums, out=np.zeros_like(errors), where=sums > 0)
        return errors, tallies

    def log_errors(errors: np.ndarray) -> np.ndarray:
        flat = errors.reshape(n_annotators * kk, kk)
        return np.log(flat, out=np.zeros_like(flat), where=seen[:, None])

    priors_local = probas.mean(axis=0)
    errors, tallies = m_step(probas)
    loss = -np.inf
    iterations = 0
    for _ in range(max_iter):
        iterations += 1
        log_likelihood = np.log(np.maximum(priors_local, EPS)) + np.asarray(incidence_t @ log_errors(errors))
        log_likelihood -= log_likelihood.max(axis=1, keepdims=True)
        probas = np.exp(log_likelihood)
        probas /= probas.sum(axis=1, keepdims=True)
        priors_local = probas.mean(axis=0)
        errors, tallies = m_step(probas)
        # Evidence lower bound per annotation: expected joint log-likelihood plus entropy.
        joint = float((tallies * log_errors(errors)).sum())
        joint += float((ratings_per_item @ probas) @ np.log(np.maximum(priors_local, EPS)))
        clipped = np.maximum(probas, EPS)
        new_loss = (joint - float((clipped * np.log(clipped)).sum())) / items.size
        if new_loss - loss < tol:
            break
        loss = new_loss

    posterior[np.ix_(used_items, used_labels)] = probas
    confusion[np.ix_(np.arange(n_annotators), used_labels, used_labels)] = errors.transpose(0, 2, 1)
    priors[used_labels] = priors_local
    label = np.full(n_items, -1, dtype=np.int64)
    label[used_items] = used_labels[probas.argmax(axis=1)]
    confidence = np.full(n_items, np.nan)
    confidence[used_items] = probas.max(axis=1)
    return DawidSkeneResult(
        label=label,
        confidence=confidence,
        posterior=posterior,
        confusion=confusion,
        priors=priors,
        iterations=iterations,
    )
