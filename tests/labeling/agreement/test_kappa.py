"""Fleiss' kappa, Cohen's kappa and Gwet's AC1/AC2 against statsmodels, scikit-learn and published examples."""

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters
from statsmodels.stats.inter_rater import fleiss_kappa as statsmodels_fleiss
from statsmodels.stats.tests.test_inter_rater import diagnoses  # Fleiss (1971): 30 patients, 6 psychiatrists

from labeling.agreement import classification_report, fleiss_kappa, gwet_ac, pairwise_kappa
from labeling.agreement.alpha import item_counts
from tests.labeling.agreement.synthetic import random_ratings

# The 10 subjects x 14 raters x 5 categories table of the Wikipedia article on Fleiss' kappa (kappa 0.210).
WIKIPEDIA_TABLE = np.array(
    [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ]
)

# Gwet's irrCAC package, datasets and printed results (README of kgwet/irrCAC):
# cont3x3abstractors (2 raters, contingency table): AC1 0.8493305, Cohen 0.7964094, agreement 0.89.
ABSTRACTORS = np.array([[13, 0, 0], [0, 20, 7], [0, 4, 56]])
# distrib.6raters (15 subjects x 6 raters, counts per category): AC1 0.4448007, Fleiss 0.4139265.
SIX_RATERS = np.array(
    [
        [0, 0, 0, 6, 0],
        [0, 3, 0, 0, 3],
        [0, 1, 4, 0, 1],
        [0, 0, 0, 0, 6],
        [0, 3, 0, 3, 0],
        [2, 0, 4, 0, 0],
        [0, 0, 4, 0, 2],
        [2, 0, 3, 1, 0],
        [2, 0, 0, 4, 0],
        [0, 0, 0, 0, 6],
        [1, 0, 0, 5, 0],
        [1, 1, 0, 4, 0],
        [0, 3, 3, 0, 0],
        [1, 0, 0, 5, 0],
        [0, 2, 0, 3, 1],
    ]
)
# cac.raw4raters (12 subjects x 4 raters with missing ratings, categories 1..5): AC1 0.77544, agreement 0.8181818.
RAW_4_RATERS = [
    [1, 1, None, 1],
    [2, 2, 3, 2],
    [3, 3, 3, 3],
    [3, 3, 3, 3],
    [2, 2, 2, 2],
    [1, 2, 3, 4],
    [4, 4, 4, 4],
    [1, 1, 2, 1],
    [2, 2, 2, 2],
    [None, 5, 5, 5],
    [None, None, 1, 1],
    [None, None, 3, None],
]


def table_to_rows(table: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A two-rater contingency table as long-format rows (rater 0's category is the row)."""
    items, annotators, values = [], [], []
    item = 0
    for first in range(table.shape[0]):
        for second in range(table.shape[1]):
            for _ in range(table[first, second]):
                items += [item, item]
                annotators += [0, 1]
                values += [first, second]
                item += 1
    return np.array(items), np.array(annotators), np.array(values)


def raw_to_rows(raw) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    cells = [(s, r, v - 1) for s, line in enumerate(raw) for r, v in enumerate(line) if v is not None]
    return tuple(np.array(column) for column in zip(*cells, strict=True))


def test_fleiss_published_examples():
    kappa, reason = fleiss_kappa(WIKIPEDIA_TABLE)
    assert reason is None
    assert round(kappa, 3) == 0.210
    assert kappa == pytest.approx(statsmodels_fleiss(WIKIPEDIA_TABLE), abs=1e-12)
    table, _ = aggregate_raters(diagnoses)
    kappa, _ = fleiss_kappa(table)
    assert round(kappa, 3) == 0.430  # Fleiss (1971)
    assert kappa == pytest.approx(0.4302445, abs=1e-7)
    assert fleiss_kappa(SIX_RATERS)[0] == pytest.approx(0.4139265, abs=1e-7)


@pytest.mark.parametrize("seed", range(5))
def test_fleiss_random_tables_match_statsmodels(seed):
    rng = np.random.default_rng(seed)
    raters, n_categories = 3 + seed, 2 + seed
    table = rng.multinomial(raters, rng.dirichlet(np.ones(n_categories)), size=80 + 30 * seed)
    assert fleiss_kappa(table)[0] == pytest.approx(statsmodels_fleiss(table), abs=1e-9)


def test_fleiss_through_the_report_needs_equal_rating_counts():
    items, annotators, values = random_ratings(2, n_items=100, n_annotators=4, n_categories=3, keep=1.0)
    report = classification_report(items, annotators, values, n_items=100, n_annotators=4, n_categories=3, bootstrap=0)
    counts = item_counts(items, values, n_items=100, n_categories=3)
    assert report["fleiss_kappa"] == pytest.approx(statsmodels_fleiss(counts), abs=1e-9)
    keep = np.ones(items.size, dtype=bool)
    keep[np.flatnonzero(items == 0)[0]] = False  # item 0 now has three ratings, the others four
    report = classification_report(
        items[keep], annotators[keep], values[keep], n_items=100, n_annotators=4, n_categories=3, bootstrap=0
    )
    assert report["fleiss_kappa"] is None
    assert report["reasons"]["fleiss_kappa"] == "items have different numbers of ratings"


@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
@pytest.mark.parametrize("seed", range(4))
def test_pairwise_cohen_matches_sklearn_over_the_full_domain(seed, weights):
    n_categories = 6
    items, annotators, values = random_ratings(seed, n_items=300, n_annotators=4, n_categories=4, keep=0.6)
    values = np.where(values == 3, 5, values)  # codes 3 and 4 of the domain are never used
    pairs = pairwise_kappa(items, annotators, values, n_annotators=4, n_categories=n_categories, weights=weights)
    assert pairs.a.size == 6
    for index in range(pairs.a.size):
        a, b = pairs.a[index], pairs.b[index]
        rated_a = dict(zip(items[annotators == a].tolist(), values[annotators == a].tolist(), strict=True))
        rated_b = dict(zip(items[annotators == b].tolist(), values[annotators == b].tolist(), strict=True))
        shared = sorted(set(rated_a) & set(rated_b))
        first = [rated_a[i] for i in shared]
        second = [rated_b[i] for i in shared]
        assert pairs.n[index] == len(shared)
        assert pairs.percent_agreement[index] == pytest.approx(np.mean(np.equal(first, second)), abs=1e-12)
        labels = list(range(n_categories))
        assert pairs.cohen_kappa[index] == pytest.approx(cohen_kappa_score(first, second, labels=labels), abs=1e-9)
        if weights is None:
            assert pairs.weighted_kappa is None
        else:
            reference = cohen_kappa_score(first, second, labels=labels, weights=weights)
            assert pairs.weighted_kappa[index] == pytest.approx(reference, abs=1e-9)


def test_report_weighted_kappa_follows_the_scale():
    items, annotators, values = random_ratings(9, n_items=200, n_annotators=2, n_categories=5, keep=1.0)
    by_annotator = [values[annotators == a][np.argsort(items[annotators == a])] for a in (0, 1)]
    expected = {"nominal": None, "ordinal": "linear", "interval": "quadratic"}
    for level, weights in expected.items():
        report = classification_report(
            items, annotators, values, n_items=200, n_annotators=2, n_categories=5, level=level, bootstrap=0
        )
        (entry,) = report["pairwise"]
        assert entry["cohen_kappa"] == pytest.approx(cohen_kappa_score(*by_annotator, labels=range(5)), abs=1e-9)
        if weights is None:
            assert entry["weighted_kappa"] is None
        else:
            reference = cohen_kappa_score(*by_annotator, labels=range(5), weights=weights)
            assert entry["weighted_kappa"] == pytest.approx(reference, abs=1e-9)


def test_gwet_ac1_published_examples():
    items, annotators, values = table_to_rows(ABSTRACTORS)
    report = classification_report(
        items, annotators, values, n_items=int(items.max()) + 1, n_annotators=2, n_categories=3, bootstrap=0
    )
    assert report["gwet_ac"] == pytest.approx(0.8493305, abs=1e-7)
    assert report["gwet_weights"] == "unweighted"
    assert report["percent_agreement"] == pytest.approx(0.89, abs=1e-12)
    assert report["pairwise"][0]["cohen_kappa"] == pytest.approx(0.7964094, abs=1e-7)

    assert gwet_ac(SIX_RATERS)[0] == pytest.approx(0.4448007, abs=1e-7)

    items, annotators, values = raw_to_rows(RAW_4_RATERS)
    report = classification_report(items, annotators, values, n_items=12, n_annotators=4, n_categories=5, bootstrap=0)
    assert report["gwet_ac"] == pytest.approx(0.77544, abs=5e-6)
    assert report["percent_agreement"] == pytest.approx(0.8181818, abs=1e-7)
    assert report["krippendorff_alpha"] == pytest.approx(0.74342, abs=5e-6)


def straightforward_gwet(ratings: list[list[int | None]], n_categories: int, weights: str | None) -> float:
    """Gwet (2014), chapter on AC2, written out loop by loop over subjects and categories."""
    q = n_categories
    w = [[1.0 if k == j else 0.0 for j in range(q)] for k in range(q)]
    if weights == "linear":
        w = [[1 - abs(k - j) / (q - 1) for j in range(q)] for k in range(q)]
    if weights == "quadratic":
        w = [[1 - (k - j) ** 2 / (q - 1) ** 2 for j in range(q)] for k in range(q)]
    subjects = [[v for v in line if v is not None] for line in ratings]
    subjects = [s for s in subjects if s]
    observed, paired = 0.0, 0
    for s in subjects:
        r = len(s)
        if r < 2:
            continue
        paired += 1
        r_k = [s.count(k) for k in range(q)]
        for k in range(q):
            r_star = sum(w[k][j] * r_k[j] for j in range(q))
            observed += r_k[k] * (r_star - 1) / (r * (r - 1))
    observed /= paired
    pi = [sum(s.count(k) / len(s) for s in subjects) / len(subjects) for k in range(q)]
    t_w = sum(sum(row) for row in w)
    chance = t_w / (q * (q - 1)) * sum(p * (1 - p) for p in pi)
    return (observed - chance) / (1 - chance)


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval"])
@pytest.mark.parametrize("seed", range(3))
def test_gwet_ac2_matches_the_formula_written_out(level, seed):
    n_items, n_annotators, n_categories = 120, 4, 5
    items, annotators, values = random_ratings(
        seed, n_items=n_items, n_annotators=n_annotators, n_categories=n_categories, keep=0.6
    )
    grid = [[None] * n_annotators for _ in range(n_items)]
    for i, a, v in zip(items.tolist(), annotators.tolist(), values.tolist(), strict=True):
        grid[i][a] = v
    report = classification_report(
        items,
        annotators,
        values,
        n_items=n_items,
        n_annotators=n_annotators,
        n_categories=n_categories,
        level=level,
        bootstrap=0,
    )
    weights = {"nominal": None, "ordinal": "linear", "interval": "quadratic"}[level]
    assert report["gwet_weights"] == (weights or "unweighted")
    assert report["gwet_ac"] == pytest.approx(straightforward_gwet(grid, n_categories, weights), abs=1e-9)


def test_kappa_paradox_is_visible():
    """Skewed labels: 96% raw agreement, low kappa, high AC1 -- the reason all three are shown."""
    table = np.array([[95, 2], [2, 1]])
    items, annotators, values = table_to_rows(table)
    report = classification_report(items, annotators, values, n_items=100, n_annotators=2, n_categories=2, bootstrap=0)
    assert report["percent_agreement"] == pytest.approx(0.96)
    assert report["pairwise"][0]["cohen_kappa"] < 0.35
    assert report["gwet_ac"] > 0.95
