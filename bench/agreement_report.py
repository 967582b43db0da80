"""The single-label agreement report at a million items: this checkout's code beside another commit's.

Run on demand (it is not a test)::

    .venv/bin/python bench/agreement_report.py [--items 1000000] [--annotators 20] [--per-item 3] [--against main]

Makes ``--items`` items, each rated by ``--per-item`` of ``--annotators`` annotators (drawn at
random) over ``--labels`` labels, then times ``classification_report`` of this checkout and of
the ``labeling/agreement`` package as it is at ``--against`` (read with ``git show`` into a
temporary package), on the same arrays, alternating the two, for each level. It prints the
best time of each and the largest difference between the two reports' figures.
"""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from labeling.agreement import classification_report  # noqa: E402  (bench/ is not a package)

PACKAGE = "labeling/agreement"


def other_package(commit: str, where: Path) -> Any:
    """``labeling.agreement`` at ``commit``, importable as ``other_agreement``."""
    names = subprocess.run(
        ["git", "ls-tree", "--name-only", f"{commit}:{PACKAGE}"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.split()
    target = where / "other_agreement"
    target.mkdir()
    for name in names:
        if name.endswith(".py"):
            source = subprocess.run(
                ["git", "show", f"{commit}:{PACKAGE}/{name}"], cwd=ROOT, check=True, capture_output=True, text=True
            ).stdout
            (target / name).write_text(source.replace("labeling.agreement", "other_agreement"))
    sys.path.insert(0, str(where))
    return importlib.import_module("other_agreement")


def synthetic(n_items: int, n_annotators: int, per_item: int, n_labels: int, seed: int = 0):
    """Long-format rows: each item rated by ``per_item`` distinct annotators, mostly near a true label."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, n_labels, n_items)
    chosen = np.argsort(rng.random((n_items, n_annotators)), axis=1)[:, :per_item]
    care = np.linspace(0.9, 0.5, n_annotators)[chosen]
    noise = np.clip(truth[:, None] + rng.integers(-1, 2, (n_items, per_item)), 0, n_labels - 1)
    values = np.where(rng.random((n_items, per_item)) < care, truth[:, None], noise)
    return np.repeat(np.arange(n_items), per_item), chosen.ravel(), values.ravel()


def figures(report: Any, path: str = "") -> dict[str, float]:
    """Every number of a report, keyed by its path."""
    found: dict[str, float] = {}
    if isinstance(report, dict):
        for key, value in report.items():
            found.update(figures(value, f"{path}.{key}"))
    elif isinstance(report, list):
        for index, value in enumerate(report):
            found.update(figures(value, f"{path}[{index}]"))
    elif isinstance(report, (int, float)) and not isinstance(report, bool):
        found[path] = float(report)
    elif report is None:
        found[path] = float("nan")
    return found


def largest_difference(ours: dict, theirs: dict) -> float:
    a, b = figures(ours), figures(theirs)
    if a.keys() != b.keys():
        raise SystemExit("the two reports differ in shape")
    diff = 0.0
    for key in a:
        if np.isnan(a[key]) != np.isnan(b[key]):
            raise SystemExit(f"{key}: {a[key]} against {b[key]}")
        if not np.isnan(a[key]):
            diff = max(diff, abs(a[key] - b[key]))
    return diff


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--annotators", type=int, default=20)
    parser.add_argument("--per-item", type=int, default=3)
    parser.add_argument("--labels", type=int, default=5)
    parser.add_argument("--bootstrap", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--against", default="main", help="the commit whose package is timed beside this one")
    args = parser.parse_args()

    items, annotators, values = synthetic(args.items, args.annotators, args.per_item, args.labels)
    print(f"{values.size:,} ratings: {args.items:,} items, {args.annotators} annotators, {args.labels} labels")
    shape = dict(n_items=args.items, n_annotators=args.annotators, n_categories=args.labels, bootstrap=args.bootstrap)
    with tempfile.TemporaryDirectory() as where:
        other = other_package(args.against, Path(where))
        for level in ("nominal", "ordinal", "interval"):
            best = {"this checkout": float("inf"), args.against: float("inf")}
            reports = {}
            for _ in range(args.repeat):
                for name, function in (
                    (args.against, other.classification_report),
                    ("this checkout", classification_report),
                ):
                    start = time.perf_counter()
                    reports[name] = function(items, annotators, values, level=level, **shape)
                    best[name] = min(best[name], time.perf_counter() - start)
            diff = largest_difference(reports["this checkout"], reports[args.against])
            print(
                f"  {level:<9} {args.against}: {best[args.against]:7.2f} s   this checkout: "
                f"{best['this checkout']:7.2f} s   largest difference of a figure: {diff:.1e}"
            )


if __name__ == "__main__":
    main()
