"""Selection benchmark: send back and raise the priority of a large selection, in the request
(the set-based statements) and as a job (id-ordered chunks), on the pages benchmark's project.

Run on demand (it is not a test), on a copy of the pages benchmark's database::

    createdb -T groundwork_bench_pages bench_selections
    .venv/bin/python bench/selections.py --database bench_selections [--only inline|job]

For a selection of every item of the newest version and of a quarter of them (``channel=email``), it times
``items_send_back`` and ``items_prioritize`` run whole, in one transaction rolled back at the
end, then the same action as a job (``selection_job_run``), which commits chunk by chunk.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


class Rollback(Exception):
    pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--server-url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--project", default="Pages bench large")
    parser.add_argument("--only", choices=["inline", "job"], default=None)
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = f"{args.server_url}/{args.database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", "bench-selections-not-secret")
    os.environ.setdefault("GROUNDWORK_VAR_DIR", "/tmp/groundwork-bench-selections")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from datasets.selectors import version_latest
    from labeling.explorer import selection_jobs, selections
    from labeling.explorer.selection_run import selection_items, selection_job_run
    from labeling.services import queue_sync
    from projects.models import Project

    project = Project.objects.get(name=args.project)
    manager = get_user_model().objects.get(pk=project.created_by_id)
    version = version_latest(project=project)
    number = version.number
    queue_sync(project=project)
    # Every item, and a quarter of them spread over the whole id range (one channel of four).
    selections_ = {name: (filters, selection_items(project=project, number=number, filters=filters))
                   for name, filters in (("all", {}), ("quarter", {"metadata": "channel=email"}))}  # fmt: skip
    print(f"{project.name}: version {number}, {version.item_count:,} items")
    actions = {
        "send back": lambda items: selections.items_send_back(project=project, items=items, reviewer=manager, count=1),
        "priority": lambda items: selections.items_prioritize(project=project, items=items, priority=5),
    }
    if args.only != "job":
        for name, (_, items) in selections_.items():
            for action, run in actions.items():
                started = time.perf_counter()
                try:
                    with transaction.atomic():
                        outcome = run(items)
                        elapsed = time.perf_counter() - started
                        raise Rollback
                except Rollback:
                    pass
                print(f"| in the request | {action} | {name} | {elapsed:.1f} s | {outcome} |", flush=True)
    if args.only != "inline":
        for name, (filters, _) in selections_.items():
            for action, kind, amount in (("send back", "send_back", 1), ("priority", "priority", 5)):
                job = selection_jobs.selection_job_create(
                    project=project, number=number, user=manager, action=kind, amount=amount,
                    filters=filters, enqueue=False,
                )  # fmt: skip
                started = time.perf_counter()
                job = selection_job_run(job_id=str(job.pk))
                elapsed = time.perf_counter() - started
                print(f"| job | {action} | {name} | {elapsed:.1f} s | {job.touched} touched, {job.refused} refused |",
                      flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
