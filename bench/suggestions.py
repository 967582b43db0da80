"""Model-in-the-loop benchmark: the uncertainty order, /next/ with a suggestion, and the
anchoring figures, on PostgreSQL at the scale of a large project.

Run on demand (it is not a test)::

    .venv/bin/python bench/suggestions.py [--items 1000000] [--annotations 300000]

It creates its own PostgreSQL database (``groundwork_bench_suggestions``; ``--server-url`` or
``BENCH_POSTGRES_URL`` name the server), writes a classification project of ``--items`` items
with ``COPY``, takes them into the queue, uploads one model's probabilities for every item,
and times, each beside a reference computed in the same run:

- ``queue_order_apply`` under ``queue_order = uncertainty`` (one UPDATE computing every item's
  margin in SQL), beside the plain UPDATE that restores the default order over the same rows,
  and beside numpy computing the same margins from arrays; the stored ranks are checked against
  numpy's;
- claims (``next_item``) with and without ``suggestion_serve``: the cost of the suggestion;
- the anchoring report of ``--annotations`` annotations (bootstrap of 1,000 resamples over
  items) beside scikit-learn's ``accuracy_score`` on the same arrays.

The database is dropped at the end (``--keep`` keeps it).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from agreement import database_url, drop_database, recreate_database, timed  # noqa: E402

LABELS = ["positive", "negative", "neutral", "mixed"]


def populate(n_items: int):
    """The project, its items (COPY), its queue and one model's probabilities for every item."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from datasets.models import Batch, DatasetVersion, Item
    from labeling import services
    from labeling.models import Prediction, PredictionSet
    from projects import services as project_services

    users = get_user_model()
    manager = users.objects.create(username="bench-manager")
    project = project_services.project_create(
        user=manager, name="Suggestions bench", task_type="classification", labels=LABELS, overlap=2
    )
    version = DatasetVersion.objects.create(project=project, number=1, item_count=n_items, added_count=n_items)
    batch = Batch.objects.create(
        project=project, uploaded_by=manager, original_name="bench.csv", file="bench.csv", file_sha256="0" * 64,
        file_size=0, format="csv", status="accepted", version=version, rows_total=n_items, rows_added=n_items,
    )  # fmt: skip
    rng = np.random.default_rng(0)
    probabilities = np.round(rng.dirichlet(np.full(len(LABELS), 0.7), size=n_items), 6)
    with connection.cursor() as cursor:
        columns = "project_id, batch_id, external_id, data, metadata, content_hash"
        with cursor.cursor.copy(f"COPY {Item._meta.db_table} ({columns}) FROM STDIN") as copy:
            for n in range(n_items):
                copy.write_row((project.pk, batch.pk, f"r{n}", f'{{"text": "review {n}"}}', "{}", f"{n:064x}"))
        cursor.execute(f"SELECT id FROM {Item._meta.db_table} WHERE project_id = %s ORDER BY id", [project.pk])
        item_ids = np.array([row[0] for row in cursor.fetchall()])
        services.queue_sync(project=project)
        prediction_set = PredictionSet.objects.create(
            project=project, model_name="bench-model", labels=LABELS, created_by=manager, count=n_items
        )
        with cursor.cursor.copy(
            f"COPY {Prediction._meta.db_table} (prediction_set_id, item_id, probabilities) FROM STDIN"
        ) as copy:
            for item_id, row in zip(item_ids, probabilities, strict=True):
                copy.write_row((prediction_set.pk, int(item_id), json.dumps(row.tolist())))
        cursor.execute("ANALYZE")
    return project, manager, item_ids, probabilities


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--annotations", type=int, default=300_000)
    parser.add_argument("--claims", type=int, default=200)
    parser.add_argument(
        "--server-url", default=os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
    )
    parser.add_argument("--database", default="groundwork_bench_suggestions")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    recreate_database(args.server_url, args.database)
    os.environ["DATABASE_URL"] = database_url(args.server_url, args.database)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("GROUNDWORK_VAR_DIR", "/tmp/groundwork-bench-suggestions")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from sklearn.metrics import accuracy_score

    from labeling import services
    from labeling.models import ItemState
    from labeling.suggestions.anchoring import anchoring_report
    from labeling.suggestions.serve import suggestion_serve
    from labeling.suggestions.uncertainty import queue_order_apply

    try:
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        project, _, item_ids, probabilities = populate(args.items)
        print(f"{args.items:,} items with one model's probabilities, loaded in {time.perf_counter() - started:.1f} s\n")

        print("Queue order (one UPDATE each):")
        project.queue_order = "uncertainty"
        project.save(update_fields=["queue_order"])
        changed, sql_s = timed("uncertainty: margin in SQL into every sort key", queue_order_apply, project=project)
        top = np.sort(probabilities, axis=1)
        margins, numpy_s = timed("reference: numpy margins of the same arrays", lambda: top[:, -1] - top[:, -2])
        expected = np.char.zfill((np.clip(margins, 0, 1) * 1000).astype(int).astype(str), 4)
        stored = dict(ItemState.objects.filter(project=project).values_list("item_id", "sort_key"))
        agree = np.mean([stored[int(i)][:4] == rank for i, rank in zip(item_ids, expected, strict=True)])
        print(f"    {changed:,} rows; stored ranks equal to numpy's for {agree:.4%} of items")
        project.queue_order = "default"
        project.save(update_fields=["queue_order"])
        timed("reference: the default order's UPDATE over the same rows", queue_order_apply, project=project)
        project.queue_order = "uncertainty"
        project.save(update_fields=["queue_order"])
        queue_order_apply(project=project)

        print(f"\n{args.claims} claims, one annotator each (uncertainty order):")
        users = get_user_model()
        annotators = users.objects.bulk_create(users(username=f"bench-annotator-{n}") for n in range(args.claims * 2))

        # Alternated claim by claim, so both see the same load on a shared machine.
        spent = {False: 0.0, True: 0.0}
        for n, user in enumerate(annotators):
            with_suggestion = n % 2 == 1
            project.suggestions = "preselect" if with_suggestion else "off"
            started = time.perf_counter()
            item = services.next_item(project=project, user=user)
            suggestion_serve(project=project, user=user, item=item)
            spent[with_suggestion] += time.perf_counter() - started
        print(f"  next_item, suggestions off      {spent[False] / args.claims * 1000:8.2f} ms per claim")
        print(f"  next_item + suggestion_serve    {spent[True] / args.claims * 1000:8.2f} ms per claim")

        n = args.annotations
        rng = np.random.default_rng(2)
        items = rng.integers(0, n // 3, n)
        shown = rng.random(n) >= 0.1
        suggested = rng.integers(0, 4, n).astype(str).astype(object)
        follows = rng.random(n) < np.where(shown, 0.8, 0.6)
        values = np.where(follows, suggested, rng.integers(0, 4, n).astype(str)).astype(object)
        print(f"\nAnchoring figures of {n:,} annotations over {n // 3:,} items:")
        report, _ = timed(
            "anchoring_report (5 figures, 1,000 bootstrap resamples each)",
            anchoring_report, items=items, shown=shown, values=values, suggested=suggested,
        )  # fmt: skip
        reference, _ = timed(
            "reference: sklearn accuracy_score of both groups (no interval)",
            lambda: [accuracy_score(suggested[m], values[m]) for m in (shown, ~shown)],
        )
        ours = [report[k]["agreement_with_model"]["value"] for k in ("shown", "withheld")]
        print(f"    agreement with the model: ours {ours[0]:.6f} / {ours[1]:.6f}, "
              f"sklearn {reference[0]:.6f} / {reference[1]:.6f}")  # fmt: skip
        print(f"    ratio of SQL margin UPDATE to numpy margins: {sql_s / max(numpy_s, 1e-9):.0f}x")
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            drop_database(args.server_url, args.database)


if __name__ == "__main__":
    main()
