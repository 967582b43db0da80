"""Agreement statistics on synthetic ratings: our numpy code against the reference packages.

Run on demand (it is not a test)::

    .venv/bin/python bench/agreement_stats.py [--items 200000] [--annotators 5] [--labels 5]

Makes ``--items`` items each rated by every annotator over ``--labels`` labels (1,000,000
ratings by default), drawn from a skewed true label and a per-annotator confusion matrix
that mostly errs towards neighbouring labels, so alpha lands near 0.6. Then it times, on
the same arrays, each of our statistics and the reference implementation of it, and prints
both values. Inputs of the reference packages (the krippendorff reliability matrix, the
statsmodels count table, crowd-kit's data frame) are built outside the timed part; ours
start from the long-format rows, as the app hands them over.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from labeling import agreement  # noqa: E402  (bench/ is not a package)
from labeling.agreement.alpha import bootstrap_interval, item_counts, units_from_counts  # noqa: E402


def synthetic(n_items: int, n_annotators: int, n_labels: int, seed: int = 0):
    """Long-format rows (items, annotators, values), one rating per item and annotator."""
    rng = np.random.default_rng(seed)
    prior = np.linspace(2.0, 1.0, n_labels)
    truth = rng.choice(n_labels, size=n_items, p=prior / prior.sum())
    accuracy = np.linspace(0.9, 0.76, n_annotators)
    codes = np.arange(n_labels)
    values = np.empty((n_items, n_annotators), dtype=np.int64)
    for annotator in range(n_annotators):
        # Row t of the confusion matrix: the accuracy on the diagonal, the rest spread with
        # weight 1 / distance**2 over the other labels (neighbours are the usual mistake).
        spread = 1.0 / np.maximum(np.abs(codes[:, None] - codes[None, :]), 1) ** 2
        np.fill_diagonal(spread, 0.0)
        confusion = (1.0 - accuracy[annotator]) * spread / spread.sum(axis=1, keepdims=True)
        np.fill_diagonal(confusion, accuracy[annotator])
        cumulative = confusion.cumsum(axis=1)[truth]
        values[:, annotator] = (rng.random(n_items)[:, None] > cumulative).sum(axis=1).clip(max=n_labels - 1)
    items = np.repeat(np.arange(n_items), n_annotators)
    annotators = np.tile(np.arange(n_annotators), n_items)
    return items, annotators, values.ravel(), truth


def timed(function: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    """Best wall time of ``repeat`` runs, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def line(name: str, seconds: float, value: Any = "") -> None:
    print(f"  {name:<52} {seconds:8.3f} s   {value}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=200_000)
    parser.add_argument("--annotators", type=int, default=5)
    parser.add_argument("--labels", type=int, default=5)
    parser.add_argument("--bootstrap", type=int, default=1000)
    parser.add_argument("--skip-crowdkit", action="store_true", help="leave out crowd-kit (the slowest part)")
    parser.add_argument("--skip-other-tasks", action="store_true", help="leave out the multi-label and span reports")
    args = parser.parse_args()

    import krippendorff
    from sklearn.metrics import cohen_kappa_score
    from statsmodels.stats.inter_rater import fleiss_kappa as statsmodels_fleiss

    n_items, n_annotators, n_labels = args.items, args.annotators, args.labels
    items, annotators, values, truth = synthetic(n_items, n_annotators, n_labels)
    print(f"{values.size:,} ratings: {n_items:,} items x {n_annotators} annotators x {n_labels} labels")
    shape = dict(n_items=n_items, n_categories=n_labels)

    # Reference inputs, built outside the timed part.
    reliability = np.full((n_annotators, n_items), np.nan)
    reliability[annotators, items] = values
    table = item_counts(items, values, **shape)

    print("Krippendorff's alpha (ours from rows; krippendorff.alpha from its reliability matrix)")
    for level in ("nominal", "ordinal", "interval"):
        ours_time, ours = timed(
            lambda level=level: agreement.krippendorff_alpha(items, values, level=level, **shape), 3
        )
        theirs_time, theirs = timed(
            lambda level=level: krippendorff.alpha(
                reliability_data=reliability, level_of_measurement=level, value_domain=np.arange(n_labels)
            ),
            3,
        )
        line(f"{level}: ours", ours_time, f"{ours:.12f}")
        line(f"{level}: krippendorff package", theirs_time, f"{theirs:.12f}  (diff {abs(ours - theirs):.1e})")

    units = units_from_counts(table, level="nominal", merge=True)
    boot_time, interval = timed(lambda: bootstrap_interval(units, resamples=args.bootstrap, seed=0))
    merge_time, _ = timed(lambda: units_from_counts(table, level="nominal", merge=True))
    line(f"bootstrap 95% interval, {args.bootstrap} resamples", boot_time, f"[{interval[0]:.6f}, {interval[1]:.6f}]")
    line("  (merging identical items first)", merge_time, f"{units.size} distinct items")

    print("Fleiss' kappa")
    ours_time, (ours, _) = timed(lambda: agreement.fleiss_kappa(item_counts(items, values, **shape)), 3)
    theirs_time, theirs = timed(lambda: statsmodels_fleiss(table), 3)
    line("ours (rows -> counts -> kappa)", ours_time, f"{ours:.12f}")
    line(
        "statsmodels fleiss_kappa (from the count table)",
        theirs_time,
        f"{theirs:.12f}  (diff {abs(ours - theirs):.1e})",
    )

    print("Pairwise Cohen's kappa (every annotator pair)")
    ours_time, pairs = timed(
        lambda: agreement.pairwise_kappa(
            items, annotators, values, n_annotators=n_annotators, n_categories=n_labels, weights="linear"
        ),
        3,
    )
    by_annotator = values.reshape(n_items, n_annotators)

    def sklearn_pairs():
        return [
            cohen_kappa_score(by_annotator[:, a], by_annotator[:, b], labels=np.arange(n_labels))
            for a, b in zip(pairs.a.tolist(), pairs.b.tolist(), strict=True)
        ]

    theirs_time, theirs = timed(sklearn_pairs)
    worst = float(np.max(np.abs(np.asarray(theirs) - pairs.cohen_kappa)))
    line(f"ours, {pairs.a.size} pairs (plain and linear-weighted)", ours_time, f"mean {pairs.cohen_kappa.mean():.6f}")
    line(
        "sklearn cohen_kappa_score, one call per pair",
        theirs_time,
        f"mean {np.mean(theirs):.6f}  (max diff {worst:.1e})",
    )

    print("Whole classification report (alpha + interval, Fleiss, AC1, pairwise, per label, per annotator)")
    report_time, report = timed(
        lambda: agreement.classification_report(
            items, annotators, values, n_annotators=n_annotators, bootstrap=args.bootstrap, **shape
        )
    )
    line("classification_report", report_time, f"alpha {report['krippendorff_alpha']:.6f}, AC1 {report['gwet_ac']:.6f}")

    print("Consensus")
    majority_time, majority = timed(lambda: agreement.majority_vote(items, values, **shape), 3)
    line("majority vote", majority_time, f"accuracy vs truth {(majority.label == truth).mean():.4f}")
    ours_time, result = timed(
        lambda: agreement.dawid_skene(items, annotators, values, n_annotators=n_annotators, **shape)
    )
    line(
        "Dawid-Skene, ours", ours_time, f"{result.iterations} iterations, accuracy {(result.label == truth).mean():.4f}"
    )
    if not args.skip_crowdkit:
        import pandas as pd
        from crowdkit.aggregation import DawidSkene

        frame = pd.DataFrame({"task": items, "worker": annotators, "label": values})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # crowd-kit 1.4 uses pandas APIs that pandas 3 deprecates
            theirs_time, model = timed(lambda: DawidSkene(n_iter=100).fit(frame))
        probas = model.probas_.sort_index().reindex(columns=range(n_labels), fill_value=0.0).to_numpy()
        differ = int((model.labels_.sort_index().to_numpy() != result.label).sum())
        line(
            "Dawid-Skene, crowd-kit DawidSkene(n_iter=100)",
            theirs_time,
            f"{len(model.loss_history_)} iterations, max posterior diff {np.abs(probas - result.posterior).max():.1e}, "
            f"{differ} labels differ",
        )
    if not args.skip_other_tasks:
        other_tasks(n_items, n_annotators, n_labels, min(args.bootstrap, 200))


def other_tasks(n_items: int, n_annotators: int, n_labels: int, bootstrap: int) -> None:
    """Multi-label and span reports at the same scale (no reference package is fast enough to compare)."""
    rng = np.random.default_rng(1)
    truth = rng.random((n_items, n_labels)) < 0.3
    chosen = truth[:, None, :] ^ (rng.random((n_items, n_annotators, n_labels)) < 0.1)
    items = np.repeat(np.arange(n_items), n_annotators)
    annotators = np.tile(np.arange(n_annotators), n_items)
    print(f"Multi-label: {items.size:,} label sets over {n_labels} labels")
    seconds, report = timed(
        lambda: agreement.multilabel_report(
            items,
            annotators,
            chosen.reshape(-1, n_labels),
            n_items=n_items,
            n_annotators=n_annotators,
            bootstrap=bootstrap,
        )
    )
    low, high = report["krippendorff_alpha_ci"]
    line(
        f"multilabel_report ({bootstrap} resamples)",
        seconds,
        f"MASI alpha {report['krippendorff_alpha']:.6f} [{low:.6f}, {high:.6f}], binary {report['binary_alpha']:.6f}",
    )

    n_texts = n_items // 10
    words = 30
    texts = [" ".join(["token"] * words)] * n_texts
    rows = np.arange(n_texts * n_annotators)
    per_row = 3
    span_row = np.repeat(rows, per_row)
    span_start = rng.integers(0, words - 1, span_row.size) * 6
    span_end = span_start + 5 + 6 * rng.integers(0, 2, span_row.size)
    span_label = rng.integers(0, n_labels, span_row.size)
    print(f"Spans: {n_texts:,} texts of {words} tokens x {n_annotators} annotators, {span_row.size:,} spans")
    seconds, report = timed(
        lambda: agreement.span_report(
            np.repeat(np.arange(n_texts), n_annotators),
            np.tile(np.arange(n_annotators), n_texts),
            span_row,
            span_start,
            span_end,
            span_label,
            texts=texts,
            n_annotators=n_annotators,
            n_labels=n_labels,
        )
    )
    figures = f"F1 exact {report['f1_exact']:.4f}, overlap {report['f1_overlap']:.4f}"
    line("span_report", seconds, f"{figures}, token alpha {report['token_alpha']:.4f}")


if __name__ == "__main__":
    main()
