"""Page benchmark: every page and list answer of a project of a million items, beside a small one.

Run on demand (it is not a test)::

    .venv/bin/python bench/pages.py [--items 1000000] [--small 1000] [--repeat 20]

It uses its own PostgreSQL database (``groundwork_bench_pages``; ``--server-url`` or
``BENCH_POSTGRES_URL`` name the server). The first run builds two classification projects in
it, ``--items`` and ``--small`` items, with SQL (``generate_series``: texts, four metadata
columns, three annotators who agree about two times in three, so 3 annotations an item) and
keeps the database; later runs reuse it (``--rebuild`` starts again, ``--drop`` drops it at the end).

In one run, for each project, it times

- the worker's part of a new version: filling the labeling queue with the version's items
  (``labeling.services.queue_sync``, the INSERT ... SELECT that a first ``/next/`` used to run in
  the request), then the first ``GET /api/projects/{id}/next/`` after it. On the first run the
  new version is the whole project (a million new items); on later runs, ``--new-rows`` more;
- every page and list answer, each ``--repeat`` times after one untimed request, through Django's
  test client with the whole middleware stack, ``DEBUG`` off: the project page, the versions
  list, the version page (first and last page), the explorer with each filter, the item page,
  the items API with filters, the review (disagreements) page, the agreement page and API from
  their cache (computed beforehand, as the worker would).

It prints p50 and p95 of each route for both projects side by side, and their ratio: a route
whose cost grows with the project, not the page, shows a ratio far above 1. ``--sql`` prints
each route's slowest statements (one request each, timed by Django's query log).
"""

from __future__ import annotations

import argparse
import math
import os
import re
import statistics
import sys
import time
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from agreement import LABELS, database_url, drop_database  # noqa: E402

UNUSED = "unused"  # a label in the schema nothing carries: ``?final=`` that matches nothing
ANNOTATORS = 3
WORDS = ["delivery", "refund", "battery", "screen", "support", "price", "quality", "shipping"]
GOAL_MS = 300.0
NEXT_GOAL_MS = 100.0


def database_exists(server: str, name: str) -> bool:
    with psycopg.connect(database_url(server, "postgres"), autocommit=True) as connection:
        return connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def create_database(server: str, name: str) -> None:
    with psycopg.connect(database_url(server, "postgres"), autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def timed_once(what: str, function, *args, **kwargs):
    started = time.perf_counter()
    result = function(*args, **kwargs)
    seconds = time.perf_counter() - started
    print(f"  {what:<64} {seconds:8.2f} s", flush=True)
    return result, seconds


def add_version(project, manager, *, rows: int, first_row: int):
    """A new version of ``rows`` items written by SQL (as the importer's COPY would), queue not filled."""
    from django.db import connection

    from datasets.models import Batch, DatasetVersion, Item

    parent = DatasetVersion.objects.filter(project=project).order_by("-number").first()
    number = parent.number + 1 if parent else 1
    version = DatasetVersion.objects.create(
        project=project,
        number=number,
        parent=parent,
        item_count=(parent.item_count if parent else 0) + rows,
        added_count=rows,
    )
    batch = Batch.objects.create(
        project=project, uploaded_by=manager, original_name=f"bench-v{number}.csv", file=f"bench-v{number}.csv",
        file_sha256=f"{number:064x}", file_size=0, format="csv", status="accepted", version=version,
        rows_total=rows, rows_added=rows,
    )  # fmt: skip
    words = "ARRAY[" + ", ".join(f"'{word}'" for word in WORDS) + "]"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {Item._meta.db_table} (project_id, batch_id, external_id, data, metadata, content_hash)
            SELECT %(project)s, %(batch)s, 'r' || n,
                   jsonb_build_object('text', 'review ' || n || ' about the ' || ({words})[1 + n %% 8]
                                      || ' and the ' || ({words})[1 + (n / 8) %% 8]),
                   jsonb_build_object('channel', (ARRAY['web', 'app', 'email', 'phone'])[1 + n %% 4],
                                      'lang', (ARRAY['en', 'fr', 'de'])[1 + n %% 3],
                                      'rating', 1 + n %% 5, 'region', 'r' || (n %% 50)),
                   lpad(to_hex(n), 64, '0')
            FROM generate_series(%(first)s, %(last)s) AS n
            """,
            {"project": project.pk, "batch": str(batch.pk), "first": first_row, "last": first_row + rows - 1},
        )
    return version, batch


def annotate(project, annotators, *, batch) -> None:
    """Every annotator labels every item of ``batch``: agreeing about two times in three, with
    the queue's counters set as the submits would have set them."""
    from django.db import connection

    from datasets.models import Item
    from labeling.models import Annotation, ItemState

    labels = "ARRAY[" + ", ".join(f"'{label}'" for label in LABELS) + "]"
    users = ", ".join(f"({user.pk}, {index})" for index, user in enumerate(annotators))
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {Annotation._meta.db_table}
                (uuid, item_id, project_id, annotator_id, value, revision, created_at, updated_at)
            SELECT gen_random_uuid(), i.id, i.project_id, u.id,
                   to_jsonb(({labels})[1 + CASE WHEN (i.id * (u.k + 3)) %% 10 < 7 THEN (i.id * 7) %% 5
                                                ELSE (i.id * 7 + 1 + u.k) %% 5 END]),
                   1, now() - (i.id %% 50000) * interval '1 minute', now() - (i.id %% 50000) * interval '1 minute'
            FROM {Item._meta.db_table} i CROSS JOIN (VALUES {users}) AS u(id, k)
            WHERE i.batch_id = %s
            ORDER BY i.id, u.k
            """,
            [str(batch.pk)],
        )
        cursor.execute(
            f"""
            UPDATE {ItemState._meta.db_table} s SET submitted = %s, started = true, is_open = %s
            FROM {Item._meta.db_table} i WHERE i.id = s.item_id AND i.batch_id = %s
            """,
            [len(annotators), len(annotators) < project.overlap, str(batch.pk)],
        )


def build(*, name: str, items: int):
    """A project of ``items`` items in one version, each labeled by three annotators."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from labeling import services as labeling_services
    from projects import services as project_services
    from projects.services import membership_set

    users = get_user_model()
    manager = users.objects.create_user(f"{name}-manager", password="x")
    annotators = [users.objects.create_user(f"{name}-annotator-{n}", password="x") for n in range(ANNOTATORS)]
    project = project_services.project_create(
        user=manager, name=f"Pages bench {name}", task_type="classification", labels=[*LABELS, UNUSED],
        label_scale="nominal", overlap=ANNOTATORS + 2, guidelines="",
    )  # fmt: skip
    for user in annotators:
        membership_set(project=project, username=user.username, role="annotator")
    (_, batch), _ = timed_once(
        f"{name}: {items:,} items by SQL", add_version, project, manager, rows=items, first_row=1
    )
    fill = timed_once(f"{name}: worker fills the queue (queue_sync, {items:,} new items)",
                      labeling_services.queue_sync, project=project)[1]  # fmt: skip
    first_next = first_next_ms(project)
    timed_once(f"{name}: {items * ANNOTATORS:,} annotations by SQL", annotate, project, annotators, batch=batch)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return project, fill, first_next


def first_next_ms(project) -> float:
    """The first ``/next/`` of a new annotator after the worker filled the queue."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from projects.services import membership_set

    users = get_user_model()
    count = users.objects.filter(username__startswith=f"{project.pk}-next-").count()
    user = users.objects.create_user(f"{project.pk}-next-{count}", password="x")
    membership_set(project=project, username=user.username, role="annotator")
    client = Client()
    client.force_login(user)
    client.get("/api/projects/", secure=True)  # the process's first request imports every view: not ours to time
    started = time.perf_counter()
    response = client.get(f"/api/projects/{project.pk}/next/", secure=True)
    elapsed = (time.perf_counter() - started) * 1000
    print(f"  first /next/ of project {project.pk}: {response.status_code} in {elapsed:.1f} ms", flush=True)
    return elapsed


def new_version(project, rows: int) -> tuple[float, float]:
    """A new version of ``rows`` items (the worker's fill timed), then the first /next/ after it."""
    from datasets.models import Item
    from labeling import services as labeling_services

    manager = project.memberships.get(role="manager").user
    last = Item.objects.filter(project=project).order_by("-id").values_list("external_id", flat=True).first()
    add_version(project, manager, rows=rows, first_row=int(last[1:]) + 1)
    fill = timed_once(f"project {project.pk}: worker fills the queue ({rows:,} new items)",
                      labeling_services.queue_sync, project=project)[1]  # fmt: skip
    return fill, first_next_ms(project)


def predict(project) -> None:
    """A model's probabilities for every item of version 1 (once), for the label-issue order."""
    from django.db import connection

    from datasets.models import Batch, Item
    from labeling.models import Prediction, PredictionSet

    if PredictionSet.objects.filter(project=project).exists():
        return
    manager = project.memberships.get(role="manager").user
    batch = Batch.objects.get(project=project, version__number=1)
    predictions = PredictionSet.objects.create(
        project=project, model_name="bench-model", labels=project.label_names, created_by=manager
    )
    width = len(project.label_names)
    with connection.cursor() as cursor:  # the consensus label's column gets 0.4 to 0.9, the rest share what is left
        cursor.execute(
            f"""
            INSERT INTO {Prediction._meta.db_table} (prediction_set_id, item_id, probabilities)
            SELECT %s, i.id, (SELECT jsonb_agg(CASE WHEN k = 1 + (i.id * 7) %% 5
                                                    THEN 0.4 + (i.id %% 6) / 10.0
                                                    ELSE (0.6 - (i.id %% 6) / 10.0) / {width - 1} END ORDER BY k)
                              FROM generate_series(1, {width}) AS k)
            FROM {Item._meta.db_table} i WHERE i.batch_id = %s
            """,
            [predictions.pk, str(batch.pk)],
        )
        predictions.count = cursor.rowcount
    predictions.save(update_fields=["count"])


def precompute(project) -> None:
    """The review's cached results, as the worker computes them for a large project."""
    from labeling.review.services.results import review_result_compute

    timed_once(f"project {project.pk}: a model's predictions written", predict, project=project)
    for kind in ("agreement", "items", "dawid_skene", "label_issues"):
        timed_once(f"project {project.pk}: {kind} computed into the cache", review_result_compute,
                   project=project, version=1, kind=kind)  # fmt: skip


def routes(project) -> list[tuple[str, str]]:
    from datasets.models import Batch, Item
    from labeling.models import Annotation

    p = project.pk
    batch = Batch.objects.filter(project=project, version__number=1).values_list("pk", flat=True).get()
    middle = Item.objects.filter(batch_id=batch).order_by("id").values_list("pk", flat=True)
    count = project.versions.get(number=1).item_count
    item = middle[count // 2]
    explorer = f"/projects/{p}/versions/1/items/"
    items = f"/api/projects/{p}/items/?version=1"
    members = project.memberships.filter(role="annotator").select_related("user").order_by("user__username")
    labeller = next(m.user.username for m in members if Annotation.objects.filter(annotator=m.user).exists())
    annotator = f"{project.memberships.filter(role='annotator').order_by('user__username').first().user.username}"
    return [
        ("project page", f"/projects/{p}/"),
        ("versions list (API)", f"/api/projects/{p}/versions/"),
        ("version page", f"/projects/{p}/versions/1/"),
        ("version page, last page", f"/projects/{p}/versions/1/?cursor=last"),
        ("items API, last page", f"{items}&cursor=last"),
        ("explorer", explorer),
        ("explorer, last page", f"{explorer}?cursor=last"),
        ("explorer ?sort=-id", f"{explorer}?sort=-id"),
        ("explorer ?q= (every item)", f"{explorer}?q=review"),
        ("explorer ?q= (one item)", f"{explorer}?q={count // 3}"),
        ("explorer ?q= (an eighth)", f"{explorer}?q=battery"),
        ("explorer ?label=", f"{explorer}?label=positive"),
        ("explorer ?final=", f"{explorer}?final=positive"),
        ("explorer ?final= (matches nothing)", f"{explorer}?final={UNUSED}"),
        ("explorer ?annotator=", f"{explorer}?annotator={annotator}"),
        ("explorer ?metadata=", f"{explorer}?metadata=channel%3Demail"),
        ("explorer ?metadata= (rare)", f"{explorer}?metadata=region%3Dr7"),
        ("explorer ?batch=", f"{explorer}?batch={batch}"),
        ("item page", f"/items/{item}/"),
        ("items API ?page_size=1", f"{items}&page_size=1"),
        ("items API", items),
        ("items API ?metadata=", f"{items}&metadata=channel%3Demail"),
        ("items API ?q=", f"{items}&q=battery"),
        ("items API ?label=", f"{items}&label=positive"),
        ("items API ?final= (matches nothing)", f"{items}&final={UNUSED}"),
        ("review (disagreements) page", f"/projects/{p}/review/?version=1"),
        ("review page, all items, page 2", f"/projects/{p}/review/?version=1&all=1&page=2"),
        ("disagreements API", f"/api/projects/{p}/disagreements/?version=1"),
        ("review page ?label=", f"/projects/{p}/review/?version=1&label=positive"),
        ("review page ?annotator= (no labels)", f"/projects/{p}/review/?version=1&annotator={annotator}"),
        ("review page ?annotator=", f"/projects/{p}/review/?version=1&annotator={labeller}"),
        ("review page ?metadata=", f"/projects/{p}/review/?version=1&metadata=channel%3Demail"),
        ("review page ?metadata= (rare)", f"/projects/{p}/review/?version=1&metadata=region%3Dr7"),
        (
            "disagreements API ?label=&metadata=",
            f"/api/projects/{p}/disagreements/?version=1&label=negative&metadata=lang%3Den",
        ),
        (
            "disagreements API ?metadata=, page 20",
            f"/api/projects/{p}/disagreements/?version=1&metadata=channel%3Dphone&page=20",
        ),
        ("review page ?order=label_issue", f"/projects/{p}/review/?version=1&order=label_issue"),
        (
            "review page ?order=label_issue, all, page 30",
            f"/projects/{p}/review/?version=1&order=label_issue&all=1&page=30",
        ),
        (
            "disagreements API ?order=label_issue&metadata=",
            f"/api/projects/{p}/disagreements/?version=1&order=label_issue&metadata=channel%3Dweb",
        ),
        ("consensus API", f"/api/projects/{p}/consensus/?version=1"),
        ("consensus API, Dawid-Skene, page 100", f"/api/projects/{p}/consensus/?version=1&method=dawid_skene&page=100"),
        ("agreement page (cached)", f"/projects/{p}/agreement/?version=1"),
        ("agreement API (cached)", f"/api/projects/{p}/agreement/?version=1"),
        ("team page", f"/projects/{p}/team/?version=1"),
        ("team API", f"/api/projects/{p}/team/?version=1"),
        ("settings page", f"/projects/{p}/settings/"),
    ]


def measure(project, repeat: int, show_sql: bool) -> dict[str, tuple[int, float, float]]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(project.memberships.get(role="manager").user)
    results = {}
    for name, url in routes(project):
        response = client.get(url, secure=True)  # untimed: the first asks may warm caches
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            response = client.get(url, secure=True)
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        results[name] = (response.status_code, statistics.median(times), p95)
        print(f"  {name:<38} {response.status_code}  p50 {results[name][1]:8.1f} ms  p95 {p95:8.1f} ms", flush=True)
        if show_sql:
            with CaptureQueriesContext(connection) as queries:
                client.get(url, secure=True)
            slowest = sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[:2]
            print(f"      {len(queries.captured_queries)} queries; slowest:")
            for query in slowest:
                print(f"      {float(query['time']) * 1000:8.1f} ms  {query['sql'][:400]}")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--new-rows", type=int, default=1_000, help="items of the new version on a reused database")
    parser.add_argument(
        "--server-url", default=os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
    )
    parser.add_argument("--database", default="groundwork_bench_pages")
    parser.add_argument("--rebuild", action="store_true", help="build the projects again even if present")
    parser.add_argument("--drop", action="store_true", help="drop the database at the end")
    parser.add_argument("--sql", action="store_true", help="print each route's slowest statements")
    parser.add_argument("--only", default="", help="time only routes whose name matches this regular expression")
    parser.add_argument("--skip", default="", help="leave out routes whose name matches this regular expression")
    parser.add_argument("--routes-only", action="store_true", help="on a reused database, add no new version")
    parser.add_argument(
        "--recompute", action="store_true", help="with --routes-only, compute the review's cached results again"
    )
    args = parser.parse_args()

    fresh = args.rebuild or not database_exists(args.server_url, args.database)
    if fresh:
        create_database(args.server_url, args.database)
    os.environ["DATABASE_URL"] = database_url(args.server_url, args.database)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", "bench-pages-not-secret")
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ.setdefault("GROUNDWORK_VAR_DIR", "/tmp/groundwork-bench-pages")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    # Pages name their static files; without ``collectstatic`` the manifest storage has no names.
    settings.STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
    from django.db import connections

    from projects.models import Project

    if args.only or args.skip:
        global routes
        every_route = routes

        def routes(project):
            return [
                (name, url)
                for name, url in every_route(project)
                if re.search(args.only, name) and not (args.skip and re.search(args.skip, name))
            ]

    try:
        call_command("migrate", verbosity=0)
        sizes = {"small": args.small, "large": args.items}
        projects, fills, nexts = {}, {}, {}
        print("Build" if fresh else "Reuse, with a new version in each project")
        for name, items in sizes.items():
            project = Project.objects.filter(name=f"Pages bench {name}").first()
            if project is None:
                project, fills[name], nexts[name] = build(name=name, items=items)
                precompute(project)
            elif args.routes_only:
                fills[name], nexts[name] = float("nan"), float("nan")
            else:
                # The small project's new version is at most its own size: it stays the reference.
                fills[name], nexts[name] = new_version(project, min(args.new_rows, items))
            projects[name] = project
        for project in projects.values():  # a result made stale by a new version would be recomputed
            if not fresh and (args.recompute or not args.routes_only):
                precompute(project)
        timings = {}
        for name, project in projects.items():
            print(f"\nRoutes of the {name} project ({project.versions.get(number=1).item_count:,} items in version 1)")
            timings[name] = measure(project, args.repeat, args.sql)

        small, large = timings["small"], timings["large"]
        print(f"\n| route | {sizes['small']:,} items p50 / p95 | {sizes['large']:,} items p50 / p95 | p95 ratio |")
        print("| --- | --- | --- | --- |")
        for route in large:
            (s_code, s50, s95), (l_code, l50, l95) = small[route], large[route]
            flag = "" if l95 < GOAL_MS else " **over 300 ms**"
            codes = "" if s_code == l_code == 200 else f" (HTTP {s_code} / {l_code})"
            print(f"| {route}{codes} | {s50:.1f} / {s95:.1f} ms | {l50:.1f} / {l95:.1f} ms{flag} | {l95 / s95:.1f}x |")
        new = (
            f"{args.small:,} / {args.items:,} new items"
            if fresh
            else f"{min(args.new_rows, args.small):,} / {args.new_rows:,} new items"
        )
        if not math.isnan(nexts["large"]):  # --routes-only adds no version, so there is no first /next/ to show
            print(f"| first /next/ after {new} | {nexts['small']:.1f} ms | {nexts['large']:.1f} ms"
                  f"{'' if nexts['large'] < NEXT_GOAL_MS else ' **over 100 ms**'} | |")  # fmt: skip
            small_fill, large_fill = fills["small"], fills["large"]
            print(f"| worker's queue fill (in the version's task) | {small_fill:.2f} s | {large_fill:.2f} s | |")
        over = [route for route in large if large[route][2] >= GOAL_MS]
        print(f"\nGoal: every route under {GOAL_MS:.0f} ms at p95 on {sizes['large']:,} items: "
              f"{'met' if not over else 'missed by ' + ', '.join(over)}")  # fmt: skip
    finally:
        connections.close_all()
        if args.drop:
            drop_database(args.server_url, args.database)


if __name__ == "__main__":
    main()
