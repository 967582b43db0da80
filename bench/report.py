"""Version report benchmark: the report of a version of a million items and three million annotations.

Run on demand (it is not a test)::

    .venv/bin/python bench/report.py [--items 1000000] [--annotators 3]

It creates its own PostgreSQL database (``groundwork_bench_report``; ``--server-url`` or
``BENCH_POSTGRES_URL`` name the server), writes a classification project with ``COPY`` (the
same synthetic annotators as ``bench/agreement.py``, and a ``channel`` metadata column of four
values to slice by), then times, in one run:

- ``quality.reports.build.build``: every section of the report, from the database;
- the whole service as the worker runs it (``report_compute``: build, store, snapshot file);
- the HTML file's size;
- beside them, the same labels' figures (class balance of the majority, coverage, per-slice
  label mix) computed by plain pandas on the same arrays, as a reference of what the
  arithmetic alone costs.

Each part of the build is also timed alone first. The database is dropped at the end (``--keep`` keeps
it; ``--reuse`` runs on a kept one, adding nothing).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from agreement import database_url, drop_database, populate, recreate_database, timed  # noqa: E402


def parts(build, version) -> None:
    """Each part of ``build.build`` timed alone, one after the other, in the order the build needs them."""
    from config.packed import side_by_side
    from quality.reports import reads

    project = version.project
    arrays, _ = timed("read: annotations (no weeks)", reads.version_annotations, project=project,
                      version=version.number, weeks=False)  # fmt: skip
    columns, _ = timed("read: slice columns and their values", lambda: reads.column_values(
        version, build._slice_columns(version), max_values=build.SLICE_MAX_VALUES))  # fmt: skip
    flagged = build.batches_with_problems(version)
    items, _ = timed("read: items (ids, hashes, batch flags, slice codes)", reads.version_items, version,
                     {c: sorted(v) for c, v in columns.items()}, flagged_batches=flagged)  # fmt: skip
    timed("item-set hash (of the items read)", build._item_set_hash, version, items)
    timed("both reads side by side, as the build does them", side_by_side,
          lambda: reads.version_annotations(project=project, version=version.number, weeks=False),
          lambda: build.items_read(version))  # fmt: skip
    result, _ = timed("final labels", build.finals, arrays, project=project)
    timed("labels: coverage and class balance", build.labels, version, project=project, arrays=arrays,
          result=result, parent=None)  # fmt: skip
    timed("agreement", build.agreement, arrays, project=project)
    timed("consensus vs adjudication", build.consensus_vs_adjudication, arrays, result)
    ranking, _ = timed("label issue ranking", build.label_issue_ranking, project=project, version=version.number)
    timed("slices", build.slices, project=project, arrays=arrays, result=result, items=items, ranking=ranking)
    timed("summary, validation, drift, data mix", lambda: (build.summary(version), build.validation(version),
          build.drift(version), build.data_mix(version, build.summary(version))))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--annotators", type=int, default=3)
    parser.add_argument(
        "--server-url", default=os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
    )
    parser.add_argument("--database", default="groundwork_bench_report")
    parser.add_argument("--keep", action="store_true", help="keep the database for a later --reuse")
    parser.add_argument("--reuse", action="store_true", help="use the database a --keep run left (implies --keep)")
    args = parser.parse_args()
    args.keep = args.keep or args.reuse

    if not args.reuse:
        recreate_database(args.server_url, args.database)
    os.environ["DATABASE_URL"] = database_url(args.server_url, args.database)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("GROUNDWORK_VAR_DIR", "/tmp/groundwork-bench-report")
    import django

    django.setup()
    import pandas as pd
    from django.core.management import call_command
    from django.db import connection

    from datasets.models import DatasetVersion, Item
    from labeling.models import Annotation
    from labeling.review.data import annotation_arrays
    from quality.reports import build, services
    from quality.reports.html import report_file
    from quality.reports.reads import version_annotations
    from quality.reports.selectors import report_state

    try:
        call_command("migrate", verbosity=0)
        if args.reuse:
            version = DatasetVersion.objects.select_related("project").get(number=1)
            project, load_seconds = version.project, 0.0
        else:
            project, load_seconds = populate(n_items=args.items, n_annotators=args.annotators, n_labels=5)
            with connection.cursor() as cursor:
                channels = "ARRAY['web', 'app', 'email survey', 'phone']"
                cursor.execute(
                    f"UPDATE {Item._meta.db_table}"
                    f" SET metadata = jsonb_build_object('channel', ({channels})[1 + id %% 4]) WHERE project_id = %s",
                    [project.pk],
                )
                # a settled database, as autovacuum leaves it: statistics, and the visibility map that lets
                # the annotations' read scan its index alone
                cursor.execute(f"VACUUM ANALYZE {Item._meta.db_table}")
                cursor.execute(f"VACUUM ANALYZE {Annotation._meta.db_table}")
            version = DatasetVersion.objects.get(project=project, number=1)
        items = version.item_count
        rows = Annotation.objects.filter(project=project).count() if args.reuse else args.items * args.annotators
        print(f"{items:,} items, {rows:,} annotations; loaded in {load_seconds:.1f} s")
        print(f"load average (1, 5, 15 min): {', '.join(f'{x:.1f}' for x in os.getloadavg())}\n")

        print("Ours, part by part (each timed alone, one after the other):")
        parts(build, version)
        print("\nOurs, whole:")
        (sections, _), _ = timed("build: every section, from the database", build.build, version,
                                       parent_report=None, fingerprint="bench")  # fmt: skip
        report, compute_s = timed("report_compute: build, store, snapshot of final labels", services.report_compute,
                                  version=version)  # fmt: skip
        html, _ = timed("the offline HTML file", report_file, version=version, state=report_state(version=version))
        balance = {row["label"]: row["count"] for row in sections["labels"]["class_balance"]}

        print("\nReference (plain pandas on the same arrays, after the same read):")
        arrays, read_s = timed("version_annotations (the read both share)", version_annotations, project=project,
                               version=1, weeks=False)  # fmt: skip
        timed("  the same arrays by the agreement page's read", annotation_arrays, project=project, version=1)
        meta_rows, meta_s = timed("  the channel column through the ORM (for pandas)", lambda: list(
            Item.objects.filter(project=project).values_list("id", "metadata__channel")))  # fmt: skip
        started = time.perf_counter()
        frame = pd.DataFrame({"item": arrays.items, "label": arrays.values})
        counts = frame.groupby(["item", "label"]).size().unstack(fill_value=0)
        top = counts.to_numpy().max(axis=1)
        ties = (counts.to_numpy() == top[:, None]).sum(axis=1) > 1
        majority = counts.to_numpy().argmax(axis=1)
        reference_balance = pd.Series(majority[~ties]).value_counts()
        coverage = frame.groupby("item").size().value_counts()
        meta = pd.DataFrame.from_records(meta_rows, columns=["id", "channel"])
        slice_mix = pd.crosstab(meta.set_index("id").loc[arrays.item_ids, "channel"].to_numpy()[~ties], majority[~ties])
        pandas_s = time.perf_counter() - started
        print(f"  {'class balance, coverage and slice mix by pandas':<58} {pandas_s:8.3f} s")
        same = all(balance[name] == int(reference_balance.get(code, 0)) for code, name in enumerate(arrays.label_names))
        print(f"    class balance equal to pandas': {same}; coverage rows {len(coverage)}; slices {len(slice_mix)}")

        print("\nSummary")
        print(f"  report of {args.items:,} items / {rows:,} annotations: {compute_s:.1f} s (goal < 10 s)")
        print(f"  HTML file: {len(html.encode()) / 1024:.0f} KB (goal < 2 MB); stored JSON status {report.status}")
        print(f"  reference: read {read_s:.1f} s + channel column {meta_s:.1f} s + pandas {pandas_s:.1f} s"
              " for three of the report's eleven sections")  # fmt: skip
        print(f"  load average (1, 5, 15 min) at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            drop_database(args.server_url, args.database)


if __name__ == "__main__":
    main()
