"""Model evaluation benchmark: a million predictions and three million annotations in
PostgreSQL, from the database to the figures, beside scikit-learn on the same arrays.

Run on demand (it is not a test)::

    .venv/bin/python bench/model_eval.py [--items 1000000] [--annotators 3] [--labels 5]

It creates its own PostgreSQL database (``--database``, default ``groundwork_bench_model_eval``; ``--server-url`` or
``BENCH_POSTGRES_URL`` name the server), migrates it, and writes with ``COPY`` a classification
project with ``--items`` items (two metadata keys: the slices), each labeled by every one of
``--annotators`` annotators, 1% of them adjudicated, and one model version predicting every
item. Then it times

- reading everything into arrays (``labeling.models_eval.data.evaluation_arrays``: on PostgreSQL each
  table's rows packed in binary by ``config.packed``);
- the whole evaluation on those arrays (``labeling.models_eval.evaluation.evaluate``: the model,
  each annotator against the others, the group, bootstrap intervals, gaps per label and slice,
  confusion matrix, confident disagreements, coverage);
- the evaluation as the API and the worker compute it (``model_evaluation_compute``: fingerprint,
  read, evaluate, store);
- scikit-learn's accuracy, Cohen's kappa, per-label F1 and confusion matrix on the same arrays,
  for the model and for the pooled annotators, and the largest difference from ours;
- a multi-label project of the same size built in memory: ``evaluate_sets`` beside scikit-learn's
  micro/macro F1, subset accuracy and Hamming loss on the indicator matrices.

The database is dropped at the end (``--keep`` keeps it; ``--reuse`` measures it again without building).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from agreement import database_url, drop_database, recreate_database, synthetic_labels, timed  # noqa: E402

LABELS = ["very negative", "negative", "neutral", "positive", "very positive"]
REGIONS = ["north", "south", "east", "west", "centre"]
CHANNELS = ["app", "web", "email"]


def _copy(cursor, table: str, columns: str, lines: io.StringIO) -> None:
    with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        copy.write(lines.getvalue())


def populate(*, n_items: int, n_annotators: int, n_labels: int) -> tuple[object, object, float]:
    """The project, its items, every annotation, 1% adjudicated and one model version."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from datasets.models import Batch, DatasetVersion, Item
    from labeling.models import Adjudication, Annotation, Prediction, PredictionSet
    from projects import services as project_services

    started = time.perf_counter()
    users = get_user_model()
    manager = users.objects.create_user("bench-manager", password="x")
    annotators = [users.objects.create_user(f"bench-annotator-{n}", password="x") for n in range(n_annotators)]
    project = project_services.project_create(
        user=manager, name="Model bench", task_type="classification", labels=LABELS[:n_labels],
        label_scale="nominal", overlap=n_annotators, guidelines="",
    )  # fmt: skip
    version = DatasetVersion.objects.create(project=project, number=1, item_count=n_items, added_count=n_items)
    batch = Batch.objects.create(
        project=project, uploaded_by=manager, original_name="bench.csv", file="bench.csv", file_sha256="0" * 64,
        file_size=0, format="csv", status="accepted", version=version, rows_total=n_items, rows_added=n_items,
    )  # fmt: skip
    truth, given = synthetic_labels(n_items, n_annotators, n_labels)
    rng = np.random.default_rng(2)
    names = LABELS[:n_labels]
    now = datetime.now(UTC).isoformat()
    with connection.cursor() as cursor:
        lines = io.StringIO()
        for n in range(n_items):
            meta = json.dumps({"region": REGIONS[n % 5], "channel": CHANNELS[(n // 5) % 3]})
            lines.write(f'{project.pk}\t{batch.pk}\tr{n}\t{{"text": "review {n}"}}\t{meta}\t{n:064x}\n')
        _copy(cursor, Item._meta.db_table, "project_id, batch_id, external_id, data, metadata, content_hash", lines)
        cursor.execute(f"SELECT id FROM {Item._meta.db_table} WHERE project_id = %s ORDER BY id", [project.pk])
        item_ids = np.array([row[0] for row in cursor.fetchall()])
        lines = io.StringIO()
        for annotator, user in enumerate(annotators):
            for index in range(n_items):
                label = names[given[annotator, index]]
                lines.write(f'{uuid.uuid4()}\t{item_ids[index]}\t{project.pk}\t{user.pk}\t"{label}"\t1\t{now}\t{now}\n')
        columns = "uuid, item_id, project_id, annotator_id, value, revision, created_at, updated_at"
        _copy(cursor, Annotation._meta.db_table, columns, lines)
        adjudicated = rng.choice(n_items, n_items // 100, replace=False)
        lines = io.StringIO()
        for index in adjudicated:
            lines.write(f'{item_ids[index]}\t{project.pk}\t{manager.pk}\tlabel\t"{names[truth[index]]}"\t0\t\t{now}\n')
        columns = "item_id, project_id, reviewer_id, action, value, extra_labels, note, created_at"
        _copy(cursor, Adjudication._meta.db_table, columns, lines)
        prediction_set = PredictionSet.objects.create(
            project=project, model_name="bench-model", labels=names, created_by=manager, count=n_items
        )
        # A model right about 80% of the time, less sure when wrong.
        right = rng.random(n_items) < 0.8
        predicted = np.where(right, truth, rng.integers(0, n_labels, n_items))
        weights = rng.uniform(0.02, 0.3, (n_items, n_labels))
        weights[np.arange(n_items), predicted] = np.where(
            right, rng.uniform(1, 4, n_items), rng.uniform(0.3, 1.5, n_items)
        )
        probabilities = np.round(weights / weights.sum(axis=1, keepdims=True), 6)
        lines = io.StringIO()
        for index in range(n_items):
            lines.write(f"{prediction_set.pk}\t{item_ids[index]}\t{json.dumps(probabilities[index].tolist())}\t\\N\n")
        _copy(cursor, Prediction._meta.db_table, "prediction_set_id, item_id, probabilities, spans", lines)
        for model in (Item, Annotation, Adjudication, Prediction):
            cursor.execute(f"ANALYZE {model._meta.db_table}")
    return project, prediction_set, time.perf_counter() - started


def multilabel_arrays(n_items: int, n_annotators: int, n_labels: int):
    """A multi-label project's coded arrays of the same size, built in memory (no database): a true
    label set per item, each annotator flipping each label 8% of the time, a model's probabilities."""
    from labeling.models_eval.set_evaluation import SetArrays
    from labeling.models_eval.set_metrics import elements_from_lists

    rng = np.random.default_rng(3)
    truth = rng.random((n_items, n_labels)) < 0.3
    bits = 1 << np.arange(n_labels)
    given = np.concatenate(
        [((truth ^ (rng.random(truth.shape) < 0.08)) * bits).sum(axis=1) for _ in range(n_annotators)]
    )
    probabilities = np.clip(truth + rng.normal(0, 0.3, truth.shape), 0, 1)
    elements = elements_from_lists([[(0, 0, j) for j in range(n_labels) if c >> j & 1] for c in range(2**n_labels)])
    return SetArrays(
        task_type="multilabel", label_names=[f"l{j}" for j in range(n_labels)], item_ids=np.arange(n_items),
        annotation_items=np.tile(np.arange(n_items), n_annotators),
        annotation_annotators=np.repeat(np.arange(n_annotators), n_items), annotation_values=given,
        usernames=[f"a{n}" for n in range(n_annotators)], adjudicated=np.full(n_items, -1),
        predicted=((probabilities >= 0.5) * bits).sum(axis=1),
        confidence=np.maximum(probabilities, 1 - probabilities).min(axis=1), elements=elements,
        slices=[("region", np.arange(n_items) % len(REGIONS), REGIONS)],
    )  # fmt: skip


def multilabel_section(args) -> None:
    """The multi-label evaluation on arrays of the same size, beside scikit-learn on indicator matrices."""
    from sklearn.metrics import accuracy_score, f1_score, hamming_loss

    from labeling.models_eval import set_metrics
    from labeling.models_eval.set_evaluation import evaluate_sets

    arrays = multilabel_arrays(args.items, args.annotators, args.labels)
    print(f"\nMulti-label, {args.items:,} items x {args.annotators} annotators x {args.labels} labels, in memory:")
    result, ours_s = timed("evaluate_sets (every figure, 1000-resample intervals)", evaluate_sets, arrays)
    majority = set_metrics.whole_majority(arrays.annotation_items, arrays.annotation_values, n_items=arrays.n_items)
    evaluated = (majority >= 0) & (arrays.predicted >= 0)
    bits = 1 << np.arange(args.labels)
    truth = (majority[evaluated, None] & bits) > 0
    guess = (arrays.predicted[evaluated, None] & bits) > 0

    def sklearn_figures() -> dict:
        return {
            "micro_f1": f1_score(truth, guess, average="micro"),
            "macro_f1": f1_score(truth, guess, average="macro"),
            "subset_accuracy": accuracy_score(truth, guess),
            "hamming_loss": hamming_loss(truth, guess),
        }

    reference, sk_s = timed("scikit-learn: micro/macro F1, subset accuracy, Hamming loss (model)", sklearn_figures)
    largest = max(abs(result["model"][key] - value) for key, value in reference.items())
    model, human = result["model"]["micro_f1"], result["human_level"]["micro_f1"]
    print(f"  model micro F1 {model:.4f}, human level {human:.4f}; largest |ours - scikit-learn| {largest:.1e};"
          f" ours {ours_s:.2f} s beside scikit-learn {sk_s:.2f} s")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--annotators", type=int, default=3)
    parser.add_argument("--labels", type=int, default=5, choices=range(2, 6))
    parser.add_argument(
        "--server-url", default=os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
    )
    parser.add_argument("--database", default="groundwork_bench_model_eval")
    parser.add_argument("--keep", action="store_true", help="keep the database (for --reuse)")
    parser.add_argument("--reuse", action="store_true", help="measure the database a --keep run left")
    args = parser.parse_args()

    if not args.reuse:
        recreate_database(args.server_url, args.database)
    os.environ["DATABASE_URL"] = database_url(args.server_url, args.database)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("GROUNDWORK_VAR_DIR", "/tmp/groundwork-bench-model-eval")
    import django

    django.setup()
    from django.core.management import call_command
    from sklearn.metrics import accuracy_score, cohen_kappa_score, confusion_matrix, f1_score

    from labeling.models_eval import metrics
    from labeling.models_eval.data import evaluation_arrays
    from labeling.models_eval.evaluation import evaluate
    from labeling.models_eval.services import model_evaluation_compute

    try:
        call_command("migrate", verbosity=0)
        if args.reuse:
            from labeling.models import PredictionSet

            prediction_set = PredictionSet.objects.select_related("project").get(model_name="bench-model")
            project, load_seconds = prediction_set.project, 0.0
        else:
            project, prediction_set, load_seconds = populate(
                n_items=args.items, n_annotators=args.annotators, n_labels=args.labels
            )
        rows = args.items * args.annotators
        print(f"{args.items:,} predictions, {rows:,} annotations ({args.annotators} per item, {args.labels} labels),")
        print(f"  {args.items // 100:,} adjudications, two metadata keys; loaded with COPY in {load_seconds:.1f} s\n")

        print("Ours:")
        arrays, read_s = timed("evaluation_arrays (packed binary reads, with slices)", evaluation_arrays,
                               project=project, prediction_set=prediction_set)  # fmt: skip
        result, evaluate_s = timed("evaluate (every figure, 1000-resample intervals)", evaluate, arrays)
        _, total_s = timed("model_evaluation_compute (as the API / worker: read, evaluate, store)",
                           model_evaluation_compute, project=project, prediction_set=prediction_set)  # fmt: skip

        print("\nscikit-learn on the same arrays:")
        counts = metrics.label_counts(arrays.annotation_items, arrays.annotation_labels,
                                      n_items=arrays.n_items, n_labels=arrays.n_labels)  # fmt: skip
        settled = metrics.settled_labels(counts, arrays.adjudicated)
        evaluated = (settled >= 0) & (arrays.predicted >= 0)
        truth, predicted = settled[evaluated], arrays.predicted[evaluated]
        reference = metrics.human_references(arrays.annotation_items, arrays.annotation_labels, counts,
                                             arrays.adjudicated)  # fmt: skip
        keep = evaluated[arrays.annotation_items] & (reference >= 0)
        human_ref, human_given = reference[keep], arrays.annotation_labels[keep]
        labels = list(range(arrays.n_labels))

        def sklearn_figures(y_true: np.ndarray, y_pred: np.ndarray) -> dict:
            return {
                "accuracy": accuracy_score(y_true, y_pred),
                "cohen_kappa": cohen_kappa_score(y_true, y_pred),
                "f1": f1_score(y_true, y_pred, labels=labels, average=None, zero_division=0),
                "confusion": confusion_matrix(y_true, y_pred, labels=labels),
            }

        model_ref, model_sk_s = timed("model: accuracy, kappa, F1, confusion matrix", sklearn_figures, truth, predicted)
        human_sk, human_sk_s = timed("pooled annotators: the same four", sklearn_figures, human_ref, human_given)
        differences = [
            abs(result["model"]["accuracy"] - model_ref["accuracy"]),
            abs(result["model"]["cohen_kappa"] - model_ref["cohen_kappa"]),
            max(abs(row["f1"] - f) for row, f in zip(result["model"]["per_label"], model_ref["f1"], strict=True)),
            abs(result["human_level"]["accuracy"] - human_sk["accuracy"]),
            abs(result["human_level"]["cohen_kappa"] - human_sk["cohen_kappa"]),
            max(abs(row["f1"] - f) for row, f in zip(result["human_level"]["per_label"], human_sk["f1"], strict=True)),
        ]
        same_confusion = result["confusion"] == model_ref["confusion"].tolist()

        print("\nSummary")
        model, human = result["model"], result["human_level"]
        print(f"  items evaluated {result['items_evaluated']:,}; model accuracy {model['accuracy']:.4f}"
              f" (kappa {model['cohen_kappa']:.4f}); human level {human['accuracy']:.4f}"
              f" (kappa {human['cohen_kappa']:.4f}) over {human['n']:,} votes")  # fmt: skip
        print(f"  largest |ours - scikit-learn| over accuracy, kappa, F1: {max(differences):.1e};"
              f" confusion matrix identical: {same_confusion}")  # fmt: skip
        print(f"  database -> every figure: {read_s + evaluate_s:.2f} s"
              f" (read {read_s:.2f} + evaluate {evaluate_s:.2f});"
              f" as the worker stores it: {total_s:.2f} s (goal < 10 s)")  # fmt: skip
        print(f"  scikit-learn, four figures for the model and the people (no reading, no leave-one-out,"
              f" no intervals): {model_sk_s + human_sk_s:.2f} s")  # fmt: skip
        multilabel_section(args)
    finally:
        from django.db import connections

        connections.close_all()
        if not (args.keep or args.reuse):
            drop_database(args.server_url, args.database)


if __name__ == "__main__":
    main()
