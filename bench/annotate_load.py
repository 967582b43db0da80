"""Labeling load benchmark: 50 annotators on a project of a million items, behind gunicorn.

Run on demand (it is not a test)::

    .venv/bin/pip install -r bench/requirements.txt
    .venv/bin/python bench/annotate_load.py [--items 1000000] [--seconds 60]

It creates its own PostgreSQL database (``groundwork_bench_annotate`` by default), migrates
it, loads a classification project (overlap 3, five labels) with ``--items`` items through
the real import (in this process, no worker), creates 50 annotators with tokens, starts
gunicorn with ``DEBUG`` off and warms the queue with one ``/next/`` call. Then locust, on
loopback, runs twice: every user asks for its next item and submits a label, first at a
human pace (2 s between items) for the latency percentiles of next and submit, then with no
pause for the saturation throughput. At the end a query counts items with more annotations
than the overlap and items annotated twice by one annotator: both must be 0.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from import_batch import (  # noqa: E402  (bench/ is not a package)
    Api,
    Service,
    create_database,
    default_server_url,
    drop_database,
    free_port,
    healthy,
    server_version,
    with_database,
)

PYTHON = sys.executable
LOCUST = str(Path(PYTHON).parent / "locust")
LOCUSTFILE = ROOT / "bench" / "locustfile_annotate.py"
LABELS = ["positive", "negative", "neutral", "mixed", "off-topic"]
OVERLAP = 3
ANNOTATORS = 50
GOAL_P99_MS = 50.0
GOAL_SATURATION = 150.0
HUMAN_PACE_SECONDS = 2.0
WORDS = [
    "delivery", "quick", "packaging", "solid", "product", "cheap", "battery", "lasts", "two", "days", "screen",
    "bright", "support", "answered", "hour", "refund", "took", "weeks", "colour", "matches", "photos", "size",
    "small", "great", "value", "would", "buy", "again", "stopped", "working", "month",
]  # fmt: skip


def generate_csv(path: Path, rows: int, seed: int = 11) -> None:
    """Short distinct texts, one column; no quoting needed."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("text\n")
        block: list[str] = []
        for number in range(rows):
            block.append(f"{' '.join(rng.choices(WORDS, k=rng.randint(6, 16)))} #{number}\n")
            if len(block) >= 50_000:
                handle.write("".join(block))
                block.clear()
        handle.write("".join(block))


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def seed(csv_path: Path, password: str) -> dict:
    """The project, its items (the real import, in this process) and the annotators with tokens."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.core.files import File
    from rest_framework.authtoken.models import Token

    from projects import services as project_services
    from projects.models import Membership, Role
    from quality.pipeline import services as quality_services

    users = get_user_model()
    manager = users.objects.create_user(username="bench-manager", password=password)
    project = project_services.project_create(
        user=manager, name="Annotate bench", task_type="classification", labels=LABELS, overlap=OVERLAP
    )
    with csv_path.open("rb") as handle:
        uploaded = File(handle, name=csv_path.name)
        uploaded.size = csv_path.stat().st_size
        batch = quality_services.batch_upload(project=project, user=manager, uploaded=uploaded, enqueue=False)
    started = time.perf_counter()
    batch = quality_services.batch_import(batch_id=str(batch.pk))
    import_seconds = time.perf_counter() - started
    if batch is None or batch.status != "accepted":
        raise SystemExit(f"the import ended {batch and batch.status}: {batch and batch.error}")

    hashed = make_password(password)
    annotators = users.objects.bulk_create(
        [users(username=f"annotator{n:02d}", password=hashed) for n in range(ANNOTATORS)]
    )
    Membership.objects.bulk_create([Membership(project=project, user=u, role=Role.ANNOTATOR) for u in annotators])
    tokens = Token.objects.bulk_create([Token(user=u, key=Token.generate_key()) for u in annotators])
    return {
        "project": project.pk,
        "labels": LABELS,
        "tokens": [t.key for t in tokens],
        "items": batch.rows_added,
        "import_seconds": import_seconds,
    }


def annotation_count(project_id: int) -> int:
    from labeling.models import Annotation

    return Annotation.objects.filter(project_id=project_id).count()


def invariant_check(project_id: int) -> dict[str, int]:
    """The queries that must return 0: over-overlap items, repeat annotators, counters out of step."""
    from django.db import connection

    from labeling.models import Annotation, ItemState

    annotations, states = Annotation._meta.db_table, ItemState._meta.db_table
    queries = {
        "over_overlap": f"""SELECT count(*) FROM (SELECT item_id FROM {annotations} WHERE project_id = %s
                             GROUP BY item_id HAVING count(*) > %s) t""",
        "same_annotator_twice": f"""SELECT count(*) FROM (SELECT 1 FROM {annotations} WHERE project_id = %s
                                     GROUP BY item_id, annotator_id HAVING count(*) > 1) t""",
        "counter_mismatch": f"""SELECT count(*) FROM {states} s
                                 LEFT JOIN (SELECT item_id, count(*) AS n FROM {annotations}
                                            WHERE project_id = %s GROUP BY item_id) a ON a.item_id = s.item_id
                                 WHERE s.project_id = %s AND s.submitted <> coalesce(a.n, 0)""",
        "items_complete": f"""SELECT count(*) FROM (SELECT item_id FROM {annotations} WHERE project_id = %s
                               GROUP BY item_id HAVING count(*) = %s) t""",
    }
    params = {
        "over_overlap": [project_id, OVERLAP],
        "same_annotator_twice": [project_id],
        "counter_mismatch": [project_id, project_id],
        "items_complete": [project_id, OVERLAP],
    }
    result = {}
    with connection.cursor() as cursor:
        for name, query in queries.items():
            cursor.execute(query, params[name])
            result[name] = cursor.fetchone()[0]
    return result


def warm_workers(port: int, project_id: int, tokens: list[str]) -> None:
    """Every annotator opens the page once, a few at a time: each gunicorn worker pays its
    first-request cost (imports, URL resolver) here, not inside the measured runs. The items
    they get stay leased to them, and their first request under locust gets the same one back."""

    def open_page(token: str) -> int:
        api = Api(port)
        api.token = token
        return api.request("GET", f"/api/projects/{project_id}/next/")[0]

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(open_page, tokens))
    if any(status != 200 for status in statuses):
        raise SystemExit(f"warm-up: {statuses}")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))
    return ordered[index]


def run_locust(
    name: str, *, port: int, wait: float, seconds: int, setup_path: Path, work: Path, env: dict[str, str]
) -> dict:
    timings_path = work / f"{name}.json"
    command = [
        LOCUST, "-f", str(LOCUSTFILE), "--headless", "-u", str(ANNOTATORS), "-r", str(ANNOTATORS),
        "-t", f"{seconds}s", "--host", f"http://127.0.0.1:{port}", "--csv", str(work / name),
        "--only-summary", "--stop-timeout", "5", "--loglevel", "WARNING",
    ]  # fmt: skip
    locust_env = {**env, "BENCH_SETUP": str(setup_path), "BENCH_WAIT": str(wait), "BENCH_TIMINGS": str(timings_path)}
    log_path = work / f"{name}.log"
    with log_path.open("wb") as log:
        completed = subprocess.run(
            command, cwd=ROOT, env=locust_env, stdout=log, stderr=subprocess.STDOUT, timeout=seconds + 120
        )
    if not timings_path.exists():
        raise SystemExit(
            f"locust {name} wrote no timings (exit {completed.returncode}):\n{log_path.read_text()[-4000:]}"
        )
    result = json.loads(timings_path.read_text())
    result["log"] = log_path.read_text(errors="replace")
    return result


def server_times(access_log: Path, offset: int) -> dict[str, float]:
    """Percentiles of gunicorn's own request time (``%(D)s``): the part of what locust sees
    spent in Django, as opposed to the accept queue and the client."""
    times: dict[str, list[float]] = {"next": [], "submit": []}
    with access_log.open("rb") as handle:
        handle.seek(offset)
        for line in handle.read().decode(errors="replace").splitlines():
            parts = line.split()
            if len(parts) != 4 or not parts[3].isdigit():
                continue
            method, path, micros = parts[0], parts[1], int(parts[3])
            if method == "GET" and path.endswith("/next/"):
                times["next"].append(micros / 1000)
            elif method == "POST" and path.endswith("/annotations/"):
                times["submit"].append(micros / 1000)
    return {f"server_{name}_p{q}": percentile(values, q) for name, values in times.items() for q in (50, 95, 99)}


def summarize(result: dict) -> dict[str, float]:
    figures: dict[str, float] = {}
    for name in ("next", "submit"):
        values = result["timings"][name]
        figures[f"{name}_n"] = len(values)
        for q in (50, 95, 99):
            figures[f"{name}_p{q}"] = percentile(values, q)
        figures[f"{name}_mean"] = statistics.fmean(values) if values else float("nan")
    figures.update(result["counts"])
    figures["seconds"] = result["seconds"]
    figures["rate"] = result["counts"]["annotations"] / result["seconds"] if result["seconds"] else 0.0
    return figures


def run(args: argparse.Namespace, work: Path) -> dict:
    database_url = with_database(args.server_url, args.database)
    csv_path = work / "items.csv"
    print(f"generating {args.items:,} items ...", flush=True)
    generate_csv(csv_path, args.items)

    print(f"creating database {args.database} and migrating ...", flush=True)
    create_database(args.server_url, args.database)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(40),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "GROUNDWORK_VAR_DIR": str(work / "var"),
        "GROUNDWORK_MAX_BATCH_ROWS": str(max(args.items, 5_000_000)),
        "PYTHONUNBUFFERED": "1",
        "LOG_LEVEL": "WARNING",
    }
    subprocess.run([PYTHON, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True)
    setup_django(env)
    from django.db import connections

    print("importing the items and creating 50 annotators ...", flush=True)
    seeded = seed(csv_path, "bench-" + secrets.token_hex(8))
    connections.close_all()
    setup_path = work / "setup.json"
    setup_path.write_text(json.dumps({k: seeded[k] for k in ("project", "labels", "tokens")}))
    project_id = seeded["project"]

    services: list[Service] = []
    try:
        port = free_port()
        web = Service(
            "gunicorn",
            [PYTHON, "-m", "gunicorn", "config.wsgi:application", "-b", f"127.0.0.1:{port}",
             "--workers", str(args.workers), "--threads", str(args.threads), "--timeout", "600",
             "--backlog", "256", "--access-logfile", str(work / "access.log"),
             "--access-logformat", "%(m)s %(U)s %(s)s %(D)s"],
            env, work,
        )  # fmt: skip
        services.append(web)
        web.wait_until(lambda: healthy(port), timeout=60)

        api = Api(port)
        api.token = seeded["tokens"][0]
        print("warming the queue (one /next/ puts every item in it) ...", flush=True)
        started = time.perf_counter()
        status, body = api.request("GET", f"/api/projects/{project_id}/next/")
        warm_seconds = time.perf_counter() - started
        if status != 200:
            raise SystemExit(f"warm-up next: {status} {body}\n{web.log()[-4000:]}")
        warm_workers(port, project_id, seeded["tokens"])

        runs = {}
        for name, wait in (("human", HUMAN_PACE_SECONDS), ("saturation", 0.0)):
            pace = f"one item every {wait:g} s each" if wait else "no pause"
            load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
            print(f"locust: {ANNOTATORS} annotators, {pace}, {args.seconds} s (load average {load}) ...", flush=True)
            before = annotation_count(project_id)
            log_offset = (work / "access.log").stat().st_size
            result = run_locust(
                name, port=port, wait=wait, seconds=args.seconds, setup_path=setup_path, work=work, env=env
            )
            figures = summarize(result)
            figures["stored"] = annotation_count(project_id) - before
            figures.update(server_times(work / "access.log", log_offset))
            runs[name] = figures
            connections.close_all()
            if figures["errors"]:
                print(f"  {figures['errors']} errors; locust said:\n{result['log'][-3000:]}", flush=True)
    finally:
        for service in reversed(services):
            service.stop()

    checks = invariant_check(project_id)
    total = annotation_count(project_id)
    postgres = server_version(database_url)
    connections.close_all()
    return {
        "items": seeded["items"],
        "import_seconds": seeded["import_seconds"],
        "warm_seconds": warm_seconds,
        "runs": runs,
        "checks": checks,
        "annotations": total,
        "postgres": postgres,
        "workers": args.workers,
        "threads": args.threads,
    }


def report(figures: dict) -> None:
    def verdict(ok: bool) -> str:
        return "ok" if ok else "MISSED"

    human, saturation, checks = figures["runs"]["human"], figures["runs"]["saturation"], figures["checks"]
    print()
    print(
        f"Groundwork labeling load: {figures['items']:,} items (classification, overlap {OVERLAP}, "
        f"{len(LABELS)} labels), {ANNOTATORS} annotators"
    )
    print(
        f"PostgreSQL {figures['postgres']}, gunicorn {figures['workers']} workers x {figures['threads']} threads, "
        "locust on the same machine (loopback)"
    )
    print(f"  import of the items (in process)  {figures['import_seconds']:8.1f} s")
    print(f"  first /next/ (fills the queue)    {figures['warm_seconds']:8.2f} s")
    print()
    print(f"Run 1, human pace (one item every {HUMAN_PACE_SECONDS:g} s each), {human['seconds']:.0f} s:")
    for name in ("next", "submit"):
        print(
            f"  {name:<7} n={human[f'{name}_n']:>6,}  p50 {human[f'{name}_p50']:6.1f} ms  "
            f"p95 {human[f'{name}_p95']:6.1f} ms  p99 {human[f'{name}_p99']:6.1f} ms  "
            f"mean {human[f'{name}_mean']:6.1f} ms"
        )
    for name in ("next", "submit"):
        print(
            f"  {name:<7} in gunicorn (request time, without the accept queue):  "
            f"p50 {human[f'server_{name}_p50']:6.1f} ms  p95 {human[f'server_{name}_p95']:6.1f} ms  "
            f"p99 {human[f'server_{name}_p99']:6.1f} ms"
        )
    print(f"  {human['annotations']:,} annotations ({human['rate']:.1f}/s), {human['conflicts']} conflicts, "
          f"{human['errors']} errors, {human['empty']} empty queues")  # fmt: skip
    print()
    print(f"Run 2, as fast as they can, {saturation['seconds']:.0f} s:")
    for name in ("next", "submit"):
        print(
            f"  {name:<7} n={saturation[f'{name}_n']:>6,}  p50 {saturation[f'{name}_p50']:6.1f} ms  "
            f"p95 {saturation[f'{name}_p95']:6.1f} ms  p99 {saturation[f'{name}_p99']:6.1f} ms"
        )
    print(
        f"  saturation throughput: {saturation['rate']:,.1f} annotations/s ({saturation['annotations']:,} submits "
        f"answered 201, {saturation['stored']:,} stored), {saturation['conflicts']} conflicts, "
        f"{saturation['errors']} errors"
    )
    print()
    print(f"Checks ({figures['annotations']:,} annotations, {checks['items_complete']:,} items complete):")
    print(
        f"  items with more than {OVERLAP} annotations:     {checks['over_overlap']}  "
        f"{verdict(not checks['over_overlap'])}"
    )
    print(
        f"  items annotated twice by one annotator: {checks['same_annotator_twice']}  "
        f"{verdict(not checks['same_annotator_twice'])}"
    )
    print(
        f"  queue counters out of step:             {checks['counter_mismatch']}  "
        f"{verdict(not checks['counter_mismatch'])}"
    )
    print()
    worst = max(human["next_p99"], human["submit_p99"])
    print("Goals")
    print(f"  next and submit p99 < {GOAL_P99_MS:.0f} ms at human pace: {worst:.1f} ms  {verdict(worst < GOAL_P99_MS)}")
    print(
        f"  saturation >= {GOAL_SATURATION:.0f} annotations/s:        {saturation['rate']:.1f}  "
        f"{verdict(saturation['rate'] >= GOAL_SATURATION)}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000, help="items in the project (default 1,000,000)")
    parser.add_argument("--seconds", type=int, default=60, help="length of each locust run (default 60)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads a worker (default 1)")
    parser.add_argument("--database", default="groundwork_bench_annotate", help="database to create and drop")
    parser.add_argument(
        "--server-url", default=default_server_url(), help="a PostgreSQL URL on the server to use (its maintenance db)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database and the work folder (for a look)")
    args = parser.parse_args(argv)
    if args.database in {"postgres", "template0", "template1"}:
        parser.error("refusing to drop a system database")
    if not Path(LOCUST).exists():
        parser.error(f"locust is not installed next to {PYTHON}: pip install -r bench/requirements.txt")

    work = Path(tempfile.mkdtemp(prefix="groundwork-bench-annotate-"))
    try:
        figures = run(args, work)
    finally:
        if not args.keep:
            drop_database(args.server_url, args.database)
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept database {args.database} and {work}")
    report(figures)


if __name__ == "__main__":
    main()
