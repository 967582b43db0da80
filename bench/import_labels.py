"""Labels import benchmark: a Label Studio export with annotations, beside the same tasks without them.

Run on demand (it is not a test)::

    .venv/bin/python bench/import_labels.py [--tasks 100000] [--annotations 3]

Like ``import_batch.py`` it creates its own PostgreSQL database, starts gunicorn and one real
``celery worker`` on it with Redis as the broker, and goes through the REST API. It writes two
JSON files of the same ``--tasks`` Label Studio tasks (Label Studio's "Export -> JSON" shape:
``data.text``, ``annotations`` with ``completed_by``, ``result``, times; one task in ten has a
``ground_truth`` annotation and one annotation in fifty is cancelled): one with ``--annotations``
annotations a task, one with none (the items-only import, the reference). It uploads each into a
project of its own and prints, for each: the time from upload to accepted version, the worker's
peak memory (RSS of its process tree), and the progress the batch showed over time (the distinct
values the page saw and how long the last step, 98% -> accepted, took).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from import_batch import (  # the sibling bench script: one set of helpers
    PYTHON,
    ROOT,
    WORDS,
    Api,
    Service,
    TreeMemory,
    create_database,
    default_server_url,
    drop_database,
    free_port,
    healthy,
    parse_time,
    server_version,
    with_database,
)

LABELS = ["positive", "negative", "neutral"]
PASSWORD = "bench-" + secrets.token_hex(8)


def generate_export(path: Path, tasks: int, annotations: int, seed: int = 11) -> None:
    """A Label Studio JSON export, written task by task."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as handle:
        handle.write("[")
        for number in range(tasks):
            text = f"{' '.join(rng.choices(WORDS, k=rng.randint(8, 22)))} #{number}"
            task = {
                "id": number + 1,
                "data": {"text": text, "channel": rng.choice(["web", "app", "email"])},
                "annotations": [
                    {
                        "id": number * annotations + person + 1,
                        "completed_by": {"id": person + 1, "email": f"annotator{person}@example.com"},
                        "result": [
                            {
                                "id": uuid.uuid4().hex[:10],
                                "type": "choices",
                                "from_name": "sentiment",
                                "to_name": "text",
                                "origin": "manual",
                                "value": {"choices": [rng.choice(LABELS)]},
                            }
                        ],
                        "was_cancelled": rng.random() < 0.02,
                        "ground_truth": person == 0 and number % 10 == 0,
                        "created_at": "2024-05-01T10:00:00.000000Z",
                        "updated_at": "2024-05-01T10:05:00.000000Z",
                        "lead_time": round(rng.uniform(2, 40), 3),
                    }
                    for person in range(annotations)
                ],
                "predictions": [],
                "meta": {},
                "created_at": "2024-04-30T09:00:00.000000Z",
                "project": 7,
            }
            handle.write(("," if number else "") + "\n" + json.dumps(task))
        handle.write("\n]\n")


def upload_and_watch(api: Api, worker: Service, project_id: int, path: Path) -> dict:
    """Upload through the API, poll the batch until it ends; the progress seen and the worker's peak memory."""
    memory = TreeMemory(worker.process.pid)
    seen: list[tuple[float, float]] = []  # (seconds since upload, progress) at each change
    with memory:
        started = time.perf_counter()
        status, body = api.upload(f"/api/projects/{project_id}/batches/", path)
        if status != 202:
            raise SystemExit(f"upload: {status} {body}")
        while True:
            status, batch = api.request("GET", f"/api/batches/{body['id']}/")
            now = time.perf_counter() - started
            if batch["status"] == "validating" and (not seen or batch["progress"] != seen[-1][1]):
                seen.append((now, batch["progress"]))
                print(f"  {now:7.1f} s  {batch['progress']:.0%}  {batch['rows_total']:,} rows", flush=True)
            if batch["status"] not in ("queued", "validating"):
                break
            time.sleep(0.1)
        total = time.perf_counter() - started
    if batch["status"] != "accepted":
        raise SystemExit(f"the batch ended {batch['status']}: {batch.get('error')}\n{worker.log()[-4000:]}")
    claimed, finished = parse_time(batch["started_at"]), parse_time(batch["finished_at"])
    last_change = seen[-1][0] if seen else 0.0
    return {
        "total": total,
        "import": (finished - claimed).total_seconds(),
        "peak_bytes": memory.peak_total,
        "progress_values": len(seen),
        "final_step": total - last_change,
        "labels": next((r.get("labels") for r in batch["results"] if r["check"] == "import"), None),
    }


def run(args: argparse.Namespace, work: Path) -> None:
    labeled, bare = work / "labeled.json", work / "items-only.json"
    print(f"writing {args.tasks:,} Label Studio tasks, with {args.annotations} annotations each and without ...")
    generate_export(labeled, args.tasks, args.annotations)
    generate_export(bare, args.tasks, 0)
    database_url = with_database(args.server_url, args.database)
    create_database(args.server_url, args.database)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": args.broker,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(40),
        "SECURE_SSL_REDIRECT": "0",
        "GROUNDWORK_VAR_DIR": str(work / "var"),
        "GROUNDWORK_MAX_UPLOAD_BYTES": str(max(labeled.stat().st_size * 2, 512 * 1024 * 1024)),
        "GROUNDWORK_MAX_BATCH_ROWS": str(max(args.tasks, 5_000_000)),
        "PYTHONUNBUFFERED": "1",
        "LOG_LEVEL": "WARNING",
    }
    subprocess.run([PYTHON, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True)
    people = ", ".join(f"('annotator{n}', 'annotator{n}@example.com')" for n in range(args.annotations))
    script = (
        "from django.contrib.auth import get_user_model as g; U = g(); "
        f"U.objects.create_superuser('bench', 'bench@example.com', '{PASSWORD}'); "
        f"[U.objects.create_user(u, e, '{PASSWORD}') for u, e in [{people}]]"
    )
    subprocess.run([PYTHON, "manage.py", "shell", "-c", script], cwd=ROOT, env=env, check=True)
    services: list[Service] = []
    figures: dict[str, dict] = {}
    try:
        port = free_port()
        web = Service(
            "gunicorn",
            [PYTHON, "-m", "gunicorn", "config.wsgi:application", "-b", f"127.0.0.1:{port}", "--workers", "2",
             "--timeout", "900"],
            env, work,
        )  # fmt: skip
        services.append(web)
        worker = Service(
            "worker",
            [PYTHON, "-m", "celery", "-A", "config", "worker", "--concurrency=1", "--loglevel=INFO",
             "-n", f"bench-{uuid.uuid4().hex[:8]}@%h", "--without-mingle", "--without-gossip"],
            {**env, "LOG_LEVEL": "INFO"}, work,
        )  # fmt: skip
        services.append(worker)
        web.wait_until(lambda: healthy(port), timeout=300)
        worker.wait_until(lambda: "ready." in worker.log(), timeout=300)
        api = Api(port)
        api.token = api.request("POST", "/api/auth/token/", {"username": "bench", "password": PASSWORD})[1]["token"]
        for name, path in (("items only", bare), ("with labels", labeled)):
            _, project = api.request(
                "POST", "/api/projects/", {"name": name, "task_type": "classification", "labels": LABELS, "overlap": 3}
            )
            for n in range(args.annotations):
                api.request(
                    "POST",
                    f"/api/projects/{project['id']}/members/",
                    {"username": f"annotator{n}", "role": "annotator"},
                )
            print(f"{name}: uploading {path.stat().st_size / 1e6:,.1f} MB ...", flush=True)
            figures[name] = upload_and_watch(api, worker, project["id"], path)
        version = server_version(database_url)
    finally:
        for service in reversed(services):
            service.stop()
        if not args.keep:
            drop_database(args.server_url, args.database)

    print()
    print(f"Label Studio export, {args.tasks:,} tasks, {args.annotations} annotations a task")
    print(f"PostgreSQL {version}, Redis broker, gunicorn, 1 Celery worker (prefork, concurrency 1)")
    print(
        f"  {'':24} {'upload->accepted':>17} {'claim->accepted':>16} {'peak RSS':>9}"
        f" {'progress steps':>15} {'last step':>10}"
    )
    for name, f in figures.items():
        print(
            f"  {name:24} {f['total']:15.1f} s {f['import']:14.1f} s {f['peak_bytes'] / 2**20:6.0f} MB"
            f" {f['progress_values']:15d} {f['final_step']:8.1f} s"
        )
    labels = figures["with labels"]["labels"] or {}
    print(f"  imported: {labels.get('annotations', 0):,} annotations, {labels.get('skips', 0):,} skips, "
          f"{labels.get('gold', 0):,} gold answers")  # fmt: skip
    extra = figures["with labels"]["total"] - figures["items only"]["total"]
    print(f"  the labels cost {extra:.1f} s more: {args.tasks * args.annotations / max(extra, 1e-9):,.0f} labels/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--annotations", type=int, default=3)
    parser.add_argument(
        "--server-url", default=default_server_url(), help="a PostgreSQL URL on the server to use (its maintenance db)"
    )
    parser.add_argument("--broker", default=os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/15"))
    parser.add_argument("--database", default="groundwork_bench_labels")
    parser.add_argument("--keep", action="store_true", help="keep the database and files for a look")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="gw-bench-labels-"))
    run(args, work)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
