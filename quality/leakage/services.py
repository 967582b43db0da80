"""The leakage check of a version: request it, run it in a worker, keep its result.

Pairs are reported only across splits (both items in a split, different ones): a
duplicate inside one split leaks nothing. Augmented items outside train are counted
too: left out of every split (their source is in dev or test), or, if a split was
assigned by hand elsewhere, in dev or test.
"""

from dataclasses import asdict, dataclass, field

import numpy as np
from celery import current_app
from django.db import transaction
from django.utils import timezone

from datasets.models import DatasetVersion, SplitName
from datasets.selectors import LEFT_OUT, UNDECIDED, VersionItems, version_item_arrays
from quality.leakage.hashing import IMAGE_MAX_DISTANCE, NUM_PERM, SHINGLE_WORDS, TEXT_JACCARD_THRESHOLD, Pairs
from quality.leakage.selectors import duplicate_pairs
from quality.models import LeakageCheck, LeakageStatus

LEAKAGE_TASK = "quality.tasks.leakage_check"
MAX_EXAMPLES = 200
SPLIT_NAMES = SplitName.values


@dataclass(frozen=True)
class LeakageResult:
    method: dict
    items: int
    split_items: int
    exact_pairs: int
    near_pairs: int
    per_split_pair: dict[str, dict[str, int]]
    augmented_outside_train: dict[str, int]
    pairs: list[dict] = field(default_factory=list)


def leakage_request(*, version: DatasetVersion, enqueue: bool = True) -> LeakageCheck:
    """Queue a (re)check of the version; the worker starts once this commits."""
    with transaction.atomic():
        check, _ = LeakageCheck.objects.select_for_update().get_or_create(version=version)
        check.status = LeakageStatus.QUEUED
        check.progress = 0.0
        check.error = ""
        check.save(update_fields=["status", "progress", "error", "requested_at"])
        if enqueue:
            transaction.on_commit(lambda: current_app.send_task(LEAKAGE_TASK, args=[check.pk]))
    return check


def leakage_run(*, check_id: int) -> None:
    """Run the check; safe to run twice (a finished check is left as it is)."""
    with transaction.atomic():
        check = LeakageCheck.objects.select_for_update().select_related("version__project").filter(pk=check_id).first()
        if check is None or check.status == LeakageStatus.DONE:
            return
        check.status = LeakageStatus.RUNNING
        check.save(update_fields=["status"])
    version = check.version
    project = version.project

    def progress(share: float) -> None:
        LeakageCheck.objects.filter(pk=check_id, status=LeakageStatus.RUNNING).update(progress=min(share, 1.0))

    try:
        items = version_item_arrays(project=project, number=version.number, progress=lambda s: progress(0.3 * s))
        pairs = duplicate_pairs(project=project, items=items, progress=lambda s: progress(0.3 + 0.6 * s))
        result = leakage_result(items=items, pairs=pairs, image=project.content_column == "image")
    except Exception as error:
        LeakageCheck.objects.filter(pk=check_id).update(
            status=LeakageStatus.FAILED, error=f"{type(error).__name__}: {error}", finished_at=timezone.now()
        )
        raise
    LeakageCheck.objects.filter(pk=check_id).update(
        status=LeakageStatus.DONE, progress=1.0, result=asdict(result), finished_at=timezone.now()
    )


def leakage_result(*, items: VersionItems, pairs: Pairs, image: bool) -> LeakageResult:
    """Cross-split pairs, counted per split pair, with the most similar ones as examples."""
    splits = items.splits.astype(np.int64)
    in_split = splits >= 0
    cross = in_split[pairs.a] & in_split[pairs.b] & (splits[pairs.a] != splits[pairs.b])
    a, b, similarity, exact = pairs.a[cross], pairs.b[cross], pairs.similarity[cross], pairs.exact[cross]
    low, high = np.minimum(splits[a], splits[b]), np.maximum(splits[a], splits[b])
    per_split_pair = {}
    for first in range(len(SPLIT_NAMES)):
        for second in range(first + 1, len(SPLIT_NAMES)):
            chosen = (low == first) & (high == second)
            per_split_pair[f"{SPLIT_NAMES[first]}-{SPLIT_NAMES[second]}"] = {
                "exact": int((chosen & exact).sum()),
                "near": int((chosen & ~exact).sum()),
            }
    order = np.lexsort((a, -similarity))[:MAX_EXAMPLES]
    augmented = items.augmented
    method = (
        {"image": "perceptual hash (imagehash pHash, 64 bits)", "max_hamming_distance": IMAGE_MAX_DISTANCE}
        if image
        else {
            "text": "MinHash LSH (datasketch) on word shingles, verified by exact Jaccard",
            "shingle_words": SHINGLE_WORDS,
            "num_perm": NUM_PERM,
            "jaccard_threshold": TEXT_JACCARD_THRESHOLD,
        }
    )
    return LeakageResult(
        method=method,
        items=len(items.ids),
        split_items=int(in_split.sum()),
        exact_pairs=int(exact.sum()),
        near_pairs=int((~exact).sum()),
        per_split_pair=per_split_pair,
        augmented_outside_train={
            "left_out": int((augmented & (splits == LEFT_OUT)).sum()),
            "dev": int((augmented & (splits == 1)).sum()),
            "test": int((augmented & (splits == 2)).sum()),
            "not_split_yet": int((augmented & (splits == UNDECIDED)).sum()),
        },
        pairs=[
            {
                "a": _item(items, int(a[k])),
                "b": _item(items, int(b[k])),
                "kind": "exact" if exact[k] else "near",
                "similarity": round(float(similarity[k]), 4),
                "splits": [SPLIT_NAMES[splits[a[k]]], SPLIT_NAMES[splits[b[k]]]],
            }
            for k in order
        ],
    )


def _item(items: VersionItems, position: int) -> dict:
    return {
        "id": int(items.ids[position]),
        "external_id": items.external_ids[position],
        "content": items.contents[position][:300],
    }
