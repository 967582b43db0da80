"""Export benchmark: a version of a million items and three million annotations, in every bulk format.

Run on demand (it is not a test)::

    .venv/bin/python bench/export.py [--items 1000000] [--annotators 3] [--formats jsonl,csv,parquet]

It creates its own PostgreSQL database (``bench_exports``; ``--server-url`` or
``BENCH_POSTGRES_URL`` name the server), writes a classification project with ``COPY`` (the
builder ``bench/report.py`` uses, with a ``channel`` metadata column), then times, in one run:

- the reference: a plain ``COPY (SELECT ...) TO STDOUT`` of the same rows (each item with its
  annotations and their annotators' names), read to the end by the same client library;
- ``labeling.exports.export_stream`` in each format, read to the end as a response would be;
- with ``--filtered``, a selection export (``metadata=channel=web``: a quarter of the items).

Figures are items per second; the database is dropped at the end (``--keep`` keeps it).
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from agreement import database_url, drop_database, populate, recreate_database  # noqa: E402


def drain(parts, digest=None) -> int:
    """The size of the stream, read to the end; ``digest`` (a hashlib object) sees every byte."""
    size = 0
    for part in parts:
        size += len(part)
        if digest is not None:
            digest.update(part)
    return size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--annotators", type=int, default=3)
    parser.add_argument("--formats", default="jsonl,csv,parquet,csv-flat")
    parser.add_argument("--filtered", action="store_true", help="also a selection export (metadata=channel=web)")
    parser.add_argument("--profile", help="profile this format and print the top functions")
    parser.add_argument("--digest", action="store_true", help="print each export's SHA-256 (to compare two versions)")
    parser.add_argument(
        "--server-url", default=os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
    )
    parser.add_argument("--database", default="bench_exports")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="use the database a --keep run left (and keep it)")
    args = parser.parse_args()

    if not args.reuse:
        recreate_database(args.server_url, args.database)
    os.environ["DATABASE_URL"] = database_url(args.server_url, args.database)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", "bench")
    os.environ.setdefault("GROUNDWORK_VAR_DIR", "/tmp/groundwork-bench-export")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from datasets.models import Item
    from labeling import exports
    from labeling.exports.selection import ExportSelection, export_options_parse
    from labeling.models import Annotation
    from projects.models import Project

    try:
        if args.reuse:
            project = Project.objects.get(name="Agreement bench")
        else:
            call_command("migrate", verbosity=0)
            project, load_seconds = populate(n_items=args.items, n_annotators=args.annotators, n_labels=5)
            with connection.cursor() as cursor:
                channels = "ARRAY['web', 'app', 'email survey', 'phone']"
                cursor.execute(
                    f"UPDATE {Item._meta.db_table} SET metadata = jsonb_build_object('channel', "
                    f"({channels})[1 + id %% 4], 'stars', id %% 5) WHERE project_id = %s",
                    [project.pk],
                )
                cursor.execute(f"VACUUM ANALYZE {Item._meta.db_table}")
            print(f"loaded with COPY in {load_seconds:.1f} s")
        items = Item.objects.filter(project=project).count()
        annotations = Annotation.objects.filter(project=project).count()
        print(f"{items:,} items, {annotations:,} annotations (PostgreSQL)\n")

        reference_sql = (
            f"COPY (SELECT i.id, i.external_id, i.data, i.metadata, a.uuid, u.username, a.value, a.revision,"
            f" a.created_at, a.updated_at FROM {Item._meta.db_table} i"
            f" LEFT JOIN {Annotation._meta.db_table} a ON a.item_id = i.id"
            f" LEFT JOIN auth_user u ON u.id = a.annotator_id"
            f" WHERE i.project_id = {int(project.pk)} ORDER BY i.id, a.id) TO STDOUT"
        )
        import pandas  # noqa: F401  (pyarrow imports it on its first array: seconds a server pays once, at start)

        connection.ensure_connection()
        started = time.perf_counter()
        size = 0
        with connection.connection.cursor() as cursor, cursor.copy(reference_sql) as copy:
            for block in copy:
                size += len(block)
        reference_s = time.perf_counter() - started
        label = "reference: COPY (SELECT ...) TO STDOUT"
        print(f"  {label:<44} {reference_s:7.2f} s {items / reference_s:>10,.0f} items/s {size / 2**20:8.0f} MiB")

        runs = [(name, ExportSelection()) for name in args.formats.split(",") if name]
        if args.filtered:
            selection = export_options_parse({"metadata": "channel=web"}, project=project).selection
            runs.append(("jsonl", selection))
        figures = []
        for export_format, selection in runs:
            layout_format, _, layout = export_format.partition("-")
            started = time.perf_counter()
            profiler = cProfile.Profile() if args.profile == export_format else None
            if profiler:
                profiler.enable()
            digest = hashlib.sha256() if args.digest else None
            size = drain(
                exports.export_stream(
                    project=project,
                    number=1,
                    export_format=layout_format,
                    selection=selection,
                    layout=layout or "nested",
                ),
                digest,
            )
            if profiler:
                profiler.disable()
            seconds = time.perf_counter() - started
            shown = items // 4 if selection.any else items
            label = f"{export_format}{' (metadata=channel=web)' if selection.any else ''}"
            figures.append((label, shown / seconds))
            print(f"  {label:<44} {seconds:7.2f} s {shown / seconds:>10,.0f} items/s {size / 2**20:8.0f} MiB")
            if digest is not None:
                print(f"  {'':<44} sha256 {digest.hexdigest()}")
            if profiler:
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
        print("\nSummary (items/s; goal 50,000)")
        print(f"  reference COPY: {items / reference_s:,.0f}")
        for label, rate in figures:
            print(f"  {label}: {rate:,.0f} ({rate / (items / reference_s):.0%} of COPY)")
    finally:
        from django.db import connections

        connections.close_all()
        if not (args.keep or args.reuse):
            drop_database(args.server_url, args.database)


if __name__ == "__main__":
    main()
