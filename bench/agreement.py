"""Agreement benchmark: a million annotations in PostgreSQL, from the database to the figures.

Run on demand (it is not a test)::

    .venv/bin/python bench/agreement.py [--items 200000] [--annotators 5] [--labels 5]

It creates its own PostgreSQL database (``groundwork_bench_agreement``; ``--server-url`` or
``BENCH_POSTGRES_URL`` name the server), migrates it, and writes a classification project
with ``--items`` items each labeled by every one of ``--annotators`` annotators (one
million annotations by default) with ``COPY``: skewed true labels, each annotator right
with their own accuracy and wrong mostly towards neighbouring labels, changes spread over
eight weeks. Then, in one run, it times

- reading the annotations into arrays (``labeling.review.data.annotation_arrays``:
  ``values_list`` SQL, the label as text in SQL, codes by numpy);
- our Krippendorff's alpha alone, and the whole report (alpha, Fleiss' kappa, pairwise
  Cohen's kappa, Gwet, per label, per annotator; without and with the bootstrap);
- our Dawid-Skene;
- the ``krippendorff`` package and crowd-kit's ``DawidSkene`` on the same arrays;
- the cached results as the API computes them from the database (agreement, the ranking
  of items, Dawid-Skene).

The database is dropped at the end (``--keep`` keeps it).
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
import uuid
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
LABELS = ["very negative", "negative", "neutral", "positive", "very positive"]


def database_url(server: str, name: str) -> str:
    parts = urlsplit(server)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def recreate_database(server: str, name: str) -> None:
    with psycopg.connect(database_url(server, "postgres"), autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(server: str, name: str) -> None:
    with psycopg.connect(database_url(server, "postgres"), autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def synthetic_labels(n_items: int, n_annotators: int, n_labels: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """True labels (skewed towards the middle) and every annotator's label of every item:
    right with their own accuracy, wrong mostly by one step on the scale."""
    rng = np.random.default_rng(seed)
    priors = np.array([0.1, 0.2, 0.35, 0.25, 0.1])[:n_labels]
    truth = rng.choice(n_labels, size=n_items, p=priors / priors.sum())
    accuracy = np.linspace(0.9, 0.6, n_annotators)
    given = np.empty((n_annotators, n_items), dtype=np.int64)
    for annotator in range(n_annotators):
        wrong = rng.random(n_items) >= accuracy[annotator]
        step = np.where(
            rng.random(n_items) < 0.8, rng.choice([-1, 1], n_items), rng.integers(-n_labels, n_labels, n_items)
        )
        noisy = np.clip(truth + step, 0, n_labels - 1)
        noisy = np.where(noisy == truth, (truth + 1) % n_labels, noisy)
        given[annotator] = np.where(wrong, noisy, truth)
    return truth, given


def populate(*, n_items: int, n_annotators: int, n_labels: int) -> tuple[object, float]:
    """The project, its one version and every annotation; returns (project, seconds to load)."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from datasets.models import Batch, DatasetVersion, Item
    from labeling.models import Annotation
    from projects import services as project_services

    started = time.perf_counter()
    users = get_user_model()
    manager = users.objects.create_user("bench-manager", password="x")
    annotators = [users.objects.create_user(f"bench-annotator-{n}", password="x") for n in range(n_annotators)]
    project = project_services.project_create(
        user=manager, name="Agreement bench", task_type="classification", labels=LABELS[:n_labels],
        label_scale="nominal", overlap=n_annotators, guidelines="",
    )  # fmt: skip
    version = DatasetVersion.objects.create(project=project, number=1, item_count=n_items, added_count=n_items)
    batch = Batch.objects.create(
        project=project, uploaded_by=manager, original_name="bench.csv", file="bench.csv", file_sha256="0" * 64,
        file_size=0, format="csv", status="accepted", version=version, rows_total=n_items, rows_added=n_items,
    )  # fmt: skip
    with connection.cursor() as cursor:
        columns = "project_id, batch_id, external_id, data, metadata, content_hash"
        with cursor.cursor.copy(f"COPY {Item._meta.db_table} ({columns}) FROM STDIN") as copy:
            for n in range(n_items):
                copy.write_row((project.pk, batch.pk, f"r{n}", f'{{"text": "review {n}"}}', "{}", f"{n:064x}"))
        cursor.execute(f"SELECT id FROM {Item._meta.db_table} WHERE project_id = %s ORDER BY id", [project.pk])
        item_ids = [row[0] for row in cursor.fetchall()]
        _, given = synthetic_labels(n_items, n_annotators, n_labels)
        now = datetime.now(UTC)
        rng = np.random.default_rng(1)
        ages = rng.integers(0, 8 * 7 * 24 * 3600, size=(n_annotators, n_items))
        columns = "uuid, item_id, project_id, annotator_id, value, revision, created_at, updated_at"
        with cursor.cursor.copy(f"COPY {Annotation._meta.db_table} ({columns}) FROM STDIN") as copy:
            for annotator, user in enumerate(annotators):
                buffer = io.StringIO()
                for index, item_id in enumerate(item_ids):
                    moment = (now - timedelta(seconds=int(ages[annotator, index]))).isoformat()
                    label = LABELS[given[annotator, index]]
                    buffer.write(
                        f'{uuid.uuid4()}\t{item_id}\t{project.pk}\t{user.pk}\t"{label}"\t1\t{moment}\t{moment}\n'
                    )
                copy.write(buffer.getvalue())
        cursor.execute(f"ANALYZE {Annotation._meta.db_table}; ANALYZE {Item._meta.db_table}")
    return project, time.perf_counter() - started


def timed(what: str, function, *args, **kwargs):
    started = time.perf_counter()
    result = function(*args, **kwargs)
    seconds = time.perf_counter() - started
    print(f"  {what:<58} {seconds:8.3f} s")
    return result, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=200_000)
    parser.add_argument("--annotators", type=int, default=5)
    parser.add_argument("--labels", type=int, default=5, choices=range(2, 6))
    parser.add_argument(
        "--server-url", default=os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
    )
    parser.add_argument("--database", default="groundwork_bench_agreement")
    parser.add_argument("--skip-crowdkit", action="store_true", help="crowd-kit takes long on a million rows")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    recreate_database(args.server_url, args.database)
    os.environ["DATABASE_URL"] = database_url(args.server_url, args.database)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("GROUNDWORK_VAR_DIR", "/tmp/groundwork-bench-agreement")
    import django

    django.setup()
    from django.core.management import call_command

    from labeling import agreement
    from labeling.review import compute_kinds
    from labeling.review.data import annotation_arrays

    try:
        call_command("migrate", verbosity=0)
        project, load_seconds = populate(n_items=args.items, n_annotators=args.annotators, n_labels=args.labels)
        rows = args.items * args.annotators
        print(f"{rows:,} annotations ({args.items:,} items x {args.annotators} annotators, {args.labels} labels)")
        print(f"  loaded with COPY in {load_seconds:.1f} s\n")

        print("From the database (PostgreSQL) to arrays:")
        arrays, read_s = timed("annotation_arrays (values_list SQL, label text -> codes)", annotation_arrays,
                               project=project, version=1)  # fmt: skip
        assert arrays.n_rows == rows
        k = len(arrays.label_names)
        common = {"n_items": arrays.n_items, "n_categories": k}

        print("\nOurs (labeling.agreement) on those arrays:")
        alpha, alpha_s = timed("Krippendorff's alpha alone", agreement.krippendorff_alpha,
                               arrays.items, arrays.values, **common)  # fmt: skip
        report, report_s = timed(
            "report: alpha + Fleiss + pairwise kappa + Gwet + per label/annotator",
            agreement.classification_report, arrays.items, arrays.annotators, arrays.values,
            n_annotators=arrays.n_annotators, bootstrap=0, **common,
        )  # fmt: skip
        timed(
            "the same report with alpha's bootstrap interval (200 resamples)",
            agreement.classification_report, arrays.items, arrays.annotators, arrays.values,
            n_annotators=arrays.n_annotators, bootstrap=200, **common,
        )  # fmt: skip
        ds, ds_s = timed("Dawid-Skene", agreement.dawid_skene, arrays.items, arrays.annotators, arrays.values,
                         n_annotators=arrays.n_annotators, **common)  # fmt: skip
        print(f"    alpha {alpha:.6f}, Fleiss {report['fleiss_kappa']:.6f}, "
              f"{len(report['pairwise'])} pairs, Dawid-Skene {ds.iterations} iterations")  # fmt: skip

        print("\nReferences on the same arrays:")
        import krippendorff

        matrix = np.full((arrays.n_annotators, arrays.n_items), np.nan)
        matrix[arrays.annotators, arrays.items] = arrays.values
        ref_alpha, ref_alpha_s = timed("krippendorff.alpha (nominal, value_domain given)", krippendorff.alpha,
                                       reliability_data=matrix, level_of_measurement="nominal",
                                       value_domain=list(range(k)))  # fmt: skip
        print(f"    |ours - krippendorff| = {abs(alpha - ref_alpha):.2e}")
        crowd_s = None
        if not args.skip_crowdkit:
            import pandas as pd
            from crowdkit.aggregation import DawidSkene

            frame = pd.DataFrame({"task": arrays.items, "worker": arrays.annotators, "label": arrays.values})
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                reference, crowd_s = timed("crowd-kit DawidSkene (n_iter=100, tol=1e-5)",
                                           DawidSkene(n_iter=100, tol=1e-5).fit_predict, frame)  # fmt: skip
            same = (reference.sort_index().to_numpy() == ds.label[reference.sort_index().index.to_numpy()]).mean()
            print(f"    same label as crowd-kit on {same:.4%} of items")

        print("\nAs the API computes them, each from the database:")
        for kind in ("agreement", "items", "dawid_skene"):
            timed(f"compute_kind({kind!r})", compute_kinds.compute_kind, project=project, version=1, kind=kind)

        total = read_s + report_s + ds_s
        per_100k = 100_000 / args.items
        print("\nSummary")
        print(f"  database -> alpha, Fleiss, pairwise kappa, Dawid-Skene: {total:.2f} s (goal < 10 s)")
        print(f"  alpha per 100k items: ours {alpha_s * per_100k:.3f} s, krippendorff {ref_alpha_s * per_100k:.3f} s")
        if crowd_s is not None:
            print(f"  Dawid-Skene per 100k items: ours {ds_s * per_100k:.3f} s, crowd-kit {crowd_s * per_100k:.3f} s")
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            drop_database(args.server_url, args.database)


if __name__ == "__main__":
    main()
