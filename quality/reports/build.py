"""Gathering a version's report: each section read from the floors below, the figures from ``figures``.

Reads stream plain rows (ids, codes, short texts), never model instances, so a version of a
million items fits in a worker's memory and a few seconds. Nothing here writes.
"""

import importlib.metadata
import platform
from collections import Counter
from dataclasses import dataclass
from typing import Any

import django
import numpy as np
from django.db import connection
from django.db.models import Count

from config.packed import side_by_side
from datasets.models import Augmentation, Batch, DatasetVersion, Item, Split, SplitStatus
from labeling.agreement import majority_vote
from labeling.agreement.alpha import alpha_point, interval_or_reason, item_counts, units_from_counts
from labeling.models import Adjudication, AdjudicationAction
from labeling.review import compute, compute_kinds
from labeling.review.data import SINGLE_LABEL, AnnotationArrays, canonical
from projects.models import Project
from quality.models import LeakageCheck, LeakageStatus
from quality.reports import figures, reads

SLICE_MAX_VALUES = 20  # a metadata column with more distinct values is not a slice
SLICE_SAMPLE_ITEMS = 2_000  # items whose metadata keys are looked at to find candidate slice columns
SLICE_MAX_COLUMNS = 6
SLICE_BOOTSTRAP = 200
SLICE_SEED = 7
TOP_ISSUES = 20
ROW_CHECKS = ("expectation", "schema")  # checks about the values of the rows a batch kept
HASH_SLICE = 50_000


@dataclass
class Finals:
    """Each item's final label as a code into ``values`` (-1: none), and where it came from."""

    item_ids: np.ndarray
    codes: np.ndarray
    values: list[Any]
    majority: np.ndarray
    adjudicated: np.ndarray


def _versions_chain(version: DatasetVersion) -> list[DatasetVersion]:
    return list(
        DatasetVersion.objects.filter(project_id=version.project_id, number__lte=version.number).order_by("number")
    )


def summary(version: DatasetVersion) -> dict[str, Any]:
    batches = (
        Batch.objects.filter(project_id=version.project_id, version__number__lte=version.number)
        .select_related("version")
        .order_by("version__number")
    )
    augmented = Item.objects.filter(
        project_id=version.project_id, batch__version__number__lte=version.number, source__isnull=False
    ).count()
    return {
        "version": version.number,
        "parent": version.parent.number if version.parent_id else None,
        "items": version.item_count,
        "added": version.added_count,
        "duplicates_skipped": version.duplicate_count,
        "augmented_items": augmented,
        "by_batch": [
            {
                "version": b.version.number,
                "batch": str(b.pk),
                "file": b.original_name,
                "rows": b.rows_total,
                "added": b.rows_added,
                "duplicates": b.rows_duplicate,
            }
            for b in batches
        ],
    }


def _failed_results(batch: Batch) -> list[dict[str, Any]]:
    """The batch's validation results that found a problem (the import's own record is not a check)."""
    return [r for r in batch.results or [] if not r.get("success") and r.get("check") != "import"]


def batches_with_problems(version: DatasetVersion) -> list:
    """Ids of the version's batches where a check on the values of the rows it kept failed (a warning, or
    critical and accepted anyway): the suite's expectations and the schema. Duplicate and empty rows were
    left out of the version, and drift compares whole distributions, so those checks do not count."""
    batches = Batch.objects.filter(project_id=version.project_id, version__number__lte=version.number)
    return [
        batch.pk
        for batch in batches.only("id", "results")
        if any(r.get("check") in ROW_CHECKS for r in _failed_results(batch))
    ]


def validation(version: DatasetVersion) -> dict[str, Any]:
    """The results of the batches that made the version, and the decisions taken on them."""
    rows = []
    for batch in (
        Batch.objects.filter(project_id=version.project_id, version__number__lte=version.number)
        .select_related("version", "decided_by")
        .order_by("version__number")
    ):
        failed = [
            {
                "check": r.get("check"),
                "type": r.get("type"),
                "column": r.get("column"),
                "severity": r.get("severity"),
                "unexpected_count": r.get("unexpected_count"),
            }
            for r in _failed_results(batch)
        ]
        rows.append(
            {
                "version": batch.version.number,
                "file": batch.original_name,
                "checks": (batch.summary or {}).get("checks"),
                "failed": failed,
                "accepted_anyway": batch.accepted_anyway,
                "decided_by": batch.decided_by.username if batch.decided_by_id else None,
                "decided_at": batch.decided_at.isoformat() if batch.decided_at else None,
                "reason": batch.decision_reason,
            }
        )
    return {"batches": rows, "failed_checks": sum(len(r["failed"]) for r in rows)}


def drift(version: DatasetVersion) -> dict[str, Any]:
    """The built-in drift tests the version's own batch ran against its parent, per column."""
    batch = Batch.objects.filter(version=version).first()
    columns = []
    for result in (batch.results if batch else None) or []:
        if result.get("check") != "drift":
            continue
        details = result.get("details") or {}
        columns.append(
            {
                "column": result.get("column"),
                "test": result.get("type"),
                "method": details.get("method"),
                "statistic": details.get("statistic"),
                "p_value": details.get("p_value"),
                "psi": details.get("psi"),
                "threshold": details.get("threshold"),
                "drifted": not result.get("success"),
                "histogram": details.get("histogram"),
            }
        )
    return {"against": version.parent.number if version.parent_id else None, "columns": columns}


def _adjudicated(project: Project) -> dict[int, Any]:
    """Each adjudicated item's newest final label."""
    newest: dict[int, Any] = {}
    for item_id, value in (
        Adjudication.objects.filter(project=project, action=AdjudicationAction.LABEL)
        .order_by("item_id", "-id")
        .values_list("item_id", "value")
    ):
        newest.setdefault(item_id, value)
    return newest


def finals(arrays: AnnotationArrays, *, project: Project) -> Finals:
    """Final labels: the newest adjudication, else a majority that is not a tie. Coded over whole values."""
    adjudicated = _adjudicated(project)
    item_ids = arrays.item_ids
    if project.task_type in SINGLE_LABEL:  # label codes already: the majority by numpy, no per-item Python
        values: list[Any] = list(project.label_names)
        known = arrays.values >= 0
        vote = majority_vote(arrays.items[known], arrays.values[known], n_items=arrays.n_items,
                             n_categories=max(len(values), 1))  # fmt: skip
        majority = np.where(np.asarray(vote.tie), figures.NO_LABEL, np.asarray(vote.label)).astype(np.int64)
        adjudicated_codes = np.full(len(item_ids), figures.NO_LABEL, dtype=np.int64)
        position = {name: code for code, name in enumerate(values)}
        if adjudicated:
            ids = np.fromiter(adjudicated, dtype=np.int64, count=len(adjudicated))
            codes = np.fromiter((position.get(v, -1) for v in adjudicated.values()), dtype=np.int64, count=len(ids))
            at = np.searchsorted(item_ids, ids)
            found = (
                (at < len(item_ids)) & (item_ids[np.minimum(at, len(item_ids) - 1)] == ids) if len(item_ids) else at < 0
            )
            adjudicated_codes[at[found]] = codes[found]
        final = np.where(adjudicated_codes >= 0, adjudicated_codes, majority)
        return Finals(item_ids=item_ids, codes=final, values=values, majority=majority, adjudicated=adjudicated_codes)
    ranking = compute.item_ranking(arrays)
    majority_values = [None if tie else value for value, tie in zip(ranking["consensus"], ranking["tie"], strict=True)]
    values = []
    index: dict[str, int] = {}

    def code(value: Any) -> int:
        if value is None:
            return figures.NO_LABEL
        key = canonical(value)
        if key not in index:
            index[key] = len(values)
            values.append(value)
        return index[key]

    majority = np.fromiter((code(v) for v in majority_values), dtype=np.int64, count=len(item_ids))
    adjudicated_codes = np.fromiter(
        (code(adjudicated.get(int(i))) for i in item_ids.tolist()), dtype=np.int64, count=len(item_ids)
    )
    final = np.where(adjudicated_codes >= 0, adjudicated_codes, majority)
    return Finals(item_ids=item_ids, codes=final, values=values, majority=majority, adjudicated=adjudicated_codes)


def labels(
    version: DatasetVersion, *, project: Project, arrays: AnnotationArrays, result: Finals, parent: dict | None
) -> dict[str, Any]:
    """Coverage, class balance of final labels and its shift against the parent's report."""
    labeled = np.bincount(arrays.items, minlength=arrays.n_items)
    unlabeled = np.zeros(max(version.item_count - arrays.n_items, 0), dtype=np.int64)
    per_item = np.concatenate([labeled, unlabeled])  # items nobody labeled yet hold no annotation
    names = [str(v) if project.task_type in SINGLE_LABEL else canonical(v) for v in result.values]
    balance = figures.class_balance(result.codes, names)
    return {
        "coverage": figures.coverage(per_item, overlap=project.overlap),
        "with_final_label": int((result.codes >= 0).sum()),
        "adjudicated": int((result.adjudicated >= 0).sum()),
        "class_balance": balance,
        "shift": figures.balance_shift(balance, (parent or {}).get("class_balance")),
    }


def agreement(arrays: AnnotationArrays, *, project: Project) -> dict[str, Any]:
    if arrays.n_rows == 0:
        return {"reason": "no labels yet"}
    return compute.agreement_report(arrays, level=project.label_scale, over_time=False)  # the report shows no weeks


def consensus_vs_adjudication(arrays: AnnotationArrays, result: Finals) -> dict[str, Any]:
    names = [str(v) for v in result.values]
    row_codes = _row_codes(arrays, result)
    position = np.searchsorted(result.item_ids, arrays.item_ids[arrays.items])
    return {
        **figures.overturns(result.majority, result.adjudicated, names),
        "by_annotator": figures.annotator_overturns(
            position, arrays.annotators, row_codes, result.adjudicated, arrays.usernames
        ),
    }


def _row_codes(arrays: AnnotationArrays, result: Finals) -> np.ndarray:
    """Each annotation's value as a code of ``result.values`` (-1: a value no final label has)."""
    if arrays.task_type in SINGLE_LABEL:
        return np.asarray(arrays.values, dtype=np.int64)
    index = {canonical(v): i for i, v in enumerate(result.values)}
    return np.fromiter((index.get(canonical(v), -1) for v in arrays.values), dtype=np.int64, count=arrays.n_rows)


def label_issue_ranking(*, project: Project, version: int) -> dict[str, Any] | None:
    """The label-issue ranking of the newest predictions (cleanlab); None for task types it does not rank."""
    if project.task_type not in SINGLE_LABEL:
        return None
    return compute_kinds.compute_kind(project=project, version=version, kind="label_issues")


def label_errors(ranking: dict[str, Any] | None) -> dict[str, Any]:
    """Likely label errors of the version from the newest predictions, when a model's were uploaded."""
    if ranking is None:
        return {"count": None, "top": [], "reason": "label issues are ranked for classification and image projects"}
    result = ranking
    if result.get("model") is None:
        return {"count": None, "top": [], "reason": result.get("reason") or "no predictions uploaded yet"}
    issues = result.get("issues") or []
    return {"count": len(issues), "checked": result.get("checked"), "model": result.get("model"),
            "top": issues[:TOP_ISSUES]}  # fmt: skip


def data_mix(version: DatasetVersion, summary_section: dict[str, Any]) -> dict[str, Any]:
    """Duplicates skipped, and the augmented share of the version per method."""
    items = max(version.item_count, 1)
    methods = (
        Augmentation.objects.filter(
            item__project_id=version.project_id, item__batch__version__number__lte=version.number
        )
        .values("method")
        .annotate(n=Count("item_id"))
        .order_by("-n", "method")
    )
    return {
        "duplicates_skipped": version.duplicate_count,
        "augmented_items": summary_section["augmented_items"],
        "augmented_share": summary_section["augmented_items"] / items,
        "by_method": [{"method": row["method"], "items": row["n"], "share": row["n"] / items} for row in methods],
        "splits": _splits(version),
        "leakage": _leakage(version),
    }


def _splits(version: DatasetVersion) -> dict[str, Any] | None:
    split = Split.objects.filter(version=version, status=SplitStatus.DONE).first()
    if split is None:
        return None
    report = split.report or {}
    return {"ratios": {"train": split.train, "dev": split.dev, "test": split.test}, "seed": split.seed,
            "sizes": report.get("sizes"), "left_out": report.get("left_out")}  # fmt: skip


def _leakage(version: DatasetVersion) -> dict[str, Any] | None:
    check = LeakageCheck.objects.filter(version=version, status=LeakageStatus.DONE).first()
    if check is None:
        return None
    result = check.result or {}
    return {key: result.get(key) for key in ("exact_pairs", "near_pairs", "per_split_pair", "augmented_outside_train")}


def _slice_columns(version: DatasetVersion) -> list[str]:
    sample = Item.objects.filter(project_id=version.project_id, batch__version__number__lte=version.number).values_list(
        "metadata", flat=True
    )[:SLICE_SAMPLE_ITEMS]
    values: dict[str, set] = {}
    for metadata in sample:
        for key, value in (metadata or {}).items():
            if isinstance(value, str | int | bool) and len(values.setdefault(key, set())) <= SLICE_MAX_VALUES:
                values[key].add(value)
    return sorted(k for k, v in values.items() if 1 < len(v) <= SLICE_MAX_VALUES)[:SLICE_MAX_COLUMNS]


def slices(
    *,
    project: Project,
    arrays: AnnotationArrays,
    result: Finals,
    items: reads.VersionItems,
    ranking: dict[str, Any] | None,
) -> dict[str, Any]:
    """Per value of each low-cardinality metadata column: size, label distribution, agreement with interval,
    validation-failure rate and label-issue rate.

    The slices whose label distribution differs most from the whole come first; small slices are marked.
    A slice's validation-failure rate is the share of its items that arrived in a batch whose validation
    failed a check: a batch keeps each check's count of failing rows and a few sample rows, not which
    rows failed, so an item counts when its batch did. Its label-issue rate is the share of its items
    checked against the newest predictions that the ranking flags (None without predictions).
    """
    whole = figures.distribution(result.codes, len(result.values))
    row_codes = _row_codes(arrays, result)
    # Each annotated item's and each ranked item's place among the version's items (-1: not in it).
    annotated_at = _positions(items.ids, arrays.item_ids)
    issues = _ranked(items.ids, ranking)
    entries = []
    for column, values in items.values.items():
        codes = items.codes[column]
        n_values = len(values) + 1
        sizes = np.bincount(codes, minlength=n_values)
        failing = np.bincount(codes, weights=items.flagged_batch, minlength=n_values)
        slice_of_item = np.where(annotated_at >= 0, codes[np.maximum(annotated_at, 0)], 0)
        checked = flagged = None
        if issues is not None:
            checked = np.bincount(codes[issues[0]], minlength=n_values)
            flagged = np.bincount(codes[issues[1]], minlength=n_values)
        for code in sorted(range(1, n_values), key=lambda c: -sizes[c]):
            in_slice = slice_of_item == code
            dist = figures.distribution(result.codes[in_slice], len(result.values))
            rows_in = in_slice[arrays.items]
            alpha, interval, reason = _alpha(arrays.items[rows_in], row_codes[rows_in], len(result.values), project)
            size = int(sizes[code])
            entries.append(
                {
                    "column": column,
                    "value": values[code - 1],
                    "items": size,
                    "labeled_items": int(in_slice.sum()),
                    "too_small": bool(in_slice.sum() < figures.MIN_SLICE_ITEMS),
                    "labels": {str(result.values[i]): float(p) for i, p in enumerate(dist.tolist())},
                    "difference": figures.total_variation(dist, whole) if dist.sum() else None,
                    "alpha": alpha,
                    "alpha_ci": interval,
                    "alpha_reason": reason,
                    "validation_failed_items": int(failing[code]),
                    "validation_failure_rate": float(failing[code]) / size if size else None,
                    "label_issues": int(flagged[code]) if flagged is not None else None,
                    "label_issues_checked": int(checked[code]) if checked is not None else None,
                    "label_issue_rate": (
                        int(flagged[code]) / int(checked[code]) if checked is not None and checked[code] else None
                    ),
                }
            )
    entries.sort(key=lambda e: (e["too_small"], -(e["difference"] or 0)))
    return {
        "columns": list(items.values),
        "min_items": figures.MIN_SLICE_ITEMS,
        "label_issues_ranked": issues is not None,
        "slices": entries,
    }


def _positions(sorted_ids: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Where each of ``ids`` sits in ``sorted_ids`` (-1: absent)."""
    if not len(sorted_ids):
        return np.full(len(ids), -1, dtype=np.int64)
    at = np.searchsorted(sorted_ids, ids)
    found = (at < len(sorted_ids)) & (sorted_ids[np.minimum(at, len(sorted_ids) - 1)] == ids)
    return np.where(found, at, -1).astype(np.int64)


def _ranked(version_ids: np.ndarray, ranking: dict[str, Any] | None) -> tuple[np.ndarray, np.ndarray] | None:
    """Positions among the version's items of the items the ranking checked and of those it flagged;
    None when there is no ranking from predictions."""
    if not ranking or ranking.get("model") is None:
        return None
    checked_ids = np.fromiter((int(k) for k in (ranking.get("scores") or {})), dtype=np.int64)
    flagged_ids = np.fromiter((int(i["item"]) for i in ranking.get("issues") or []), dtype=np.int64)
    checked, flagged = _positions(version_ids, checked_ids), _positions(version_ids, flagged_ids)
    return checked[checked >= 0], flagged[flagged >= 0]


def _alpha(items: np.ndarray, codes: np.ndarray, n_values: int, project: Project) -> tuple[Any, Any, str | None]:
    known = codes >= 0
    items, codes = items[known], codes[known]
    if items.size < 2 or n_values < 2:
        return None, None, "fewer than two labels"
    kept, dense = np.unique(items, return_inverse=True)
    level = project.label_scale if project.task_type in SINGLE_LABEL else "nominal"
    counts = item_counts(dense.reshape(-1), codes, n_items=kept.size, n_categories=n_values)
    units = units_from_counts(counts, level=level)
    alpha = alpha_point(units)
    if not np.isfinite(alpha):
        return None, None, "alpha is undefined (one label, or no item with two labels)"
    interval, reason = interval_or_reason(units, alpha=alpha, bootstrap=SLICE_BOOTSTRAP, seed=SLICE_SEED)
    return float(alpha), interval, reason


@dataclass
class ItemsRead:
    """The version's items as the report reads them, with the content hash of their set."""

    items: reads.VersionItems
    item_set_hash: str


def items_read(version: DatasetVersion) -> ItemsRead:
    """Slice columns, the version's items and the hash of their set: one read, independent of the labels."""
    columns = reads.column_values(version, _slice_columns(version), max_values=SLICE_MAX_VALUES)
    items = reads.version_items(
        version, {c: sorted(v) for c, v in columns.items()}, flagged_batches=batches_with_problems(version)
    )
    return ItemsRead(items=items, item_set_hash=_item_set_hash(version, items))


def _item_set_hash(version: DatasetVersion, items: reads.VersionItems) -> str:
    if items.hashes is not None:
        return figures.item_set_hash_of_array(items.hashes)
    hashes = (
        Item.objects.filter(project_id=version.project_id, batch__version__number__lte=version.number)
        .order_by()
        .values_list("content_hash", flat=True)
        .iterator(chunk_size=HASH_SLICE)
    )
    return figures.item_set_hash(hashes)


def reproducibility(version: DatasetVersion, *, fingerprint: str, item_set_hash: str) -> dict[str, Any]:
    libraries = {}
    for name in ("great-expectations", "numpy", "pandas", "scikit-learn", "cleanlab", "scipy"):
        try:
            libraries[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return {
        "version_id": version.pk,
        "parent_id": version.parent_id,
        "item_set_sha256": item_set_hash,
        "labels_fingerprint": fingerprint,
        "app_version": importlib.metadata.version("groundwork") if _installed("groundwork") else "0.1.0",
        "python": platform.python_version(),
        "django": django.get_version(),
        "database": connection.vendor,
        "libraries": libraries,
        "thresholds": {"slice_min_items": figures.MIN_SLICE_ITEMS, "slice_max_values": SLICE_MAX_VALUES},
        "seeds": {"slice_bootstrap": SLICE_SEED},
    }


def _installed(name: str) -> bool:
    try:
        importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def datasheet(project: Project, sections: dict[str, Any], note: str) -> dict[str, Any]:
    """The questions of "Datasheets for Datasets" this app can answer from its own figures."""
    s, lab, agr = sections["summary"], sections["labels"], sections["agreement"]
    lead = agr.get(compute.lead_alpha(project.task_type)) if isinstance(agr, dict) else None
    annotators = Counter(a.get("annotator") for a in (agr.get("per_annotator") or [])) if isinstance(agr, dict) else {}
    return {
        "composition": f"{s['items']:,} items ({project.task_type}), {s['augmented_items']:,} of them augmented; "
        f"labels: {', '.join(project.label_names)}.",
        "collection": f"{len(s['by_batch'])} batch file(s), each validated before it joined the dataset; "
        f"{s['duplicates_skipped']:,} duplicate row(s) skipped in the newest batch.",
        "labeling": f"{len(annotators)} annotator(s), overlap {project.overlap}; "
        f"{lab['with_final_label']:,} items with a final label, {lab['adjudicated']:,} adjudicated by a reviewer.",
        "splits": (
            "train/dev/test sizes "
            + ", ".join(f"{k} {v:,}" for k, v in (sections["data_mix"]["splits"]["sizes"] or {}).items())
            if sections["data_mix"]["splits"]
            else "no splits assigned to this version"
        ),
        "known_noise": (
            f"agreement (Krippendorff's alpha) {lead:.3f}"
            if isinstance(lead, float)
            else "agreement not measurable yet"
        )
        + (f"; {sections['label_errors']['count']} likely label errors" if sections["label_errors"]["count"] else ""),
        "note": note,
    }


def build(
    version: DatasetVersion, *, parent_report: dict | None, fingerprint: str, note: str = ""
) -> tuple[dict, Finals]:
    """Every section of the report of ``version``; ``parent_report`` is the data the diff is taken against.

    The two large reads, annotations and items, run side by side (``side_by_side``).
    """
    project = version.project
    arrays, read = side_by_side(
        lambda: reads.version_annotations(project=project, version=version.number, weeks=False),  # no weeks shown
        lambda: items_read(version),
    )
    items = read.items
    result = finals(arrays, project=project)
    ranking = label_issue_ranking(project=project, version=version.number)
    sections: dict[str, Any] = {"summary": summary(version)}
    sections["validation"] = validation(version)
    sections["drift"] = drift(version)
    sections["labels"] = labels(
        version, project=project, arrays=arrays, result=result, parent=(parent_report or {}).get("labels")
    )
    sections["agreement"] = agreement(arrays, project=project)
    sections["consensus_vs_adjudication"] = consensus_vs_adjudication(arrays, result)
    sections["label_errors"] = label_errors(ranking)
    sections["data_mix"] = data_mix(version, sections["summary"])
    sections["slices"] = slices(project=project, arrays=arrays, result=result, items=items, ranking=ranking)
    sections["reproducibility"] = reproducibility(version, fingerprint=fingerprint, item_set_hash=read.item_set_hash)
    sections["datasheet"] = datasheet(project, sections, note)
    return sections, result


def versions_compared(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Headline figures of two reports side by side, with b - a."""

    def headline(report: dict[str, Any]) -> dict[str, Any]:
        labels_section = report.get("labels") or {}
        agreement_section = report.get("agreement") or {}
        return {
            "items": (report.get("summary") or {}).get("items"),
            "augmented_items": (report.get("summary") or {}).get("augmented_items"),
            "with_final_label": labels_section.get("with_final_label"),
            "at_full_overlap": (labels_section.get("coverage") or {}).get("at_full_overlap"),
            "failed_checks": (report.get("validation") or {}).get("failed_checks"),
            "drifted_columns": sum(1 for c in (report.get("drift") or {}).get("columns", []) if c.get("drifted")),
            "krippendorff_alpha": agreement_section.get("krippendorff_alpha"),
        }

    left, right = headline(a), headline(b)
    delta = {
        key: (right[key] - left[key])
        if isinstance(left[key], int | float) and isinstance(right[key], int | float)
        else None
        for key in left
    }
    shares = {row["label"]: row["share"] for row in (a.get("labels") or {}).get("class_balance", [])}
    balance = [
        {"label": row["label"], "a": shares.get(row["label"]), "b": row["share"]}
        for row in (b.get("labels") or {}).get("class_balance", [])
    ]
    return {"a": left, "b": right, "delta": delta, "class_balance": balance}
